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

// Claiming a batch of an account's deliveries and writing its outcomes handle the batch's rows,
// not the account's backlog, although the statistics were taken before the backlog came (as
// they are in a burst): otherwise draining a backlog costs its size squared. The slices keep no
// statistics of the account for this (see retention's create), and both statements find rows by
// their keys whatever the planner expects of the account.
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
	const smallBacklog, largeBacklog = 300, 20_000
	small, large := backlog("small backlog", smallBacklog), backlog("large backlog", largeBacklog)
	claimSmall, finishSmall := drainCost(t, env, small.Id)
	claimLarge, finishLarge := drainCost(t, env, large.Id)
	t.Logf("for 100 deliveries beside a backlog of %d and of %d: the claim read %d and %d buffers, and handled %d and %d rows at most in one step; the outcomes %d and %d buffers, %d and %d rows",
		smallBacklog, largeBacklog, claimSmall.buffers, claimLarge.buffers, claimSmall.rows, claimLarge.rows,
		finishSmall.buffers, finishLarge.buffers, finishSmall.rows, finishLarge.rows)
	// Rows are the sharp measure: every batch writes about as many buffers whatever it reads.
	// A step may handle a few rows per delivery (its subscription's scopes, say), never the
	// backlog, which is 200 per delivery here.
	const mostRows = 10 * 100
	for _, c := range []struct {
		what         string
		small, large cost
	}{{"claiming", claimSmall, claimLarge}, {"writing the outcomes of", finishSmall, finishLarge}} {
		if c.large.rows > mostRows || c.large.buffers > 2*c.small.buffers {
			t.Errorf("%s 100 deliveries handled %d rows in one step (want at most %d) and read %d buffers beside a backlog of %d, against %d buffers beside %d: it grows with the backlog:\n%s",
				c.what, c.large.rows, mostRows, c.large.buffers, largeBacklog, c.small.buffers, smallBacklog, c.large.plan)
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

// drainCost claims 100 of the account's deliveries and writes their outcomes, and returns what
// each statement took (rolled back).
func drainCost(t *testing.T, env *apitest.Env, account uuid.UUID) (claim, finish cost) {
	t.Helper()
	tx, err := env.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	claim = explainCost(t, tx, db.HotStatements["claimDeliveryBatch"], account, 60.0, "w", pq.Array([]uuid.UUID{}), 100, 7.5)
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
	finish = explainCost(t, tx, db.HotStatements["finishDeliveries"],
		account, "w", pq.Array(ids), pq.Array(sliceAts), pq.Array(strs("pending")), pq.Array(next), pq.Array(ints(503)),
		pq.Array(strs("503")), pq.Array(strs("r")), pq.Array(ints(1)), pq.Array(ints(1)), pq.Array(bools),
		pq.Array(strs("http_status")), pq.Array(strs("")), pq.Array(strs("")), pq.Array(ints(0)),
		pq.Array(strs("")), pq.Array(slices.Repeat([][]byte{{}}, n)), pq.Array(bools), pq.Array([]uuid.UUID{}),
		pq.Array([]time.Time{time.Now().Add(time.Minute)}), pq.Array([]bool{true}))
	return claim, finish
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
