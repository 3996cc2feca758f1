package delivery_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/delivery/arkyn"
	"github.com/webhookd/webhookd/internal/delivery/formats"
	"github.com/webhookd/webhookd/internal/egress"
	"github.com/webhookd/webhookd/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// received is one request a receiver got.
type received struct {
	path   string
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a TLS server on loopback that records requests and answers with respond.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(n int, w http.ResponseWriter)
	arrived chan struct{}
	// queue describes the engine's queue, for a wait that fails (set by startEngine).
	queue func() string
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter)) *receiver {
	r := &receiver{respond: respond, arrived: make(chan struct{}, 1000)}
	r.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{path: req.URL.Path, header: req.Header.Clone(), body: body, at: time.Now()})
		n := len(r.got)
		r.mu.Unlock()
		r.arrived <- struct{}{}
		if r.respond != nil {
			r.respond(n, w)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// url is an address on the receiver with a host name, as Bird's and SuperOffice's validation
// require; the engine's dialer sends example.com to the receiver, whose certificate names it.
func (r *receiver) url(path string) string {
	return "https://example.com:" + r.port() + path
}

func (r *receiver) port() string {
	_, port, _ := net.SplitHostPort(r.Listener.Addr().String())
	return port
}

// wait blocks until the receiver has n requests.
func (r *receiver) wait(t *testing.T, n int, timeout time.Duration) []received {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if got := r.requests(); len(got) >= n {
			return got
		}
		select {
		case <-r.arrived:
		case <-deadline:
			queue := ""
			if r.queue != nil {
				queue = r.queue()
			}
			t.Fatalf("receiver got %d requests, want %d%s", len(r.requests()), n, queue)
		}
	}
}

// startEngine runs a delivery engine on the env's database until the test ends. Calls to
// example.com:<port> reach the loopback receivers; loopback is allowed unless guarded.
func startEngine(t *testing.T, env *apitest.Env, cfg delivery.Config, receivers ...*receiver) {
	t.Helper()
	if cfg.Transport == nil {
		cfg.Transport = loopbackTransport([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, receivers...)
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 10 * time.Millisecond
	}
	if cfg.ScheduleScale == 0 {
		cfg.ScheduleScale = 1e-5
	}
	if cfg.Logger == nil {
		// The engine's warnings and errors go with the test's output, printed when it fails.
		cfg.Logger = slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	for _, r := range receivers {
		r.queue = func() string { return queueState(env.DB) }
	}
	apitest.RunEngine(t, env.DB, cfg)
}

// queueState lists the deliveries and wake-ups in db, times relative to now, and the
// statements running on it, to tell a stalled engine from a slow one.
func queueState(db *sql.DB) string {
	var b strings.Builder
	for _, q := range []string{
		`SELECT 'delivery', status, attempts, round(extract(epoch FROM next_attempt_at - now())::numeric, 3),
		        round(extract(epoch FROM lease_until - now())::numeric, 3), leased_by, manual FROM deliveries ORDER BY created_at`,
		`SELECT 'wake-up', account_id, round(extract(epoch FROM due_at - now())::numeric, 3), planned FROM delivery_wakeups ORDER BY due_at`,
		`SELECT 'running', state, wait_event_type, wait_event, round(extract(epoch FROM now() - query_start)::numeric, 3), left(query, 80)
		 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			fmt.Fprintf(&b, "\n%v", err)
			continue
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				fmt.Fprintf(&b, "\n%v", err)
				break
			}
			for i, v := range vals {
				if raw, ok := v.([]byte); ok {
					vals[i] = string(raw)
				}
			}
			fmt.Fprintf(&b, "\n%v", vals)
		}
		rows.Close()
	}
	return b.String()
}

// testLog writes to a test's log; the engine stops before the test ends (apitest.RunEngine).
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// newEngine is delivery.New on the env's database; an invalid cfg fails the test.
func newEngine(t *testing.T, env *apitest.Env, cfg delivery.Config) *delivery.Engine {
	t.Helper()
	e, err := delivery.New(env.DB, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// loopbackTransport is the egress policy's transport, allowing allowed, trusting the receivers'
// certificates, and dialling example.com on the loopback interface.
func loopbackTransport(allowed []netip.Prefix, receivers ...*receiver) *http.Transport {
	pool := x509.NewCertPool()
	for _, r := range receivers {
		pool.AddCert(r.Certificate())
	}
	transport := egress.Policy{Allowed: allowed}.Transport(pool)
	dial := transport.DialContext
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, port, _ := net.SplitHostPort(addr); host == "example.com" {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return dial(ctx, network, addr)
	}
	return transport
}

func ingest(t *testing.T, env *apitest.Env, a gen.AccountCreated, body string) gen.IngestedEvent {
	t.Helper()
	resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/events", Header: apitest.Header("Authorization", "Bearer "+a.Ingest.Key), Body: body})
	if resp.Status != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", resp.Status, resp.Body)
	}
	var out gen.IngestedEvent
	resp.Decode(t, &out)
	return out
}

func do(t *testing.T, env *apitest.Env, method, path string, header http.Header, body string, want int) *apitest.Response {
	t.Helper()
	resp := env.Do(t, apitest.Request{Method: method, Path: path, Header: header, Body: body})
	if resp.Status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, resp.Status, resp.Body, want)
	}
	return resp
}

func hmacHex(key string, msg []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

func hmacBase64(key string, msg []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(msg)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// verifyStandard checks Standard Webhooks headers with the published library.
func verifyStandard(t *testing.T, secret string, r received) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString([]byte(secret)))
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(r.body, r.header); err != nil {
		t.Errorf("Standard Webhooks verification of %s: %v (headers %v)", r.path, err, r.header)
	}
}

func TestEachDialectIsDeliveredSignedAsItsVendorDoes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks := newReceiver(t, nil)
	discord := newReceiver(t, nil)
	arkynSettings := arkyn.Settings{DiscordBaseURL: discord.url("/api/v10"), BotToken: "bot-token"}
	startEngine(t, env, delivery.Config{Formats: formats.New(formats.Settings{Arkyn: arkynSettings})}, hooks, discord)
	a := env.CreateAccount(t, "acme")

	do(t, env, http.MethodPost, "/management/v1/projects/"+a.Voucherify.ProjectId+"/webhooks", apitest.Voucherify(a),
		`{"target_url": "`+hooks.url("/voucherify")+`", "events": ["voucher.created"]}`, 200)
	do(t, env, http.MethodPost, "/workspaces/"+a.Bird.WorkspaceId.String()+"/webhook-subscriptions", apitest.Bird(a),
		`{"service": "channels", "event": "sms.outbound", "url": "`+hooks.url("/bird")+`", "signingKey": "bird-key", "eventFilters": [{"key": "channelId", "value": "c1"}]}`, 201)
	do(t, env, http.MethodPost, "/api/v1/Webhook", apitest.SuperOffice(a),
		`{"Name": "so", "Events": ["voucher.created"], "TargetUrl": "`+hooks.url("/superoffice")+`", "Secret": "so-secret", "Headers": {"X-Tenant": "acme"}, "Properties": {"tier": "gold"}}`, 200)
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a),
		`{"name": "ship", "url": "`+hooks.url("/shipping")+`", "events": ["shipment.created"], "secret": "shipping-secret"}`, 201)
	login := do(t, env, http.MethodPost, "/user/auth", nil, fmt.Sprintf(`{"email": %q, "password": %q}`, a.Arkyn.Email, a.Arkyn.Password), 200)
	var token gen.ArkynAuthResponse
	login.Decode(t, &token)
	do(t, env, http.MethodPut, "/webhooks/"+a.Arkyn.TrafficSourceId.String(), apitest.Header("Authorization", "Bearer "+token.Token),
		`{"discordChannelId": "987654321098765432"}`, 200)

	if got := ingest(t, env, a, `{"type": "voucher.created", "data": {"code": "SPRING"}}`); got.Deliveries != 2 {
		t.Errorf("voucher.created fanned out to %d, want Voucherify and SuperOffice", got.Deliveries)
	}
	if got := ingest(t, env, a, `{"type": "sms.outbound", "data": {"to": "+31"}, "attributes": {"channelId": "c2"}}`); got.Deliveries != 0 {
		t.Errorf("an event the Bird filter rejects fanned out to %d", got.Deliveries)
	}
	if got := ingest(t, env, a, `{"type": "sms.outbound", "data": {"to": "+31"}, "attributes": {"channelId": "c1"}}`); got.Deliveries != 1 {
		t.Errorf("sms.outbound fanned out to %d", got.Deliveries)
	}
	if got := ingest(t, env, a, `{"type": "shipment.created", "data": {"parcel": 7}}`); got.Deliveries != 1 {
		t.Errorf("shipment.created fanned out to %d", got.Deliveries)
	}
	if got := ingest(t, env, a, `{"type": "http.traffic", "data": {"method": "get", "status": 500, "level": "fatal", "description": "GET /pay failed"}, "scope": {"arkynTrafficSourceId": "`+a.Arkyn.TrafficSourceId.String()+`"}}`); got.Deliveries != 1 {
		t.Errorf("a traffic source's event fanned out to %d", got.Deliveries)
	}

	byPath := map[string]received{}
	for _, r := range hooks.wait(t, 4, 10*time.Second) {
		byPath[r.path] = r
	}
	v := byPath["/voucherify"]
	if v.header.Get("X-Voucherify-Signature") != hmacHex(a.Voucherify.WebhookSecret, v.body) {
		t.Errorf("x-voucherify-signature does not verify: %v", v.header)
	}
	var envelope map[string]any
	_ = json.Unmarshal(v.body, &envelope)
	for _, k := range []string{"id", "project_id", "created_at", "type", "data", "source", "event"} {
		if _, ok := envelope[k]; !ok {
			t.Errorf("Voucherify envelope lacks %s: %s", k, v.body)
		}
	}
	if envelope["project_id"] != a.Voucherify.ProjectId || envelope["type"] != "voucher.created" {
		t.Errorf("Voucherify envelope = %s", v.body)
	}
	verifyStandard(t, a.Voucherify.WebhookSecret, v)

	b := byPath["/bird"]
	sum := sha256.Sum256(b.body)
	signed := b.header.Get("Messagebird-Request-Timestamp") + "\n" + hooks.url("/bird") + "\n" + string(sum[:])
	if b.header.Get("Messagebird-Signature") != hmacBase64("bird-key", []byte(signed)) || b.header.Get("Messagebird-Request-Id") == "" {
		t.Errorf("messagebird-signature does not verify: %v", b.header)
	}
	verifyStandard(t, "bird-key", b)

	s := byPath["/superoffice"]
	var so map[string]any
	_ = json.Unmarshal(s.body, &so)
	if s.header.Get("X-Superoffice-Signature") != hmacBase64("so-secret", s.body) || s.header.Get("X-Tenant") != "acme" ||
		s.header.Get("X-Superoffice-Event") != "voucher.created" || s.header.Get("X-Superoffice-Eventid") == "" || s.header.Get("X-Superoffice-Retry") != "0" ||
		so["tier"] != "gold" || so["Event"] != "voucher.created" || so["WebhookName"] != "so" {
		t.Errorf("SuperOffice delivery: %v %s", s.header, s.body)
	}
	verifyStandard(t, "so-secret", s)

	sh := byPath["/shipping"]
	verifyStandard(t, "shipping-secret", sh)
	if !strings.HasPrefix(sh.header.Get("Webhook-Id"), "msg_") || !strings.Contains(string(sh.body), `"type":"shipment.created"`) {
		t.Errorf("Shipping delivery: %v %s", sh.header, sh.body)
	}

	d := discord.wait(t, 1, 10*time.Second)[0]
	var msg struct {
		Embeds []struct {
			Title, Description string
			Color              int
		}
	}
	_ = json.Unmarshal(d.body, &msg)
	if d.path != "/api/v10/channels/987654321098765432/messages" || d.header.Get("Authorization") != "Bot bot-token" ||
		len(msg.Embeds) != 1 || msg.Embeds[0].Title != "HttpTraffic - GET - 500" || msg.Embeds[0].Color != 0xe11d48 {
		t.Errorf("Discord message: %s %v %s", d.path, d.header, d.body)
	}
}

func TestIngestionIsIdempotent(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks := newReceiver(t, nil)
	startEngine(t, env, delivery.Config{}, hooks)
	a := env.CreateAccount(t, "acme")
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a),
		`{"name": "ship", "url": "`+hooks.url("/s")+`", "events": ["shipment.created"]}`, 201)
	first := ingest(t, env, a, `{"id": "order-42", "type": "shipment.created"}`)
	again := ingest(t, env, a, `{"id": "order-42", "type": "shipment.created", "data": {"changed": true}}`)
	if first.Duplicate || !again.Duplicate || again.Id != first.Id || again.Deliveries != 1 || first.Deliveries != 1 {
		t.Fatalf("first %+v, again %+v", first, again)
	}
	hooks.wait(t, 1, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	if n := len(hooks.requests()); n != 1 {
		t.Errorf("receiver got %d deliveries of one idempotent event", n)
	}
	// Another account may use the same id.
	b := env.CreateAccount(t, "globex")
	if other := ingest(t, env, b, `{"id": "order-42", "type": "shipment.created"}`); other.Duplicate {
		t.Errorf("another account's id counted as a duplicate")
	}
}

func TestLogsAndCustomEvents(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	startEngine(t, env, delivery.Config{ScheduleScale: 1e-6}, hooks)
	a := env.CreateAccount(t, "acme")

	// SuperOffice's own custom-event endpoint feeds the pipeline.
	do(t, env, http.MethodPost, "/api/v1/Webhook", apitest.SuperOffice(a), `{"Events": ["order.shipped"], "TargetUrl": "`+hooks.url("/so")+`"}`, 200)
	do(t, env, http.MethodPost, "/api/v1/Webhook/order.shipped/42", apitest.SuperOffice(a), `{"carrier": "PostNL"}`, 204)
	got := hooks.wait(t, 2, 10*time.Second) // a 503, then the retry
	var payload map[string]any
	_ = json.Unmarshal(got[1].body, &payload)
	if payload["Event"] != "order.shipped" || payload["PrimaryKey"] != 42.0 || payload["Entity"] != "order" {
		t.Errorf("custom event payload: %s", got[1].body)
	}

	// Bird's logs.
	var sub gen.WebhookSubscription
	ws := "/workspaces/" + a.Bird.WorkspaceId.String() + "/webhook-subscriptions"
	do(t, env, http.MethodPost, ws, apitest.Bird(a), `{"service": "channels", "event": "sms.outbound", "url": "`+hooks.url("/bird")+`"}`, 201).Decode(t, &sub)
	ingest(t, env, a, `{"type": "sms.outbound"}`)
	hooks.wait(t, 3, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var logs gen.WebhookSubscriptionLogList
		do(t, env, http.MethodGet, ws+"/"+sub.Id.String()+"/logs?executionStatus=success", apitest.Bird(a), "", 200).Decode(t, &logs)
		if len(logs.Results) == 1 && logs.Results[0].HttpStatusCode == 200 && logs.Results[0].AttemptCount == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs = %+v", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var none gen.WebhookSubscriptionLogList
	do(t, env, http.MethodGet, ws+"/"+sub.Id.String()+"/logs?executionStatus=failure", apitest.Bird(a), "", 200).Decode(t, &none)
	if len(none.Results) != 0 {
		t.Errorf("failure logs = %+v", none.Results)
	}

	// The admin listing shows every dialect's deliveries with their attempts. The target has
	// answered the SuperOffice retry; the engine records it just after, so wait for that.
	var list gen.DeliveryList
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		do(t, env, http.MethodGet, "/admin/v1/accounts/"+a.Id.String()+"/deliveries", apitest.Admin(), "", 200).Decode(t, &list)
		if len(list.Results) != 2 {
			t.Fatalf("deliveries = %+v", list.Results)
		}
		if list.Results[1].Status != "pending" || time.Now().After(deadline) {
			break
		}
	}
	so := list.Results[1] // newest first
	if so.Dialect != "superoffice" || so.Status != "succeeded" || so.Attempts != 2 || len(so.AttemptLog) != 2 ||
		so.AttemptLog[0].StatusCode != 503 || so.AttemptLog[1].StatusCode != 200 || so.EventType != "order.shipped" {
		t.Errorf("SuperOffice delivery = %+v", so)
	}
}
