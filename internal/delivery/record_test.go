package delivery_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/delivery/arkyn"
	"github.com/webhookd/webhookd/internal/delivery/formats"
)

func accountPath(a gen.AccountCreated) string { return "/admin/v1/accounts/" + a.Id.String() }

// subscriptionUUID is the subscription's own id, which deliveries show as subscriptionUuid, by
// its dialect's id (unique in the tests' accounts).
func subscriptionUUID(t *testing.T, env *apitest.Env, externalID string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := env.DB.QueryRow(`SELECT id FROM subscriptions WHERE external_id = $1`, externalID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// onlyDelivery is the account's one delivery, once ready holds for it.
func onlyDelivery(t *testing.T, env *apitest.Env, a gen.AccountCreated, ready func(gen.Delivery) bool) gen.Delivery {
	t.Helper()
	var list gen.DeliveryList
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		do(t, env, http.MethodGet, accountPath(a)+"/deliveries", apitest.Admin(), "", 200).Decode(t, &list)
		if len(list.Results) == 1 && ready(list.Results[0]) {
			return list.Results[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries = %+v", list.Results)
		}
	}
}

// waitDelivery is one delivery, read with adminGetDelivery once ready holds for it.
func waitDelivery(t *testing.T, env *apitest.Env, a gen.AccountCreated, id uuid.UUID, ready func(gen.Delivery) bool) gen.Delivery {
	t.Helper()
	var d gen.Delivery
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		do(t, env, http.MethodGet, accountPath(a)+"/deliveries/"+id.String(), apitest.Admin(), "", 200).Decode(t, &d)
		if ready(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery = %+v", d)
		}
	}
}

func settled(d gen.Delivery) bool { return d.Status != gen.DeliveryStatusPending }

// An attempt's request and answer are kept and shown: the request as sent with its signature
// and the credentials redacted, the answer's status, headers and first 4096 bytes (flagged
// when there was more), and what kind of failure it was.
func TestAttemptsRecordWhatWasSentAndAnswered(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	long := strings.Repeat("é", 3000) // 6000 bytes: cut at 4096, in the middle of a character
	hooks := newReceiver(t, func(n int, w http.ResponseWriter) {
		w.Header().Set("X-Debug", "one")
		w.Header().Add("X-Debug", "two")
		w.Header().Set("Set-Cookie", "session=receiver-secret")
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(long))
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	discord := newReceiver(t, nil)
	arkynSettings := arkyn.Settings{DiscordBaseURL: discord.url("/api/v10"), BotToken: "discord-bot-token-never-stored"}
	startEngine(t, env, delivery.Config{ScheduleScale: 1e-6, Formats: formats.New(formats.Settings{Arkyn: arkynSettings})}, hooks, discord)
	a := env.CreateAccount(t, "acme")
	do(t, env, http.MethodPost, "/api/v1/Webhook", apitest.SuperOffice(a),
		`{"Name": "so", "Events": ["sale.changed"], "TargetUrl": "`+hooks.url("/so")+`", "Secret": "so-secret",
		  "Headers": {"Authorization": "Bearer subscriber-own-token", "X-Api-Key": "subscriber-key", "X-Tenant": "acme"}}`, 200)
	ingest(t, env, a, `{"type": "sale.changed", "data": {"id": 7}}`)

	d := onlyDelivery(t, env, a, settled)
	got := hooks.requests()
	if d.Status != gen.DeliveryStatusSucceeded || len(d.AttemptLog) != 2 || len(got) != 2 {
		t.Fatalf("delivery = %+v after %d calls", d, len(got))
	}
	first, second := d.AttemptLog[0], d.AttemptLog[1]
	if first.Trigger != gen.Scheduled || first.ErrorClass != gen.HttpStatus || first.StatusCode != 503 || first.Request == nil || first.Response == nil {
		t.Fatalf("first attempt = %+v", first)
	}
	req := first.Request
	if req.Url != hooks.url("/so") || req.BodyBytes != len(got[0].body) {
		t.Errorf("request = %s, %d bytes; sent %d bytes to %s", req.Url, req.BodyBytes, len(got[0].body), hooks.url("/so"))
	}
	if req.Headers["X-Superoffice-Signature"] != got[0].header.Get("X-Superoffice-Signature") || req.Headers["X-Tenant"] != "acme" ||
		req.Headers["Content-Type"] != "application/json" {
		t.Errorf("request headers = %v, sent %v", req.Headers, got[0].header)
	}
	for _, h := range []string{"Authorization", "X-Api-Key"} {
		if req.Headers[h] != delivery.Redacted {
			t.Errorf("request header %s = %q, want it redacted", h, req.Headers[h])
		}
	}
	resp := first.Response
	if !resp.BodyTruncated || len(resp.Body) < 4094 || !strings.HasPrefix(long, strings.TrimSuffix(resp.Body, "\uFFFD")) {
		t.Errorf("response body = %d bytes, truncated %v", len(resp.Body), resp.BodyTruncated)
	}
	if resp.Headers["X-Debug"] != "one, two" || resp.Headers["Set-Cookie"] != delivery.Redacted {
		t.Errorf("response headers = %v", resp.Headers)
	}
	if second.ErrorClass != gen.None || second.Error != "" || second.Response == nil || second.Response.Body != `{"ok":true}` ||
		second.Response.BodyTruncated || second.StatusCode != 200 {
		t.Errorf("second attempt = %+v", second)
	}

	// Arkyn's Discord bot token is sent, never kept.
	login := apitest.ArkynLogin(t, env, a)
	do(t, env, http.MethodPut, "/webhooks/"+a.Arkyn.TrafficSourceId.String(), login, `{"discordChannelId": "987654321098765432"}`, 200)
	ingest(t, env, a, `{"type": "http.traffic", "data": {"method": "get", "status": 200}, "scope": {"arkynTrafficSourceId": "`+a.Arkyn.TrafficSourceId.String()+`"}}`)
	if sent := discord.wait(t, 1, 10*time.Second)[0]; sent.header.Get("Authorization") != "Bot discord-bot-token-never-stored" {
		t.Fatalf("Discord got %v", sent.header)
	}
	var list gen.DeliveryList
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		do(t, env, http.MethodGet, accountPath(a)+"/deliveries?dialect=arkyn", apitest.Admin(), "", 200).Decode(t, &list)
		if len(list.Results) == 1 && len(list.Results[0].AttemptLog) == 1 || time.Now().After(deadline) {
			break
		}
	}
	if len(list.Results) != 1 || len(list.Results[0].AttemptLog) != 1 || list.Results[0].AttemptLog[0].Request.Headers["Authorization"] != delivery.Redacted {
		t.Fatalf("Arkyn delivery = %+v", list.Results)
	}
	var leaks int
	if err := env.DB.QueryRow(`SELECT count(*) FROM delivery_attempts a WHERE a::text ~ '(discord-bot-token|subscriber-own-token|subscriber-key|receiver-secret)'`).Scan(&leaks); err != nil {
		t.Fatal(err)
	}
	if leaks != 0 {
		t.Errorf("%d attempts keep a credential", leaks)
	}
}

// Each way a call can fail is told apart: no answer in time, nothing listening, a certificate
// handshake that fails, an address the egress policy refuses, an answer other than 2xx.
func TestAttemptsClassifyTheirFailures(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hanging := newReceiver(t, func(int, http.ResponseWriter) { time.Sleep(3 * time.Second) }) // past the attempt's limit
	refusing := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) })
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})) // no TLS at all
	t.Cleanup(plain.Close)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	_ = closed.Close()

	// example.com reaches the receivers on 127.0.0.1, and so does tls.example.org, which their
	// certificate does not name; blocked.example.com is 127.0.0.2, which the policy does not allow.
	transport := loopbackTransport([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, hanging, refusing)
	dial := transport.DialContext
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		switch host, port, _ := net.SplitHostPort(addr); host {
		case "blocked.example.com":
			addr = net.JoinHostPort("127.0.0.2", port)
		case "tls.example.org":
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return dial(ctx, network, addr)
	}
	startEngine(t, env, delivery.Config{Transport: transport, AttemptTimeout: time.Second, ScheduleScale: 1e-6}, hanging, refusing)
	a := env.CreateAccount(t, "acme")
	_, plainPort, _ := net.SplitHostPort(plain.Listener.Addr().String())
	want := map[string]gen.DeliveryAttemptErrorClass{
		hanging.url("/hang"):                                     gen.Timeout,
		refusing.url("/refuse"):                                  gen.HttpStatus,
		"https://example.com:" + plainPort + "/plain":            gen.Tls,
		"https://tls.example.org:" + refusing.port():             gen.Tls,
		"https://example.com:" + strconv.Itoa(closedPort) + "/x": gen.Connection,
		"https://blocked.example.com:" + refusing.port():         gen.Blocked,
	}
	for url := range want {
		do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a),
			`{"name": "s", "url": "`+url+`", "events": ["shipment.created"]}`, 201)
	}
	ingest(t, env, a, `{"type": "shipment.created"}`)
	var list gen.DeliveryList
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		do(t, env, http.MethodGet, accountPath(a)+"/deliveries", apitest.Admin(), "", 200).Decode(t, &list)
		logged := 0
		for _, d := range list.Results {
			if len(d.AttemptLog) > 0 {
				logged++
			}
		}
		if logged == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries = %+v", list.Results)
		}
	}
	for _, d := range list.Results {
		at := d.AttemptLog[0]
		if at.Request == nil {
			t.Fatalf("attempt without its request: %+v", at)
		}
		if at.ErrorClass != want[at.Request.Url] || at.Error == "" {
			t.Errorf("%s: class %s (%s), want %s", at.Request.Url, at.ErrorClass, at.Error, want[at.Request.Url])
		}
		if answered := at.ErrorClass == gen.HttpStatus; (at.Response != nil) != answered {
			t.Errorf("%s: response %+v", at.Request.Url, at.Response)
		}
	}
}

// A failed delivery resent once its receiver is back succeeds with a manual attempt; resent
// while it still fails, it settles as failed again without a schedule and without counting
// toward disabling the subscription; a pending delivery's failed manual attempt leaves its
// schedule as it was.
func TestResend(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	var up atomic.Bool
	hooks := newReceiver(t, func(_ int, w http.ResponseWriter) {
		if !up.Load() {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	startEngine(t, env, delivery.Config{ScheduleScale: 1e-6}, hooks)
	a := env.CreateAccount(t, "acme")
	webhook := apitest.CreateSuperOfficeWebhook(t, env, a, `{"Name": "so", "Events": ["sale.changed"], "TargetUrl": "`+hooks.url("/so")+`"}`)
	subID := subscriptionUUID(t, env, strconv.Itoa(int(webhook)))
	ingest(t, env, a, `{"type": "sale.changed"}`)
	failed := onlyDelivery(t, env, a, settled)
	if failed.Status != gen.DeliveryStatusFailed || failed.Attempts != 3 || failed.SubscriptionUuid != subID {
		t.Fatalf("delivery = %+v, want failed after SuperOffice's 3 attempts", failed)
	}
	streak := func() int {
		var n int
		if err := env.DB.QueryRow(`SELECT consecutive_failures FROM subscriptions WHERE id = $1`, subID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if streak() != 1 {
		t.Fatalf("streak = %d after one failed delivery", streak())
	}
	resend := accountPath(a) + "/deliveries/" + failed.Id.String() + "/resend"

	// Still failing: one manual attempt, failed again, the streak untouched.
	var queued gen.Delivery
	do(t, env, http.MethodPost, resend, apitest.Admin(), "", 202).Decode(t, &queued)
	if queued.Status != gen.DeliveryStatusPending || queued.Id != failed.Id {
		t.Errorf("resend answered %+v", queued)
	}
	again := waitDelivery(t, env, a, failed.Id, func(d gen.Delivery) bool { return settled(d) && d.Attempts == 4 })
	time.Sleep(100 * time.Millisecond) // no schedule follows
	again = waitDelivery(t, env, a, failed.Id, settled)
	if again.Status != gen.DeliveryStatusFailed || again.Attempts != 4 || again.AttemptLog[3].Trigger != gen.Manual || again.AttemptLog[3].Attempt != 4 {
		t.Errorf("after a failed manual attempt: %+v", again)
	}
	if streak() != 1 {
		t.Errorf("streak = %d: a manual attempt's failure counted", streak())
	}

	// Back up: the resent delivery succeeds.
	up.Store(true)
	do(t, env, http.MethodPost, resend, apitest.Admin(), "", 202)
	ok := waitDelivery(t, env, a, failed.Id, settled)
	if ok.Status != gen.DeliveryStatusSucceeded || ok.Attempts != 5 || ok.AttemptLog[4].Trigger != gen.Manual || ok.AttemptLog[4].ErrorClass != gen.None {
		t.Errorf("after the receiver recovered: %+v", ok)
	}
	// A succeeded delivery can be sent again too.
	do(t, env, http.MethodPost, resend, apitest.Admin(), "", 202)
	waitDelivery(t, env, a, failed.Id, func(d gen.Delivery) bool { return settled(d) && d.Attempts == 6 })
	if n := len(hooks.requests()); n != 6 {
		t.Errorf("receiver got %d calls, want 6", n)
	}
}

// A pending delivery's failed manual attempt leaves its schedule where it was.
func TestResendingAPendingDeliveryKeepsItsSchedule(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) })
	startEngine(t, env, delivery.Config{ScheduleScale: 1}, hooks) // Shipping's first retry is 5 s away
	a := env.CreateAccount(t, "acme")
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a),
		`{"name": "s", "url": "`+hooks.url("/s")+`", "events": ["shipment.created"]}`, 201)
	ingest(t, env, a, `{"type": "shipment.created"}`)
	pending := onlyDelivery(t, env, a, func(d gen.Delivery) bool { return d.Attempts == 1 })
	if pending.Status != gen.DeliveryStatusPending {
		t.Fatalf("after one failure: %+v", pending)
	}
	do(t, env, http.MethodPost, accountPath(a)+"/deliveries/"+pending.Id.String()+"/resend", apitest.Admin(), "", 202)
	after := waitDelivery(t, env, a, pending.Id, func(d gen.Delivery) bool { return d.Attempts == 2 })
	if after.Status != gen.DeliveryStatusPending || !after.NextAttemptAt.Equal(pending.NextAttemptAt) || after.AttemptLog[1].Trigger != gen.Manual {
		t.Errorf("after a failed manual attempt: %+v; next attempt was %v", after, pending.NextAttemptAt)
	}
	// The schedule goes on with its own next attempt (the first retry), not a later one.
	third := waitDelivery(t, env, a, pending.Id, func(d gen.Delivery) bool { return d.Attempts == 3 })
	if third.AttemptLog[2].Trigger != gen.Scheduled || third.NextAttemptAt.Sub(third.AttemptLog[2].CreatedAt) < 4*time.Minute {
		t.Errorf("the schedule's retry: %+v (next at %v, want the second retry 5 min on)", third.AttemptLog[2], third.NextAttemptAt)
	}
}

// Recovery after an outage queues exactly the failed deliveries of the window, which then
// succeed with a fresh schedule and continued attempt numbers; a second call queues nothing.
func TestRecoverAfterAnOutage(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	var up atomic.Bool
	up.Store(true)
	hooks := newReceiver(t, func(_ int, w http.ResponseWriter) {
		if !up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	startEngine(t, env, delivery.Config{ScheduleScale: 1e-7}, hooks)
	a := env.CreateAccount(t, "acme")
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a),
		`{"name": "s", "url": "`+hooks.url("/s")+`", "events": ["shipment.created"]}`, 201)
	ingest(t, env, a, `{"type": "shipment.created"}`)
	subID := onlyDelivery(t, env, a, settled).SubscriptionUuid
	since := time.Now()
	up.Store(false)
	for range 3 {
		ingest(t, env, a, `{"type": "shipment.created"}`)
	}
	var list gen.DeliveryList
	// Each delivery runs through Shipping's whole schedule first: on a loaded machine (Citus
	// under CI) that took over 20 s.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		do(t, env, http.MethodGet, accountPath(a)+"/deliveries?status=failed", apitest.Admin(), "", 200).Decode(t, &list)
		if len(list.Results) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("failed deliveries = %+v", list.Results)
		}
	}
	up.Store(true)
	recover := accountPath(a) + "/subscriptions/" + subID.String() + "/recover"
	body := `{"since": "` + since.UTC().Format(time.RFC3339Nano) + `"}`
	var got gen.RecoverResult
	do(t, env, http.MethodPost, recover, apitest.Admin(), body, 202).Decode(t, &got)
	if got.Queued != 3 || got.More {
		t.Errorf("recover = %+v, want the 3 failed deliveries", got)
	}
	do(t, env, http.MethodPost, recover, apitest.Admin(), body, 202).Decode(t, &got)
	if got.Queued != 0 {
		t.Errorf("a second recover queued %d", got.Queued)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		do(t, env, http.MethodGet, accountPath(a)+"/deliveries?status=succeeded&subscriptionUuid="+subID.String(), apitest.Admin(), "", 200).Decode(t, &list)
		if len(list.Results) == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("succeeded deliveries = %+v", list.Results)
		}
	}
	for _, d := range list.Results[:3] {
		n := len(d.AttemptLog)
		last := d.AttemptLog[n-1]
		if n < 2 || last.Attempt != n || last.Trigger != gen.Scheduled || last.ErrorClass != gen.None || d.AttemptLog[n-2].ErrorClass != gen.HttpStatus {
			t.Errorf("recovered delivery = %+v", d)
		}
	}
	if before := list.Results[3]; len(before.AttemptLog) != 1 {
		t.Errorf("the delivery before the window = %+v", before)
	}
}

// A test event goes to its one subscription only, and is listed like any other.
func TestTestEvent(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks := newReceiver(t, nil)
	startEngine(t, env, delivery.Config{}, hooks)
	a := env.CreateAccount(t, "acme")
	var sub struct{ Data struct{ Id string } }
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a),
		`{"name": "s", "url": "`+hooks.url("/one")+`", "events": ["shipment.created", "shipment.updated"], "secret": "test-secret"}`, 201).Decode(t, &sub)
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a),
		`{"name": "other", "url": "`+hooks.url("/other")+`", "events": ["shipment.created", "shipment.updated"]}`, 201)
	path := accountPath(a) + "/subscriptions/" + subscriptionUUID(t, env, sub.Data.Id).String() + "/test"

	var first, second gen.TestEventQueued
	do(t, env, http.MethodPost, path, apitest.Admin(), "", 202).Decode(t, &first)
	do(t, env, http.MethodPost, path, apitest.Admin(), `{"eventType": "shipment.updated"}`, 202).Decode(t, &second)
	got := hooks.wait(t, 2, 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	if n := len(hooks.requests()); n != 2 {
		t.Fatalf("receivers got %d calls, want 2", n)
	}
	for _, r := range got {
		if r.path != "/one" {
			t.Errorf("a test event reached %s", r.path)
		}
		verifyStandard(t, "test-secret", r)
	}
	if !strings.Contains(string(got[0].body)+string(got[1].body), `"type":"shipment.created"`) ||
		!strings.Contains(string(got[0].body)+string(got[1].body), `"type":"shipment.updated"`) {
		t.Errorf("bodies: %s / %s", got[0].body, got[1].body)
	}

	var ev gen.EventRecord
	do(t, env, http.MethodGet, accountPath(a)+"/events/"+second.EventId.String(), apitest.Admin(), "", 200).Decode(t, &ev)
	if ev.Type != "shipment.updated" || !strings.HasPrefix(ev.ExternalId, "test_") || ev.Data["test"] != true || ev.Scope == nil || ev.Scope.Dialect != "shipping" {
		t.Errorf("test event = %+v", ev)
	}
	var events gen.EventList
	do(t, env, http.MethodGet, accountPath(a)+"/events", apitest.Admin(), "", 200).Decode(t, &events)
	if len(events.Results) != 2 || events.Results[0].Id != second.EventId || events.Results[1].Id != first.EventId {
		t.Errorf("events = %+v", events.Results)
	}
	d := waitDelivery(t, env, a, first.DeliveryId, settled)
	if d.Status != gen.DeliveryStatusSucceeded || d.EventId != first.EventId || d.EventType != "shipment.created" {
		t.Errorf("test delivery = %+v", d)
	}

	// A type the subscription does not receive is refused, and nothing is queued.
	resp := do(t, env, http.MethodPost, path, apitest.Admin(), `{"eventType": "parcel.lost"}`, 400)
	if !strings.Contains(string(resp.Body), "shipment.created") {
		t.Errorf("refusal: %s", resp.Body)
	}
	do(t, env, http.MethodGet, accountPath(a)+"/events", apitest.Admin(), "", 200).Decode(t, &events)
	if len(events.Results) != 2 {
		t.Errorf("%d events after a refused test event", len(events.Results))
	}
}

// A delivery to a disabled subscription is not resent, nor its subscription recovered or
// tested: the answer says to enable it first.
func TestDisabledSubscriptionsAreNotDeliveredTo(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks := newReceiver(t, nil)
	startEngine(t, env, delivery.Config{}, hooks)
	a := env.CreateAccount(t, "acme")
	path := "/management/v1/projects/" + a.Voucherify.ProjectId + "/webhooks"
	var hook gen.ManagementProjectsWebhook
	body := `{"target_url": "` + hooks.url("/v") + `", "events": ["voucher.created"]}`
	do(t, env, http.MethodPost, path, apitest.Voucherify(a), body, 200).Decode(t, &hook)
	ingest(t, env, a, `{"type": "voucher.created"}`)
	d := onlyDelivery(t, env, a, settled)
	do(t, env, http.MethodPut, path+"/"+hook.Id, apitest.Voucherify(a), `{"target_url": "`+hooks.url("/v")+`", "events": ["voucher.created"], "active": false}`, 200)
	subID := subscriptionUUID(t, env, hook.Id)
	for _, p := range []struct{ path, body string }{
		{accountPath(a) + "/deliveries/" + d.Id.String() + "/resend", ""},
		{accountPath(a) + "/subscriptions/" + subID.String() + "/recover", `{"since": "2020-01-01T00:00:00Z"}`},
		{accountPath(a) + "/subscriptions/" + subID.String() + "/test", `{}`},
	} {
		resp := do(t, env, http.MethodPost, p.path, apitest.Admin(), p.body, 409)
		if m := resp.Map(t); m["code"] != "conflict" || !strings.Contains(m["message"].(string), "enable the subscription first") {
			t.Errorf("%s: %s", p.path, resp.Body)
		}
	}
	after := waitDelivery(t, env, a, d.Id, settled)
	if after.Attempts != 1 || after.Status != gen.DeliveryStatusSucceeded {
		t.Errorf("delivery after refusals = %+v", after)
	}
}
