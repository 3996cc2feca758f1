package delivery_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
)

func TestBodiesCarryTextAsIngested(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks := newReceiver(t, nil)
	startEngine(t, env, delivery.Config{}, hooks)
	a := env.CreateAccount(t, "acme")
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a),
		`{"name": "s", "url": "`+hooks.url("/shipping")+`", "events": ["shipment.created"], "secret": "shipping-secret"}`, 201)
	do(t, env, http.MethodPost, "/api/v1/Webhook", apitest.SuperOffice(a),
		`{"Events": ["shipment.created"], "TargetUrl": "`+hooks.url("/superoffice")+`", "Secret": "so-secret", "Properties": {"tag": "a <b> & c\u2028d\u2029"}}`, 200)
	ingest(t, env, a, `{"type": "shipment.created", "data": {"text": "a <b> & c\u2028d\u2029"}}`)
	for _, r := range hooks.wait(t, 2, 10*time.Second) {
		for _, escaped := range []string{`\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`} {
			if bytes.Contains(r.body, []byte(escaped)) {
				t.Errorf("%s body escapes %s: %s", r.path, escaped, r.body)
			}
		}
		if !bytes.Contains(r.body, []byte("a <b> & c\u2028d\u2029")) || bytes.HasSuffix(r.body, []byte("\n")) {
			t.Errorf("%s body = %q", r.path, r.body)
		}
		switch r.path {
		case "/shipping":
			verifyStandard(t, "shipping-secret", r)
		case "/superoffice":
			if r.header.Get("X-Superoffice-Signature") != hmacBase64("so-secret", r.body) || !bytes.Contains(r.body, []byte(`"tag":"a <b> & c`+"\u2028d\u2029")) {
				t.Errorf("SuperOffice delivery: %v %s", r.header, r.body)
			}
			verifyStandard(t, "so-secret", r)
		}
	}
}

// A call whose answer arrived but whose body was still being read when the drain ran out is
// recorded at once, not left leased until the lease ends.
func TestTheOutcomeOfACallCutByTheDrainIsWritten(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	release := make(chan struct{})
	hooks := newReceiver(t, func(n int, w http.ResponseWriter) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-release
	})
	defer close(release)
	a := env.CreateAccount(t, "acme")
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a), `{"name": "s", "url": "`+hooks.url("/s")+`", "events": ["shipment.created"]}`, 201)
	ingest(t, env, a, `{"type": "shipment.created"}`)

	cfg := delivery.Config{Transport: loopbackTransport([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, hooks),
		// The drain must outlast the answer's headers, which arrive just after the call does.
		PollInterval: 10 * time.Millisecond, DrainTimeout: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	status, leasedBy, attempts := stopDuringFirstCall(t, env, cfg, hooks)
	if status != "succeeded" || leasedBy != "" || attempts != 1 {
		t.Fatalf("after shutdown: status %s, leased by %q, %d attempts; want the answer recorded", status, leasedBy, attempts)
	}
}
