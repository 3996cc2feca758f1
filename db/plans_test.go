package db_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
	"github.com/webhookd/webhookd/internal/pgtest"
	"github.com/webhookd/webhookd/internal/retention"
)

// Claiming a batch of an account's deliveries, handing it back and writing its outcomes handle
// the batch's rows, not the account's backlog, although the statistics were taken before the
// backlog came (as they are in a burst): otherwise draining a backlog costs its size squared.
// The slices keep no statistics of the account for this (see retention's create), and each
// statement finds rows by their keys whatever the planner expects of the account, which is
// less than a batch beside the small backlog and more beside the large one.
func TestClaimAndOutcomeReadTheirRowsNotTheBacklog(t *testing.T) {
	env := apitest.New(t)
	if on, err := db.IsDistributed(context.Background(), env.DB); err != nil || on {
		t.Skipf("the plans of a Citus worker are not the coordinator's (distributed: %v, %v)", on, err)
	}
	backlogOf(t, env, "settled history", 4000)
	if _, err := env.DB.Exec(`UPDATE deliveries SET status = 'succeeded', attempts = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(`ANALYZE events, deliveries`); err != nil {
		t.Fatal(err)
	}
	// Rows are the sharp measure: every batch writes about as many buffers whatever it reads.
	// A step may handle a few rows per delivery (its subscription's scopes, say), never the
	// backlog, which is 200 per delivery here.
	const mostRows = 10 * 100
	backlogs := []int{300, 20_000}
	var first map[string]cost // beside the smallest backlog
	for _, n := range backlogs {
		a := backlogOf(t, env, fmt.Sprintf("backlog of %d", n), n)
		costs := drainCost(t, env, a.Id)
		if first == nil {
			first = costs
		}
		for _, step := range []string{"claiming", "handing back", "writing the outcomes of"} {
			c := costs[step]
			t.Logf("%s 100 deliveries beside a backlog of %d read %d buffers and handled %d rows at most in one step", step, n, c.buffers, c.rows)
			// The hand-back's buffers are left out: its statement reads one row of its update
			// (EXISTS), and EXPLAIN counts the rest of the update under no node.
			grew := step != "handing back" && c.buffers > 2*first[step].buffers
			if c.rows > mostRows || grew {
				t.Errorf("%s 100 deliveries handled %d rows in one step (want at most %d) and read %d buffers beside a backlog of %d, against %d beside %d: it grows with the backlog:\n%s",
					step, c.rows, mostRows, c.buffers, n, first[step].buffers, backlogs[0], c.plan)
			}
		}
	}
}

// The drain's statements cost the same beside settled history in the slices before the
// current one: each reaches only the slices that hold its batch (and the due index of every
// slice, which holds no settled row). Probing every slice's primary key for every delivery of
// a batch made a drain slower the longer the history kept.
func TestDrainCostsTheSameBesideHistory(t *testing.T) {
	env := apitest.New(t)
	if on, err := db.IsDistributed(context.Background(), env.DB); err != nil || on {
		t.Skipf("the plans of a Citus worker are not the coordinator's (distributed: %v, %v)", on, err)
	}
	const pastSlices, perSlice = 4, 40_000
	withoutHistory := drainCost(t, env, backlogOf(t, env, "before the history", 300).Id)
	addHistory(t, env, pastSlices, perSlice)
	withHistory := drainCost(t, env, backlogOf(t, env, "beside the history", 300).Id)
	for _, step := range []string{"claiming", "writing the outcomes of"} {
		before, after := withoutHistory[step], withHistory[step]
		t.Logf("%s 100 deliveries read %d buffers without history and %d beside %d slices of %d deliveries",
			step, before.buffers, after.buffers, pastSlices, perSlice)
		// A fifth more for the noise of writes (they read what earlier writes left), and a
		// probe of each slice's due index. Probing every slice's primary key for each delivery
		// read two fifths more.
		if most := before.buffers*6/5 + 8*pastSlices; after.buffers > most {
			t.Errorf("%s 100 deliveries read %d buffers beside %d slices of history, against %d without (want at most %d):\n%s",
				step, after.buffers, pastSlices, before.buffers, most, after.plan)
		}
	}
}

// A claim reads due rows by the due index, in due order. No other partial index may serve
// it: an index of every delivery not succeeded did, whenever the planner's counts of the two
// indexes drifted apart, and read in order of creation it passed a heap page per row and the
// account's failed and recently delivered rows, thousands of pages a claim (deliverybench
// -history). With the due index out of the way (dropped in a transaction rolled back), the
// claim must read the account's rows by a full index, never by another partial one.
func TestNoOtherPartialIndexServesTheClaim(t *testing.T) {
	env := apitest.New(t)
	if on, err := db.IsDistributed(context.Background(), env.DB); err != nil || on {
		t.Skipf("the plans of a Citus worker are not the coordinator's (distributed: %v, %v)", on, err)
	}
	a := backlogOf(t, env, "backlog", 300)
	tx, err := env.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DROP INDEX deliveries_due`); err != nil {
		t.Fatal(err)
	}
	var partial []string // the other partial indexes' parts in the slices
	rows, err := tx.Query(`SELECT c.relname FROM pg_index x JOIN pg_inherits i ON i.inhparent = x.indexrelid
		JOIN pg_class c ON c.oid = i.inhrelid WHERE x.indrelid = 'deliveries'::regclass AND x.indpred IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		partial = append(partial, name)
	}
	if err := rows.Err(); err != nil || len(partial) == 0 {
		t.Fatalf("%d other partial indexes of the slices (%v): the test needs one", len(partial), err)
	}
	plan := explainCost(t, tx, db.HotStatements["claimDeliveryBatch"], a.Id, 60.0, "w", pq.Array([]uuid.UUID{}), 100, 7.5).plan
	for _, name := range partial {
		if strings.Contains(plan, " "+name+" ") {
			t.Errorf("the claim reads due rows by %s:\n%s", name, plan)
		}
	}
}

// backlogOf makes an account whose one subscription has n deliveries due.
func backlogOf(t *testing.T, env *apitest.Env, name string, n int) gen.AccountCreated {
	t.Helper()
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

// addHistory makes the given number of hour-wide slices before the current one, in place of
// the (empty) catch-up slice, each with n settled deliveries of one account, their events and
// attempts, and analyses them.
func addHistory(t *testing.T, env *apitest.Env, slices, n int) {
	t.Helper()
	ctx := context.Background()
	all, err := retention.List(ctx, env.DB)
	if err != nil {
		t.Fatal(err)
	}
	var start time.Time // of the history's first slice after the catch-up one
	for _, s := range all {
		if !s.From.IsZero() {
			continue
		}
		start = s.Until
		for _, table := range retention.Tables {
			if _, err := env.DB.Exec(`DROP TABLE ` + pq.QuoteIdentifier(s.Partitions[table])); err != nil {
				t.Fatal(err)
			}
		}
	}
	a := backlogOf(t, env, "history", 0)
	for i := slices; i > 0; i-- {
		from := start.Add(-time.Duration(i) * time.Hour)
		if err := retention.CreateSlice(ctx, env.DB, from, from.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		// In parts, each well within the statement timeout of a busy server.
		for done := 0; done < n; done += 5000 {
			start := from.Add(time.Duration(done) * time.Hour / time.Duration(n))
			if _, err := env.DB.Exec(pgtest.SettledHistory, pq.Array([]uuid.UUID{a.Id}), start, min(5000, n-done), 3599.0*min(5000, n-done)/n); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, table := range retention.Tables {
		if _, err := env.DB.Exec(`ANALYZE ` + table); err != nil {
			t.Fatal(err)
		}
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

// cost is what one statement took: the buffers it read, the most rows one step of its plan
// handled (returned and filtered out, over all its loops), and the plan.
type cost struct {
	buffers, rows int
	plan          string
}

// drainCost claims 100 of the account's deliveries, hands them back, claims them again and
// writes their outcomes, and returns what each of the three statements took (rolled back).
func drainCost(t *testing.T, env *apitest.Env, account uuid.UUID) map[string]cost {
	t.Helper()
	tx, err := env.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	costs := map[string]cost{}
	claimArgs := []any{account, 60.0, "w", pq.Array([]uuid.UUID{}), 100, 7.5}
	costs["claiming"] = explainCost(t, tx, db.HotStatements["claimDeliveryBatch"], claimArgs...)
	ids, sliceAts := leased(t, tx, account)
	costs["handing back"] = explainCost(t, tx, db.HotStatements["releaseDeliveries"], account, "w", pq.Array(ids), pq.Array(sliceAts))
	if ids, _ := leased(t, tx, account); len(ids) != 0 {
		t.Fatalf("%d deliveries still leased after handing them back", len(ids))
	}
	if _, err := tx.Exec(db.HotStatements["claimDeliveryBatch"], claimArgs...); err != nil {
		t.Fatal(err)
	}
	ids, sliceAts = leased(t, tx, account)
	n := len(ids)
	strs := func(s string) []string { return slices.Repeat([]string{s}, n) }
	ints := func(v int32) []int32 { return slices.Repeat([]int32{v}, n) }
	bools := make([]bool, n)
	next := slices.Repeat([]float64{float64(time.Now().Add(time.Minute).Unix())}, n)
	var subs []uuid.UUID // each keeps the batch's last error
	if err := tx.QueryRow(`SELECT array_agg(DISTINCT subscription_id) FROM deliveries WHERE account_id = $1 AND leased_by = 'w'`,
		account).Scan(pq.Array(&subs)); err != nil {
		t.Fatal(err)
	}
	costs["writing the outcomes of"] = explainCost(t, tx, db.HotStatements["finishDeliveries"],
		pq.Array(ids), pq.Array(sliceAts), pq.Array(strs("pending")), pq.Array(next), pq.Array(ints(503)),
		pq.Array(strs("503")), pq.Array(strs("r")), pq.Array(ints(1)), pq.Array(ints(1)), pq.Array(bools),
		pq.Array(strs("http_status")), pq.Array(strs("")), pq.Array(strs("")), pq.Array(ints(0)),
		pq.Array(strs("")), pq.Array(slices.Repeat([][]byte{{}}, n)), pq.Array(bools), account,
		pq.Array([]time.Time{time.Now().Add(time.Minute)}), pq.Array([]bool{true}), "w",
		pq.Array(subs), pq.Array(make([]bool, len(subs))), pq.Array(make([]int32, len(subs))), pq.Array(slices.Repeat([]string{"503"}, len(subs))))
	if ids, _ := leased(t, tx, account); len(ids) != 0 {
		t.Fatalf("%d deliveries still leased after writing their outcomes", len(ids))
	}
	return costs
}

// leased returns the keys of the account's deliveries that worker "w" holds.
func leased(t *testing.T, tx *sql.Tx, account uuid.UUID) (ids []uuid.UUID, sliceAts []time.Time) {
	t.Helper()
	rows, err := tx.Query(`SELECT id, slice_at FROM deliveries WHERE account_id = $1 AND leased_by = 'w'`, account)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			t.Fatal(err)
		}
		ids, sliceAts = append(ids, id), append(sliceAts, at)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids, sliceAts
}

// explainCost runs query under EXPLAIN ANALYZE (in tx) and returns what it took. The buffers are
// the top node's, which include every part of the plan that it pulled rows from, and those of
// the data-modifying CTEs that nothing reads, which run on their own after it.
func explainCost(t *testing.T, tx *sql.Tx, query string, args ...any) cost {
	t.Helper()
	rows, err := tx.Query("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("EXPLAIN: %v", err)
	}
	c := cost{buffers: -1, plan: strings.Join(lines, "\n")}
	cte := ""
	loops, handled := 1, 0 // of the node being read
	for _, line := range lines {
		if m := planNode.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			loops, _ = strconv.Atoi(m[2])
			handled = n * loops
			c.rows = max(c.rows, handled)
		}
		// EXPLAIN gives rows removed per loop.
		if m := removed.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			handled += n * loops
			c.rows = max(c.rows, handled)
		}
		if m := topCTE.FindStringSubmatch(line); m != nil {
			cte = m[1]
			if strings.Contains(c.plan, "CTE Scan on "+cte+" ") {
				cte = "" // read by the top node: counted there
			}
			continue
		}
		m := sharedBuffers.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		hit, _ := strconv.Atoi(m[1])
		disk, _ := strconv.Atoi(m[2])
		switch {
		case c.buffers < 0: // the top node's
			c.buffers = hit + disk
		case cte != "": // the first count under a CTE is its own
			c.buffers += hit + disk
			cte = ""
		}
	}
	if c.buffers < 0 {
		t.Fatalf("EXPLAIN shows no buffers:\n%s", c.plan)
	}
	return c
}

var (
	sharedBuffers = regexp.MustCompile(`^\s*Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?`)
	topCTE        = regexp.MustCompile(`^  CTE (\w+)$`)
	planNode      = regexp.MustCompile(`\(actual rows=(\d+) loops=(\d+)\)`)
	removed       = regexp.MustCompile(`^\s*Rows Removed by (?:Join )?Filter: (\d+)`)
)
