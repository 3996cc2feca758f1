package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
)

// A worker that dies holding leases is made up for: once its leases end, another worker
// delivers what it held, woken by the wake-up its claim left at the end of the lease (not by
// the history upkeep, which may be minutes away).
func TestTheDeliveriesOfAWorkerThatDiedAreSentOnceItsLeasesEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := apitest.New(t)
	hooks := newReceiver(t, nil)
	a := env.CreateAccount(t, "acme")
	shippingSubscription(t, env, a, hooks.url("/s"))
	shippingEvents(t, env, a, 5)

	// The worker that dies: it takes the account's wake-up, claims every delivery for two
	// seconds and is never heard of again.
	const lease = 2 * time.Second
	q := db.New(env.DB)
	accounts, err := q.TakeDueAccounts(ctx, db.TakeDueAccountsParams{WakeAccounts: []uuid.UUID{}, WakeAts: []time.Time{},
		WakePlanned: []bool{}, FullAccounts: []uuid.UUID{}, Scan: 16, MaxAccounts: 8})
	if err != nil || len(accounts) != 1 || accounts[0] != a.Id {
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
