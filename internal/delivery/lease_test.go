package delivery_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/pgtest"
)

// A worker that dies holding leases is made up for: once its leases end, another worker
// delivers what it held, woken by the wake-up its claim left at the end of the lease (not by
// the history upkeep, which may be minutes away).
func TestTheDeliveriesOfAWorkerThatDiedAreSentOnceItsLeasesEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := apitest.New(t)
	hooks, a := subscribedReceiver(t, env)
	shippingEvents(t, env, a, 5)

	// The worker that dies: it takes the account's wake-up, claims every delivery for two
	// seconds and is never heard of again.
	const lease = 2 * time.Second
	q := db.New(env.DB)
	accounts, err := q.TakeDueAccounts(ctx, db.TakeDueAccountsParams{WakeAccounts: []uuid.UUID{}, WakeAts: []time.Time{},
		WakePlanned: []bool{}, FullAccounts: []uuid.UUID{}, Scan: 16, MaxAccounts: 8})
	if err != nil || len(accounts) != 1 || accounts[0].AccountID != a.Id {
		t.Fatalf("the dying worker took %v, %v; want the account", accounts, err)
	}
	claimed, err := q.ClaimDeliveryBatch(ctx, db.ClaimDeliveryBatchParams{AccountID: a.Id, LeaseSeconds: lease.Seconds(),
		Worker: "dead", FullSubscriptions: []uuid.UUID{}, MaxRows: 100, CoverGrid: (lease / 8).Seconds()})
	if err != nil || len(claimed) != 5 {
		t.Fatalf("the dying worker claimed %d, %v; want 5", len(claimed), err)
	}
	leased := time.Now()

	startEngine(t, env, delivery.Config{WorkerID: "alive"}, hooks)
	got := hooks.wait(t, 5, 20*time.Second)
	once(t, got, 5)
	if first := got[0].at.Sub(leased); first < lease-100*time.Millisecond {
		t.Errorf("the first delivery came %s after the claim, before its lease of %s ended", first, lease)
	}
	var settled int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := env.DB.QueryRow(`SELECT count(*) FROM deliveries WHERE status = 'succeeded' AND attempts = 1 AND leased_by = ''`).Scan(&settled); err != nil {
			t.Fatal(err)
		}
		if settled == 5 || time.Now().After(deadline) {
			break
		}
	}
	if settled != 5 {
		t.Errorf("%d deliveries settled at their first attempt, want 5", settled)
	}
}

// An outcome the server refused for a reason that may pass (here: its delivery's row stayed
// locked past lock_timeout) is written again at once, rather than left for the lease to end,
// after which the delivery would be sent a second time.
func TestAnOutcomeRefusedForAPassingReasonIsWrittenAgain(t *testing.T) {
	t.Parallel()
	url := pgtest.NewURL(t)
	setup, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	if on, err := db.IsDistributed(context.Background(), setup); err != nil || on {
		setup.Close()
		t.Skipf("the lock waits are a worker's (distributed: %v, %v)", on, err)
	}
	_, err = setup.Exec(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET lock_timeout = %L', current_database(), '200ms'); END $$`)
	setup.Close()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("postgres", url) // its sessions start with the lock timeout
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	env := apitest.NewWithDB(t, conn)
	a := env.CreateAccount(t, "acme")

	// The first call's delivery is locked while the call is made, until the engine has tried
	// to write its outcome twice.
	var holder *sql.Tx
	locked := make(chan error, 1)
	hooks := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			var err error
			if holder, err = conn.Begin(); err == nil {
				_, err = holder.Exec(`SELECT 1 FROM deliveries WHERE account_id = $1 FOR UPDATE`, a.Id)
			}
			locked <- err
		}
	})
	shippingSubscription(t, env, a, hooks.url("/s"))
	startEngine(t, env, delivery.Config{Lease: 30 * time.Second}, hooks)
	shippingEvents(t, env, a, 1)
	select {
	case err := <-locked:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no call came")
	}
	tries := map[string]bool{} // statements that waited for the lock, by session and start
	for deadline := time.Now().Add(10 * time.Second); len(tries) < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			holder.Rollback()
			t.Fatalf("the outcome was tried %d times within 10 s, want a second try after the lock timeout", len(tries))
		}
		rows, err := env.DB.Query(`SELECT a.pid, a.query_start FROM pg_stat_activity a
			WHERE a.datname = current_database() AND a.wait_event_type = 'Lock'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var pid int
			var start time.Time
			if err := rows.Scan(&pid, &start); err != nil {
				t.Fatal(err)
			}
			tries[fmt.Sprint(pid, start)] = true
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	var status string
	var attempts, logged int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := env.DB.QueryRow(`SELECT d.status, d.attempts, (SELECT count(*) FROM delivery_attempts x WHERE x.account_id = d.account_id AND x.delivery_id = d.id)
			FROM deliveries d WHERE d.account_id = $1`, a.Id).Scan(&status, &attempts, &logged); err != nil {
			t.Fatal(err)
		}
		if status == "succeeded" || time.Now().After(deadline) {
			break
		}
	}
	if status != "succeeded" || attempts != 1 || logged != 1 || len(hooks.requests()) != 1 {
		t.Errorf("delivery %s after %d attempts (%d logged, %d calls), want succeeded at the first, written once the lock went",
			status, attempts, logged, len(hooks.requests()))
	}
}
