package delivery_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/dbconn"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/pgtest"
)

// shippingEvents ingests n Shipping events for a in one batch.
func shippingEvents(t *testing.T, env *apitest.Env, a gen.AccountCreated, n int) {
	t.Helper()
	events := make([]delivery.Event, n)
	for i := range events {
		events[i] = delivery.Event{ExternalID: uuid.NewString(), Type: "shipment.created", Data: json.RawMessage(fmt.Sprintf(`{"i": %d}`, i))}
	}
	if _, err := delivery.IngestBatch(context.Background(), env.DB, a.Id, events); err != nil {
		t.Fatal(err)
	}
}

func shippingSubscription(t *testing.T, env *apitest.Env, a gen.AccountCreated, url string) {
	t.Helper()
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a),
		`{"name": "s", "url": "`+url+`", "events": ["shipment.created"], "secret": "shipping-secret"}`, 201)
}

// subscribedReceiver makes a receiver and an account with a Shipping subscription to it.
func subscribedReceiver(t *testing.T, env *apitest.Env) (*receiver, gen.AccountCreated) {
	t.Helper()
	hooks := newReceiver(t, nil)
	a := env.CreateAccount(t, "acme")
	shippingSubscription(t, env, a, hooks.url("/s"))
	return hooks, a
}

// once fails the test unless every webhook-id arrived exactly once.
func once(t *testing.T, got []received, want int) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range got {
		seen[r.header.Get("Webhook-Id")]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	if len(seen) != want || len(got) != want {
		t.Errorf("%d distinct deliveries in %d requests, want %d", len(seen), len(got), want)
	}
}

func TestAHangingTargetDelaysOnlyItsOwnDeliveries(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	release := make(chan struct{})
	hanging := newReceiver(t, func(int, http.ResponseWriter) { <-release })
	healthy := newReceiver(t, nil)
	b := env.CreateAccount(t, "hanging")
	shippingSubscription(t, env, b, hanging.url("/b"))
	shippingEvents(t, env, b, 48) // queued first: the worst case for everyone else
	a := env.CreateAccount(t, "healthy")
	shippingSubscription(t, env, a, healthy.url("/a"))
	const n = 300
	shippingEvents(t, env, a, n)
	// Default slots and caps; attempts outlast the test, so that no hanging call can end
	// however long the healthy deliveries take on a busy machine.
	startEngine(t, env, delivery.Config{AttemptTimeout: time.Minute}, hanging, healthy)
	t.Cleanup(func() { close(release) }) // before the engine drains

	once(t, healthy.wait(t, n, 30*time.Second), n)
	// Every healthy delivery was made while the hanging target's calls were still open.
	var finished int
	if err := env.DB.QueryRow(`SELECT count(*) FROM delivery_attempts da JOIN deliveries d ON d.account_id = da.account_id AND d.id = da.delivery_id AND d.slice_at = da.slice_at WHERE d.account_id = $1`, b.Id).Scan(&finished); err != nil {
		t.Fatal(err)
	}
	if finished != 0 {
		t.Errorf("%d calls to the hanging target ended before the healthy tenant's deliveries were done", finished)
	}
	if got := len(hanging.requests()); got == 0 || got > 16 {
		t.Errorf("the hanging target holds %d calls, want between 1 and its cap of 16", got)
	}
}

func TestTwoEnginesDrainABacklogOnce(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks, a := subscribedReceiver(t, env)
	const n = 1500
	shippingEvents(t, env, a, n)
	startEngine(t, env, delivery.Config{WorkerID: "one"}, hooks)
	startEngine(t, env, delivery.Config{WorkerID: "two"}, hooks)
	hooks.wait(t, n, 60*time.Second)
	// A call's outcome is written after the receiver answered it.
	settle(t, env.DB, 30*time.Second)
	once(t, hooks.requests(), n)
	var succeeded, attempts, logged int
	if err := env.DB.QueryRow(`SELECT count(*) FILTER (WHERE status = 'succeeded' AND attempts = 1), sum(attempts) FROM deliveries`).Scan(&succeeded, &attempts); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.QueryRow(`SELECT count(*) FROM delivery_attempts`).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	if succeeded != n || attempts != n || logged != n {
		t.Errorf("%d succeeded at the first attempt, %d attempts counted, %d logged; want %d", succeeded, attempts, logged, n)
	}
}

// settle waits until no delivery is pending, which is when every outcome has been written; a
// lost outcome would leave its delivery leased until the lease runs out and then call again.
func settle(t *testing.T, db *sql.DB, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(20 * time.Millisecond) {
		var pending, leased int
		if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE lease_until > now()) FROM deliveries WHERE status = 'pending'`).Scan(&pending, &leased); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still pending after %s, %d of them leased", pending, timeout, leased)
		}
	}
}

// listeningSetUp makes an account with a Shipping subscription to a receiver, on a database
// whose URL an engine can listen on.
func listeningSetUp(t *testing.T) (*apitest.Env, string, *receiver, gen.AccountCreated) {
	t.Helper()
	url := pgtest.NewURL(t)
	conn, err := dbconn.Open(url, dbconn.Defaults)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	env := apitest.NewWithDB(t, conn)
	hooks, a := subscribedReceiver(t, env)
	return env, url, hooks, a
}

func TestANotificationWakesTheEngine(t *testing.T) {
	t.Parallel()
	env, url, hooks, a := listeningSetUp(t)
	// Polling alone would take an hour.
	startEngine(t, env, delivery.Config{PollInterval: time.Hour, ListenDSN: url}, hooks)
	var wg sync.WaitGroup
	for i := range 3 {
		time.Sleep(200 * time.Millisecond) // idle again between events
		wg.Add(1)
		go func() {
			defer wg.Done()
			ingest(t, env, a, fmt.Sprintf(`{"type": "shipment.created", "data": {"i": %d}}`, i))
		}()
		hooks.wait(t, i+1, 10*time.Second)
	}
	wg.Wait()
}

// A notification names its account, so a listening engine claims the account's deliveries a
// poll later even when the wake-up written with them was taken for nothing (on Citus, a claim
// can see the wake-up a moment before the deliveries): here none due now is ever stored.
func TestANotificationWakesItsAccountWithoutItsWakeUp(t *testing.T) {
	t.Parallel()
	env, url, hooks, a := listeningSetUp(t)
	loseWakeUps(t, env.DB, "NOT NEW.planned")
	startEngine(t, env, delivery.Config{PollInterval: 50 * time.Millisecond, ListenDSN: url}, hooks)
	time.Sleep(200 * time.Millisecond) // idle, listening
	ingest(t, env, a, `{"type": "shipment.created"}`)
	hooks.wait(t, 1, 10*time.Second)
}

// The engine hands in again the wake-ups its outcome statement wrote once it has returned, so
// a retry goes out even when the stored wake-up was taken for nothing: here none is stored.
func TestARetryGoesOutWithoutItsStoredWakeUp(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	a := env.CreateAccount(t, "acme")
	shippingSubscription(t, env, a, hooks.url("/s"))
	ingest(t, env, a, `{"type": "shipment.created"}`) // its wake-up is stored
	loseWakeUps(t, env.DB, "true")
	startEngine(t, env, delivery.Config{PollInterval: 50 * time.Millisecond}, hooks)
	hooks.wait(t, 2, 10*time.Second)
}

// A claim that finds nothing for a wake-up due now looks once more a poll later: on Citus the
// wake-up can be seen while its deliveries are still locked on a worker, as here by a
// transaction that ends only after the engine has taken the wake-up.
func TestAWakeUpTakenBeforeItsDeliveriesAreFreeIsNotLost(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks, a := subscribedReceiver(t, env)
	ctx := context.Background()
	tx, err := env.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	ingest(t, env, a, `{"type": "shipment.created"}`)
	// Named by its account, as Citus needs to lock rows.
	if _, err := tx.Exec(`SELECT 1 FROM deliveries WHERE account_id = $1 FOR UPDATE`, a.Id); err != nil {
		t.Fatal(err)
	}
	// A poll of half a second leaves room to let go of the lock before the second look.
	startEngine(t, env, delivery.Config{PollInterval: 500 * time.Millisecond}, hooks)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := env.DB.QueryRow(`SELECT count(*) FROM delivery_wakeups WHERE NOT planned`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 0 {
			break // taken, for nothing
		}
		if time.Now().After(deadline) {
			t.Fatal("the engine never took the wake-up")
		}
	}
	if err := tx.Rollback(); err != nil { // within a poll of the take
		t.Fatal(err)
	}
	hooks.wait(t, 1, 10*time.Second)
}

// loseWakeUps makes the wake-ups written from now on for which lost is true vanish, as one
// taken for nothing does.
func loseWakeUps(t *testing.T, conn *sql.DB, lost string) {
	t.Helper()
	if _, err := conn.Exec(`CREATE FUNCTION lose_wakeup() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN
		IF ` + lost + ` THEN RETURN NULL; END IF; RETURN NEW; END$$;
		CREATE TRIGGER lose_wakeups BEFORE INSERT ON delivery_wakeups FOR EACH ROW EXECUTE FUNCTION lose_wakeup()`); err != nil {
		t.Fatal(err)
	}
}

func TestAFailingTargetIsLeftAloneWithoutSpendingAttempts(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	failing := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) })
	healthy := newReceiver(t, nil)
	b := env.CreateAccount(t, "failing")
	shippingSubscription(t, env, b, failing.url("/b"))
	const queued = 20
	shippingEvents(t, env, b, queued)
	a := env.CreateAccount(t, "healthy")
	shippingSubscription(t, env, a, healthy.url("/a"))
	shippingEvents(t, env, a, 50)
	const perTarget, breakAfter = 4, 3
	startEngine(t, env, delivery.Config{PerTarget: perTarget, BreakAfter: breakAfter, BreakFor: time.Hour, ScheduleScale: 1}, failing, healthy)

	once(t, healthy.wait(t, 50, 20*time.Second), 50)
	time.Sleep(300 * time.Millisecond) // room for calls the breaker should have held back
	calls := len(failing.requests())
	if calls < breakAfter || calls > breakAfter+perTarget-1 {
		t.Errorf("the failing target got %d calls, want %d to %d before its breaker opened", calls, breakAfter, breakAfter+perTarget-1)
	}
	// The outcomes of the last calls may still be on their way to the database.
	var attempts, untouched, pending int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := env.DB.QueryRow(`SELECT sum(attempts), count(*) FILTER (WHERE attempts = 0), count(*) FILTER (WHERE status = 'pending')
			FROM deliveries WHERE account_id = $1`, b.Id).Scan(&attempts, &untouched, &pending); err != nil {
			t.Fatal(err)
		}
		if attempts >= calls || time.Now().After(deadline) {
			break
		}
	}
	// Calls made are attempts on Shipping's schedule; the held-back deliveries spent none.
	if attempts != calls || untouched != queued-calls || pending != queued {
		t.Errorf("%d attempts, %d untouched, %d pending; want %d, %d, %d", attempts, untouched, pending, calls, queued-calls, queued)
	}
}
