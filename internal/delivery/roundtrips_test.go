package delivery_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
)

// The engine's statements per delivery stay those of its batches: a look for due accounts, a
// claim and an outcome statement per batch of an account. The attempt log, the wake-ups and
// what the subscriptions keep of a failure (its last error), however much they record, ride in
// the outcome and claim statements.
func TestRoundTripsPerDelivery(t *testing.T) {
	t.Parallel()
	const events = 200
	for _, c := range []struct {
		name string
		fail bool // the first attempt of each delivery fails
	}{{"all succeed", false}, {"first attempts fail", true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t)
			failed := map[string]bool{}
			hooks := newReceiver(t, nil)
			hooks.respond = func(n int, w http.ResponseWriter) {}
			if c.fail {
				hooks.respond = func(n int, w http.ResponseWriter) {
					got := hooks.requests()[n-1]
					id := got.header.Get("Webhook-Id")
					hooks.mu.Lock()
					first := !failed[id]
					failed[id] = true
					hooks.mu.Unlock()
					if first {
						w.WriteHeader(http.StatusServiceUnavailable)
					}
				}
			}
			a := env.CreateAccount(t, "acme")
			do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a),
				`{"name": "s", "url": "`+hooks.url("/s")+`", "events": ["shipment.created"]}`, 201)
			batch := `{"events": [`
			for i := range events {
				if i > 0 {
					batch += ","
				}
				batch += `{"type": "shipment.created"}`
			}
			do(t, env, http.MethodPost, "/ingest/v1/event-batches", apitest.Header("Authorization", "Bearer "+a.Ingest.Key), batch+`]}`, 202)
			engine := newEngine(t, env, delivery.Config{
				Transport:    loopbackTransport([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, hooks),
				PollInterval: 200 * time.Millisecond, ScheduleScale: 1e-6, BreakAfter: 1 << 20,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			statements := delivery.CountStatements(engine)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = engine.Run(ctx) }()
			want := events
			if c.fail {
				want *= 2
			}
			hooks.wait(t, want, 30*time.Second)
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				var unsettled int
				if err := env.DB.QueryRow(`SELECT count(*) FROM deliveries WHERE status <> 'succeeded'`).Scan(&unsettled); err != nil {
					t.Fatal(err)
				}
				if unsettled == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d deliveries unsettled", unsettled)
				}
			}
			cancel()
			<-done
			claims, finishes, all := statements.Count("ClaimDeliveryBatch"), statements.Count("FinishDeliveries"), statements.Count("")
			releases, looks := statements.Count("ReleaseDeliveries"), statements.Count("TakeDueAccounts")
			t.Logf("%s: %d statements for %d deliveries (%d calls): %d looks for due accounts (idle polls included), %d claims, %d outcome statements, %d hand-backs; %.3f per delivery",
				c.name, all, events, want, looks, claims, finishes, releases, float64(all)/events)
			// Nothing more per attempt, failed or not. Batches depend on timing (and so do
			// hand-backs of calls queued behind a busy target): at most one outcome statement per call.
			if all != looks+claims+finishes+releases {
				t.Errorf("%d statements besides looks, claims, outcomes and hand-backs", all-looks-claims-finishes-releases)
			}
			if claims > looks+want {
				t.Errorf("%d claims for %d looks and %d calls", claims, looks, want)
			}
			if finishes > want {
				t.Errorf("%d outcome statements for %d calls", finishes, want)
			}
		})
	}
}
