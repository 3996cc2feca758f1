package delivery_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
)

// lockedBuffer collects log lines written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// standardVerifies tells whether a Standard Webhooks receiver holding secret accepts r, as the
// published library judges it.
func standardVerifies(t *testing.T, secret string, r received) bool {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString([]byte(secret)))
	if err != nil {
		t.Fatal(err)
	}
	return wh.Verify(r.body, r.header) == nil
}

// birdSigned is Bird's signature of r with key, computed here from Bird's documented formula.
func birdSigned(key, url string, r received) string {
	sum := sha256.Sum256(r.body)
	return hmacBase64(key, []byte(r.header.Get("Messagebird-Request-Timestamp")+"\n"+url+"\n"+string(sum[:])))
}

// subscriptionUUID is the internal id of the account's one subscription of dialect.
func dialectSubscriptionUUID(t *testing.T, env *apitest.Env, a gen.AccountCreated, dialect string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := env.DB.QueryRow(`SELECT id FROM subscriptions WHERE account_id = $1 AND dialect = $2`, a.Id, dialect).Scan(&id); err != nil {
		t.Fatalf("%s subscription: %v", dialect, err)
	}
	return id
}

func rotate(t *testing.T, env *apitest.Env, a gen.AccountCreated, id uuid.UUID, body string) gen.RotatedSecret {
	t.Helper()
	resp := do(t, env, http.MethodPost, "/admin/v1/accounts/"+a.Id.String()+"/subscriptions/"+id.String()+"/rotate-secret", apitest.Admin(), body, 200)
	var out gen.RotatedSecret
	resp.Decode(t, &out)
	return out
}

// byPath waits for n requests and indexes them by path.
func byPath(t *testing.T, r *receiver, from, n int) map[string]received {
	t.Helper()
	out := map[string]received{}
	for _, got := range r.wait(t, from+n, 10*time.Second)[from:] {
		out[got.path] = got
	}
	return out
}

// A rotation keeps the replaced secret signing beside the new one for its window, each scheme
// as the spec states: Standard Webhooks lists both signatures, a vendor's single-value header
// keeps the previous secret's and <header>-Next carries the new one's. Once the window is over
// only the new secret signs. Signatures are checked independently of the service's signing
// code: HMACs computed here, Standard Webhooks by its published library. No secret is logged.
func TestRotatedSecretsSignDuringTheWindowThenOnlyTheNew(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	env := apitest.New(t, func(c *handlers.Config) { c.Logger = logger })
	hooks := newReceiver(t, nil)
	startEngine(t, env, delivery.Config{Logger: logger}, hooks)
	a := env.CreateAccount(t, "acme")

	do(t, env, http.MethodPost, apitest.VoucherifyWebhooksPath(a), apitest.Voucherify(a),
		`{"target_url": "`+hooks.url("/voucherify")+`", "events": ["voucher.created"]}`, 200)
	do(t, env, http.MethodPost, apitest.BirdSubscriptionsPath(a), apitest.Bird(a),
		`{"service": "channels", "event": "sms.outbound", "url": "`+hooks.url("/bird")+`", "signingKey": "bird-key-0"}`, 201)
	do(t, env, http.MethodPost, apitest.SuperOfficeWebhooksPath, apitest.SuperOffice(a),
		`{"Name": "so", "Events": ["voucher.created"], "TargetUrl": "`+hooks.url("/superoffice")+`", "Secret": "so-secret-0"}`, 200)
	do(t, env, http.MethodPost, apitest.ShippingSubscriptionsPath, apitest.Shipping(a),
		`{"name": "ship", "url": "`+hooks.url("/shipping")+`", "events": ["shipment.created"], "secret": "shipping-secret-0"}`, 201)
	dialects := []string{"voucherify", "bird", "superoffice", "shipping"}
	ids := map[string]uuid.UUID{}
	for _, d := range dialects {
		ids[d] = dialectSubscriptionUUID(t, env, a, d)
	}
	old := map[string]string{"voucherify": a.Voucherify.WebhookSecret, "bird": "bird-key-0", "superoffice": "so-secret-0", "shipping": "shipping-secret-0"}
	sendEvents := func() {
		ingest(t, env, a, `{"type": "voucher.created", "data": {"code": "SPRING"}}`)
		ingest(t, env, a, `{"type": "sms.outbound", "data": {"to": "+31"}}`)
		ingest(t, env, a, `{"type": "shipment.created", "data": {"parcel": 7}}`)
	}

	// A window long enough that every delivery below is signed inside it.
	current := map[string]string{}
	for _, d := range dialects {
		body := `{"overlapSeconds": 600}`
		if d == "shipping" {
			body = `{"secret": "shipping-secret-1", "overlapSeconds": 600}`
		}
		r := rotate(t, env, a, ids[d], body)
		until, err := r.PreviousValidUntil.Get()
		if r.Secret == "" || r.Secret == old[d] || err != nil || until.Before(time.Now().Add(590*time.Second)) {
			t.Fatalf("%s rotation = %+v", d, r)
		}
		current[d] = r.Secret
	}
	if current["shipping"] != "shipping-secret-1" {
		t.Errorf("shipping's given secret came back as %q", current["shipping"])
	}
	sendEvents()
	during := byPath(t, hooks, 0, 4)
	checkBoth := func(d, header string, sign func(key string, r received) string) {
		t.Helper()
		r := during["/"+d]
		if got := r.header.Get(header); got != sign(old[d], r) {
			t.Errorf("%s: %s = %q, want the previous secret's signature", d, header, got)
		}
		if got := r.header.Get(header + "-Next"); got != sign(current[d], r) {
			t.Errorf("%s: %s-Next = %q, want the new secret's signature", d, header, got)
		}
	}
	checkBoth("voucherify", "X-Voucherify-Signature", func(key string, r received) string { return hmacHex(key, r.body) })
	checkBoth("bird", "Messagebird-Signature", func(key string, r received) string { return birdSigned(key, hooks.url("/bird"), r) })
	checkBoth("superoffice", "X-Superoffice-Signature", func(key string, r received) string { return hmacBase64(key, r.body) })
	for _, d := range dialects {
		r := during["/"+d]
		if !standardVerifies(t, old[d], r) || !standardVerifies(t, current[d], r) {
			t.Errorf("%s: during the window webhook-signature %q does not verify with both secrets", d, r.header.Get("Webhook-Signature"))
		}
		if sigs := strings.Fields(r.header.Get("Webhook-Signature")); len(sigs) != 2 {
			t.Errorf("%s: webhook-signature = %v, want two signatures", d, sigs)
		}
	}

	// Rotating again inside the window takes force, which stops the oldest secret at once; the
	// secret it replaces keeps signing for one second.
	var last time.Time
	newest := map[string]string{}
	for _, d := range dialects {
		do(t, env, http.MethodPost, "/admin/v1/accounts/"+a.Id.String()+"/subscriptions/"+ids[d].String()+"/rotate-secret",
			apitest.Admin(), `{"overlapSeconds": 1}`, http.StatusConflict)
		r := rotate(t, env, a, ids[d], `{"overlapSeconds": 1, "force": true}`)
		until, _ := r.PreviousValidUntil.Get()
		if until.After(last) {
			last = until
		}
		newest[d] = r.Secret
	}
	time.Sleep(time.Until(last) + 100*time.Millisecond)
	sendEvents()
	after := byPath(t, hooks, 4, 4)
	checkOnlyNew := func(d, header string, sign func(key string, r received) string) {
		t.Helper()
		r := after["/"+d]
		if got := r.header.Get(header); got != sign(newest[d], r) {
			t.Errorf("%s: after the window %s = %q, want the new secret's signature", d, header, got)
		}
		if got := r.header.Values(header + "-Next"); len(got) != 0 {
			t.Errorf("%s: after the window %s-Next = %v, want none", d, header, got)
		}
	}
	checkOnlyNew("voucherify", "X-Voucherify-Signature", func(key string, r received) string { return hmacHex(key, r.body) })
	checkOnlyNew("bird", "Messagebird-Signature", func(key string, r received) string { return birdSigned(key, hooks.url("/bird"), r) })
	checkOnlyNew("superoffice", "X-Superoffice-Signature", func(key string, r received) string { return hmacBase64(key, r.body) })
	for _, d := range dialects {
		r := after["/"+d]
		if !standardVerifies(t, newest[d], r) {
			t.Errorf("%s: after the window webhook-signature does not verify with the new secret", d)
		}
		if standardVerifies(t, current[d], r) || standardVerifies(t, old[d], r) {
			t.Errorf("%s: after the window a replaced secret still verifies", d)
		}
	}

	out := logs.String()
	for _, d := range dialects {
		for _, s := range []string{old[d], current[d], newest[d]} {
			if strings.Contains(out, s) {
				t.Errorf("the logs contain a %s secret", d)
			}
		}
		if !strings.Contains(out, "action=rotate_secret") || !strings.Contains(out, "subscription_id="+ids[d].String()) {
			t.Errorf("no audit line for rotating %s's secret", d)
		}
	}
}

// A Bird subscription without a signingKey gets one: nothing was signed before, so there is no
// window, and its next delivery is signed by the new key alone.
func TestRotationGivesABirdSubscriptionItsFirstKey(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks := newReceiver(t, nil)
	startEngine(t, env, delivery.Config{}, hooks)
	a := env.CreateAccount(t, "acme")
	do(t, env, http.MethodPost, apitest.BirdSubscriptionsPath(a), apitest.Bird(a),
		`{"service": "channels", "event": "sms.outbound", "url": "`+hooks.url("/bird")+`"}`, 201)
	r := rotate(t, env, a, dialectSubscriptionUUID(t, env, a, "bird"), `{}`)
	if !r.PreviousValidUntil.IsNull() || len(r.Secret) != 64 {
		t.Fatalf("first key = %+v, want a random key and no window", r)
	}
	ingest(t, env, a, `{"type": "sms.outbound", "data": {"to": "+31"}}`)
	got := hooks.wait(t, 1, 10*time.Second)[0]
	if got.header.Get("Messagebird-Signature") != birdSigned(r.Secret, hooks.url("/bird"), got) || got.header.Get("Messagebird-Signature-Next") != "" {
		t.Errorf("delivery headers %v, want messagebird-signature by the new key alone", got.header)
	}
	if !standardVerifies(t, r.Secret, got) || len(strings.Fields(got.header.Get("Webhook-Signature"))) != 1 {
		t.Errorf("webhook-signature %q, want one signature by the new key", got.header.Get("Webhook-Signature"))
	}
}
