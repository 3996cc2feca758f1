package retention_test

import (
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/egress"
	"github.com/webhookd/webhookd/internal/pgtest"
	"github.com/webhookd/webhookd/internal/retention"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// An hour's retention cuts history into slices of two minutes.
const testRetention = time.Hour

// newKeeper prepares conn's database as a service would start on it, after its catch-up slice
// (empty here) has expired, so that tests can place slices in the past.
func newKeeper(t *testing.T, conn *sql.DB) *retention.Keeper {
	t.Helper()
	if _, err := conn.Exec(`DROP TABLE IF EXISTS events_catchup, deliveries_catchup, delivery_attempts_catchup`); err != nil {
		t.Fatal(err)
	}
	k, err := retention.New(conn, retention.Config{Retention: testRetention, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	return k
}

// expiredSlice creates a slice that ended before the retention and returns its start.
func expiredSlice(t *testing.T, conn *sql.DB, k *retention.Keeper) time.Time {
	t.Helper()
	from := retention.GridStart(time.Now().Add(-2*testRetention), k.Width())
	if err := retention.CreateSlice(context.Background(), conn, from, from.Add(k.Width())); err != nil {
		t.Fatal(err)
	}
	return from
}

// moveEvent places an event, its deliveries and their attempts at another time, as if it had
// been ingested then.
func moveEvent(t *testing.T, conn *sql.DB, event uuid.UUID, at time.Time) {
	t.Helper()
	_, err := conn.Exec(`WITH d AS (UPDATE deliveries SET slice_at = $2 WHERE event_id = $1 RETURNING id),
		a AS (UPDATE delivery_attempts SET slice_at = $2 WHERE delivery_id IN (SELECT id FROM d))
		UPDATE events SET slice_at = $2 WHERE id = $1`, event, at)
	if err != nil {
		t.Fatal(err)
	}
}

func hasSlice(t *testing.T, conn *sql.DB, from time.Time) bool {
	t.Helper()
	all, err := retention.List(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.From.Equal(from) {
			return true
		}
	}
	return false
}

func count(t *testing.T, conn *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// receiver is a TLS target on loopback that the engine reaches as example.com.
func receiver(t *testing.T) (*httptest.Server, *atomic.Int32, http.RoundTripper) {
	var got atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	transport := egress.Policy{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}.Transport(pool)
	dial := transport.DialContext
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		return dial(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}
	return srv, &got, transport
}

// subscribedAccount creates an account with a Shipping subscription to a receiver.
func subscribedAccount(t *testing.T, env *apitest.Env) (gen.AccountCreated, *atomic.Int32, http.RoundTripper) {
	target, got, transport := receiver(t)
	a := env.CreateAccount(t, "acme")
	_, port, _ := net.SplitHostPort(target.Listener.Addr().String())
	apitest.CreateShipping(t, env, a, `{"name": "s", "url": "https://example.com:`+port+`/hook", "events": ["shipment.created"]}`)
	return a, got, transport
}

// A slice that expires is dropped whole, except the events that still have a pending delivery:
// those move forward with all their deliveries and attempts and are delivered later.
func TestAPendingDeliverySurvivesTheExpiryOfItsSlice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := apitest.New(t)
	k := newKeeper(t, env.DB)
	a, got, transport := subscribedAccount(t, env)

	ingest := func(id string) delivery.Ingested {
		out, err := delivery.Ingest(ctx, env.DB, a.Id, delivery.Event{ExternalID: id, Type: "shipment.created"})
		if err != nil || out.Deliveries != 1 {
			t.Fatalf("ingesting %s: %+v, %v", id, out, err)
		}
		return out
	}
	pending, settled := ingest("pending"), ingest("settled")
	// Each was attempted once: one delivery succeeded, the other failed and is due again.
	if _, err := env.DB.Exec(`UPDATE deliveries SET status = CASE WHEN event_id = $1 THEN 'succeeded' ELSE 'pending' END,
		attempts = 1, last_status = CASE WHEN event_id = $1 THEN 200 ELSE 503 END`, settled.EventID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(`INSERT INTO delivery_attempts (account_id, delivery_id, slice_at, attempt, request_id, status_code)
		SELECT account_id, id, slice_at, 1, 'r-' || id, last_status FROM deliveries`); err != nil {
		t.Fatal(err)
	}
	old := expiredSlice(t, env.DB, k)
	moveEvent(t, env.DB, pending.EventID, old.Add(time.Second))
	moveEvent(t, env.DB, settled.EventID, old.Add(time.Second))

	r, err := k.Upkeep(ctx)
	if err != nil || !r.Ran {
		t.Fatalf("upkeep: %+v, %v", r, err)
	}
	if r.Dropped != 1 || r.Kept != 0 || r.MovedEvents != 1 || r.MovedDeliveries != 1 || r.MovedAttempts != 1 {
		t.Errorf("upkeep = %+v; want the expired slice dropped and one event, delivery and attempt moved", r)
	}
	if hasSlice(t, env.DB, old) {
		t.Errorf("the expired slice's partitions are still there")
	}
	for _, c := range []struct {
		event uuid.UUID
		want  int
	}{{settled.EventID, 0}, {pending.EventID, 1}} {
		n := count(t, env.DB, `SELECT (SELECT count(*) FROM events WHERE id = $1 AND slice_at > now() - interval '1 minute')
			+ (SELECT count(*) FROM deliveries WHERE event_id = $1 AND slice_at > now() - interval '1 minute')
			+ (SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.account_id = a.account_id AND d.id = a.delivery_id AND d.slice_at = a.slice_at WHERE d.event_id = $1)`, c.event)
		if n != 3*c.want {
			t.Errorf("event %s: %d rows of event, deliveries and attempts in the current slice; want %d", c.event, n, 3*c.want)
		}
	}

	// The moved delivery is claimed and delivered, its attempt log continued.
	cfg := delivery.Config{Transport: transport, PollInterval: 10 * time.Millisecond, ScheduleScale: 1e-5, Logger: quiet}
	apitest.RunEngine(t, env.DB, cfg)
	deadline := time.Now().Add(10 * time.Second)
	for count(t, env.DB, `SELECT count(*) FROM deliveries d JOIN delivery_attempts a ON a.account_id = d.account_id AND a.delivery_id = d.id AND a.slice_at = d.slice_at
		WHERE d.event_id = $1 AND d.status = 'succeeded'`, pending.EventID) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the moved delivery was not delivered (target got %d requests)", got.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got.Load() != 1 {
		t.Errorf("target got %d requests, want the pending one", got.Load())
	}
}

// A delivery in flight (leased) keeps its slice until a later upkeep.
func TestASliceWithADeliveryInFlightIsKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := apitest.New(t)
	k := newKeeper(t, env.DB)
	a := env.CreateAccount(t, "acme")
	apitest.CreateShipping(t, env, a, `{"name": "s", "url": "https://example.com/hook", "events": ["shipment.created"]}`)
	ev, err := delivery.Ingest(ctx, env.DB, a.Id, delivery.Event{ExternalID: "leased", Type: "shipment.created"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(`UPDATE deliveries SET lease_until = now() + interval '1 minute', leased_by = 'w'`); err != nil {
		t.Fatal(err)
	}
	old := expiredSlice(t, env.DB, k)
	moveEvent(t, env.DB, ev.EventID, old.Add(time.Second))
	if r, err := k.Upkeep(ctx); err != nil || r.Kept != 1 || r.Dropped != 0 || r.MovedEvents != 0 {
		t.Fatalf("upkeep with a leased delivery: %+v, %v; want the slice kept", r, err)
	}
	if _, err := env.DB.Exec(`UPDATE deliveries SET lease_until = NULL, leased_by = ''`); err != nil {
		t.Fatal(err)
	}
	if r, err := k.Upkeep(ctx); err != nil || r.Kept != 0 || r.Dropped != 1 || r.MovedEvents != 1 {
		t.Fatalf("upkeep once the lease ended: %+v, %v; want the event moved and the slice dropped", r, err)
	}
	if n := count(t, env.DB, `SELECT count(*) FROM deliveries WHERE event_id = $1 AND status = 'pending'`, ev.EventID); n != 1 {
		t.Errorf("%d pending deliveries of the event, want 1", n)
	}
}

// Every instance runs the upkeep; one at a time does it, the others skip.
func TestUpkeepRunsOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := pgtest.New(t)
	keepers := make([]*retention.Keeper, 4)
	for i := range keepers {
		keepers[i] = newKeeper(t, conn)
	}
	old := expiredSlice(t, conn, keepers[0])

	// An instance busy with the upkeep holds its lock.
	held, err := conn.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := held.ExecContext(ctx, "SELECT pg_advisory_lock(7426101)"); err != nil {
		t.Fatal(err)
	}
	if r, err := keepers[1].Upkeep(ctx); err != nil || r.Ran {
		t.Fatalf("upkeep while another instance does it: %+v, %v", r, err)
	}
	if _, err := held.ExecContext(ctx, "SELECT pg_advisory_unlock(7426101)"); err != nil {
		t.Fatal(err)
	}
	held.Close()

	var wg sync.WaitGroup
	reports := make([]retention.Report, len(keepers))
	errs := make([]error, len(keepers))
	for i, k := range keepers {
		wg.Go(func() { reports[i], errs[i] = k.Upkeep(ctx) })
	}
	wg.Wait()
	dropped := 0
	for i := range keepers {
		if errs[i] != nil {
			t.Errorf("instance %d: %v", i, errs[i])
		}
		dropped += reports[i].Dropped
	}
	if dropped != 1 || hasSlice(t, conn, old) {
		t.Errorf("instances dropped %d slices together (%+v), want the expired one once", dropped, reports)
	}
}

// An expired slice whose drop meets a request holding the tables it needs is left for the next
// upkeep, which drops it: the upkeep says it was postponed rather than failing.
func TestADropThatMeetsHeldTablesIsPostponed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := apitest.New(t)
	k := newKeeper(t, env.DB)
	old := expiredSlice(t, env.DB, k)

	held, err := env.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback()
	if _, err := held.Exec("LOCK TABLE subscriptions IN ROW EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Upkeep(ctx); !errors.Is(err, retention.ErrPostponed) {
		t.Fatalf("upkeep while subscriptions are held = %v; want ErrPostponed", err)
	}
	if err := held.Rollback(); err != nil {
		t.Fatal(err)
	}
	if r, err := k.Upkeep(ctx); err != nil {
		t.Fatalf("next upkeep: %+v, %v", r, err)
	}
	if hasSlice(t, env.DB, old) || count(t, env.DB, `SELECT count(*) FROM pg_class WHERE relname LIKE '%\_`+old.UTC().Format("20060102_150405")+`'`) != 0 {
		t.Errorf("the expired slice is still there after the next upkeep")
	}
}

// A secret that a rotation kept signing is forgotten by the first upkeep after its window
// closed, and kept while the window is open.
func TestRetiredSecretsAreForgotten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := apitest.New(t)
	k := newKeeper(t, env.DB)
	a := env.CreateAccount(t, "acme")
	apitest.CreateShipping(t, env, a, `{"name": "closed", "url": "https://example.com/a", "events": ["shipment.created"]}`)
	apitest.CreateShipping(t, env, a, `{"name": "open", "url": "https://example.com/b", "events": ["shipment.created"]}`)
	closed, open := time.Now().Add(-time.Second), time.Now().Add(time.Hour)
	if _, err := env.DB.Exec(`UPDATE subscriptions SET previous_secret = 'retired-secret',
		previous_secret_until = CASE WHEN name = 'closed' THEN $2::timestamptz ELSE $3::timestamptz END
		WHERE account_id = $1 AND dialect = 'shipping'`, a.Id, closed, open); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(`UPDATE scopes SET previous_secret = 'retired-secret', previous_secret_until = $2
		WHERE account_id = $1 AND dialect = 'voucherify'`, a.Id, closed); err != nil {
		t.Fatal(err)
	}
	r, err := k.Upkeep(ctx)
	if err != nil || r.RetiredSecrets != 2 {
		t.Fatalf("upkeep = %+v, %v; want the closed window's subscription secret and the project's forgotten", r, err)
	}
	if n := count(t, env.DB, `SELECT count(*) FROM subscriptions WHERE account_id = $1 AND previous_secret <> ''`, a.Id); n != 1 {
		t.Errorf("%d subscriptions keep a previous secret; want the open window's only", n)
	}
	if n := count(t, env.DB, `SELECT count(*) FROM scopes WHERE account_id = $1 AND previous_secret <> ''`, a.Id); n != 0 {
		t.Errorf("%d scopes keep a retired secret", n)
	}
}

// A due delivery whose account's wake-up was lost is found by the next upkeep, which wakes the
// account: the engine, which looks only at wake-ups, then delivers it.
func TestTheUpkeepWakesAnAccountWhoseWakeUpWasLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := apitest.New(t)
	k := newKeeper(t, env.DB)
	a, got, transport := subscribedAccount(t, env)
	if _, err := delivery.Ingest(ctx, env.DB, a.Id, delivery.Event{ExternalID: "lost", Type: "shipment.created"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, env.DB, `WITH lost AS (DELETE FROM delivery_wakeups WHERE account_id = $1 RETURNING 1) SELECT count(*) FROM lost`, a.Id); n == 0 {
		t.Fatal("ingestion added no wake-up")
	}

	apitest.RunEngine(t, env.DB, delivery.Config{Transport: transport, PollInterval: 10 * time.Millisecond, Logger: quiet})
	time.Sleep(500 * time.Millisecond) // fifty polls
	if got.Load() != 0 {
		t.Fatalf("target got %d requests without a wake-up; want the engine to look at wake-ups only", got.Load())
	}

	r, err := k.Upkeep(ctx)
	if err != nil || r.Woken != 1 {
		t.Fatalf("upkeep = %+v, %v; want the account woken", r, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count(t, env.DB, `SELECT count(*) FROM deliveries WHERE account_id = $1 AND status = 'succeeded'`, a.Id) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the woken delivery was not delivered (target got %d requests)", got.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got.Load() != 1 {
		t.Errorf("target got %d requests, want 1", got.Load())
	}
}
