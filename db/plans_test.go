package db_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
)

// Claiming a batch of an account's deliveries and writing its outcomes read the batch's rows,
// not the account's backlog, although the statistics were taken before the backlog came (as
// they are in a burst): otherwise draining a backlog costs its size squared, or worse. The
// slices keep no statistics of the account for this (see retention's create).
func TestClaimAndOutcomeReadTheirRowsNotTheBacklog(t *testing.T) {
	env := apitest.New(t)
	if on, err := db.IsDistributed(context.Background(), env.DB); err != nil || on {
		t.Skipf("the plans of a Citus worker are not the coordinator's (distributed: %v, %v)", on, err)
	}
	backlog := func(name string, n int) gen.AccountCreated {
		a := env.CreateAccount(t, name)
		apitest.CreateShipping(t, env, a, `{"name": "s", "url": "https://example.com/hook", "events": ["shipment.created"]}`)
		for done := 0; done < n; done += 1000 {
			events := make([]delivery.Event, min(1000, n-done))
			for i := range events {
				events[i] = delivery.Event{Type: "shipment.created", Data: json.RawMessage(`{}`)}
			}
			if _, err := delivery.IngestBatch(context.Background(), env.DB, a.Id, events); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	backlog("settled history", 4000)
	if _, err := env.DB.Exec(`UPDATE deliveries SET status = 'succeeded', attempts = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(`ANALYZE events, deliveries`); err != nil {
		t.Fatal(err)
	}
	small, large := backlog("small backlog", 300), backlog("large backlog", 3000)
	claimSmall, finishSmall, _, _ := drainCost(t, env, small.Id)
	claimLarge, finishLarge, claimPlan, finishPlan := drainCost(t, env, large.Id)
	t.Logf("buffers read for 100 deliveries with a backlog of 300 and of 3,000: claim %d and %d, outcomes %d and %d",
		claimSmall, claimLarge, finishSmall, finishLarge)
	if claimLarge > 2*claimSmall {
		t.Errorf("claiming 100 deliveries read %d buffers with a backlog of 3,000 and %d with 300: it grows with the backlog:\n%s", claimLarge, claimSmall, claimPlan)
	}
	if finishLarge > 2*finishSmall {
		t.Errorf("writing 100 outcomes read %d buffers with a backlog of 3,000 and %d with 300: it grows with the backlog:\n%s", finishLarge, finishSmall, finishPlan)
	}
}

// Every slice of history made by the service keeps no statistics of account_id.
func TestSlicesKeepNoStatisticsOfTheAccount(t *testing.T) {
	env := apitest.New(t)
	a := env.CreateAccount(t, "acme")
	apitest.CreateShipping(t, env, a, `{"name": "s", "url": "https://example.com/hook", "events": ["shipment.created"]}`)
	if _, err := delivery.Ingest(context.Background(), env.DB, a.Id, delivery.Event{Type: "shipment.created"}); err != nil {
		t.Fatal(err)
	}
	rows, err := env.DB.Query(`SELECT c.relname, a.attstattarget FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'account_id'
		WHERE i.inhparent IN ('events'::regclass, 'deliveries'::regclass, 'delivery_attempts'::regclass)
		  AND c.relname NOT LIKE '%\_catchup'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name string
		var target int
		if err := rows.Scan(&name, &target); err != nil {
			t.Fatal(err)
		}
		n++
		if target != 0 {
			t.Errorf("%s keeps statistics of account_id (target %d), want none", name, target)
		}
	}
	if err := rows.Err(); err != nil || n < 3 {
		t.Fatalf("%d slices of history, %v; want the current one's three at least", n, err)
	}
}

// drainCost claims 100 of the account's deliveries and writes their outcomes, and returns the
// buffers each statement read (rolled back).
func drainCost(t *testing.T, env *apitest.Env, account uuid.UUID) (claim, finish int, claimPlan, finishPlan string) {
	t.Helper()
	tx, err := env.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	claim, claimPlan = buffers(t, tx, db.HotStatements["claimDeliveryBatch"], account, 60.0, "w", pq.Array([]uuid.UUID{}), 100, 7.5)
	rows, err := tx.Query(`SELECT id, slice_at FROM deliveries WHERE account_id = $1 AND leased_by = 'w'`, account)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uuid.UUID
	var sliceAts []time.Time
	for rows.Next() {
		var id uuid.UUID
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			t.Fatal(err)
		}
		ids, sliceAts = append(ids, id), append(sliceAts, at)
	}
	if err := rows.Err(); err != nil || len(ids) != 100 {
		t.Fatalf("claimed %d deliveries, %v", len(ids), err)
	}
	n := len(ids)
	strs := func(s string) []string { return slices.Repeat([]string{s}, n) }
	ints := func(v int32) []int32 { return slices.Repeat([]int32{v}, n) }
	bools := make([]bool, n)
	next := slices.Repeat([]float64{float64(time.Now().Add(time.Minute).Unix())}, n)
	finish, finishPlan = buffers(t, tx, db.HotStatements["finishDeliveries"],
		account, "w", pq.Array(ids), pq.Array(sliceAts), pq.Array(strs("pending")), pq.Array(next), pq.Array(ints(503)),
		pq.Array(strs("503")), pq.Array(strs("r")), pq.Array(ints(1)), pq.Array(ints(1)), pq.Array(bools),
		pq.Array(strs("http_status")), pq.Array(strs("")), pq.Array(strs("")), pq.Array(ints(0)),
		pq.Array(strs("")), pq.Array(slices.Repeat([][]byte{{}}, n)), pq.Array(bools), pq.Array([]uuid.UUID{}),
		pq.Array([]time.Time{time.Now().Add(time.Minute)}), pq.Array([]bool{true}))
	return claim, finish, claimPlan, finishPlan
}

// buffers runs query under EXPLAIN ANALYZE and returns the buffers it read, and the plan.
func buffers(t *testing.T, tx *sql.Tx, query string, args ...any) (int, string) {
	t.Helper()
	rows, err := tx.Query("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	read := -1
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
		// The first count is the whole statement's.
		if m := sharedBuffers.FindStringSubmatch(line); m != nil && read < 0 {
			hit, _ := strconv.Atoi(m[1])
			disk, _ := strconv.Atoi(m[2])
			read = hit + disk
		}
	}
	if err := rows.Err(); err != nil || read < 0 {
		t.Fatalf("EXPLAIN: %v\n%s", err, plan.String())
	}
	return read, plan.String()
}

var sharedBuffers = regexp.MustCompile(`^\s*Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?`)
