package delivery_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
)

func TestShutdownHandsBackWhatItCannotFinish(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	release := make(chan struct{})
	hooks := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			<-release
		}
	})
	defer close(release)
	a := env.CreateAccount(t, "acme")
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a), `{"name": "s", "url": "`+hooks.url("/s")+`", "events": ["shipment.created"]}`, 201)
	ingest(t, env, a, `{"type": "shipment.created"}`)

	transport := loopbackTransport([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, hooks)
	cfg := delivery.Config{Transport: transport, PollInterval: 10 * time.Millisecond, DrainTimeout: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	// SIGTERM: the call in flight cannot finish within the drain time.
	status, leasedBy, attempts := stopDuringFirstCall(t, env, cfg, hooks)
	if status != "pending" || leasedBy != "" || attempts != 0 {
		t.Fatalf("after shutdown: status %s, leased by %q, %d attempts; want it handed back untouched", status, leasedBy, attempts)
	}
	// The next instance picks it up at once, without waiting for a lease to expire.
	startEngine(t, env, delivery.Config{}, hooks)
	got := hooks.wait(t, 2, 5*time.Second)
	if got[0].header.Get("Webhook-Id") != got[1].header.Get("Webhook-Id") {
		t.Errorf("the handed-back delivery was not the one redone")
	}
}

func withContentType(h http.Header, ct string) http.Header {
	h = h.Clone()
	h.Set("Content-Type", ct)
	return h
}

func TestAnAttemptTimesOut(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hang := make(chan struct{})
	hooks := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			<-hang
		}
	})
	defer close(hang)
	// Long enough for the retry's new TLS connection on a busy machine.
	startEngine(t, env, delivery.Config{AttemptTimeout: time.Second, ScheduleScale: 1e-6}, hooks)
	a := env.CreateAccount(t, "acme")
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a), `{"name": "s", "url": "`+hooks.url("/s")+`", "events": ["shipment.created"]}`, 201)
	ingest(t, env, a, `{"type": "shipment.created"}`)
	hooks.wait(t, 2, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var list gen.DeliveryList
		do(t, env, http.MethodGet, "/admin/v1/accounts/"+a.Id.String()+"/deliveries", apitest.Admin(), "", 200).Decode(t, &list)
		if len(list.Results) == 1 && list.Results[0].Status == "succeeded" {
			if log := list.Results[0].AttemptLog; len(log) != 2 || !strings.Contains(log[0].Error, "did not answer within 1s") {
				t.Errorf("attempts = %+v", log)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries = %+v", list.Results)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopDuringFirstCall runs an engine, stops it (as SIGTERM does) while its first call is in
// flight, waits for Run to return after the drain, and reads the one delivery's state.
func stopDuringFirstCall(t *testing.T, env *apitest.Env, cfg delivery.Config, hooks *receiver) (status, leasedBy string, attempts int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	engine := newEngine(t, env, cfg)
	go func() { defer close(done); _ = engine.Run(ctx) }()
	hooks.wait(t, 1, 10*time.Second)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its drain time")
	}
	if err := env.DB.QueryRow("SELECT status, leased_by, attempts FROM deliveries").Scan(&status, &leasedBy, &attempts); err != nil {
		t.Fatal(err)
	}
	return status, leasedBy, attempts
}
