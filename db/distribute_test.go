package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/pgcluster"
	"github.com/webhookd/webhookd/internal/pgtest"
)

// distributedDB is a migrated database on a Citus coordinator; the test is skipped on plain
// PostgreSQL (go tool task test:citus runs it on a coordinator with two workers).
func distributedDB(t *testing.T) *sql.DB {
	t.Helper()
	conn := pgtest.New(t)
	on, err := db.IsDistributed(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	if !on {
		t.Skip("not a Citus coordinator (go tool task test:citus)")
	}
	return conn
}

// Every table of the schema is distributed by account and co-located, a reference table, or
// distributed by a key of its own, as db.TenantTables and the others say; a table a migration
// adds must be placed too.
func TestEveryTableIsPlaced(t *testing.T) {
	conn := distributedDB(t)
	rows, err := conn.Query(`
		SELECT c.relname, coalesce(p.partmethod::text, ''), coalesce(column_to_column_name(p.logicalrelid, p.partkey), ''),
		       coalesce(p.colocationid, 0)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	colocation := map[int]bool{}
	seen := map[string]bool{}
	for rows.Next() {
		var table, method, column string
		var group int
		if err := rows.Scan(&table, &method, &column, &group); err != nil {
			t.Fatal(err)
		}
		seen[table] = true
		switch {
		case slices.Contains(db.TenantTables, table):
			if method != "h" || column != "account_id" {
				t.Errorf("%s: method %q by %q, want hash by account_id", table, method, column)
			}
			colocation[group] = true
		case slices.Contains(db.ReferenceTables, table):
			if method != "n" {
				t.Errorf("%s: method %q, want a reference table", table, method)
			}
		case db.OwnTables[table] != "":
			if method != "h" || column != db.OwnTables[table] {
				t.Errorf("%s: method %q by %q, want hash by %s", table, method, column, db.OwnTables[table])
			}
		case slices.Contains(db.LocalTables, table):
		default:
			t.Errorf("table %s is neither distributed, reference nor local: list it in db/distribute.go", table)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(colocation) != 1 {
		t.Errorf("tenant tables in %d co-location groups, want 1", len(colocation))
	}
	for _, table := range db.TenantTables {
		if !seen[table] {
			t.Errorf("tenant table %s is missing", table)
		}
	}
}

// Accounts' rows spread over the workers, and each account's rows of every tenant table sit on
// one worker.
func TestAccountsSpreadOverWorkers(t *testing.T) {
	conn := distributedDB(t)
	ctx := context.Background()
	q := db.New(conn)
	for range 16 {
		a, err := q.CreateAccount(ctx, db.CreateAccountParams{ID: uuid.New(), Name: "spread", ManagementApi: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.CreateScope(ctx, db.CreateScopeParams{AccountID: a.ID, Dialect: "voucherify", ExternalID: "proj_" + a.ID.String()}); err != nil {
			t.Fatal(err)
		}
	}
	var workers, mixed int
	err := conn.QueryRow(`
		WITH placed AS (
		    SELECT s.account_id, n.nodeport FROM scopes s
		    JOIN pg_dist_placement p ON p.shardid = get_shard_id_for_distribution_column('scopes', s.account_id)
		    JOIN pg_dist_node n ON n.groupid = p.groupid)
		SELECT (SELECT count(DISTINCT nodeport) FROM placed),
		       (SELECT count(*) FROM (SELECT account_id FROM placed GROUP BY 1 HAVING count(DISTINCT nodeport) > 1) x)`).Scan(&workers, &mixed)
	if err != nil {
		t.Fatal(err)
	}
	if workers < 2 || mixed != 0 {
		t.Errorf("16 accounts' scopes on %d workers (want 2), %d accounts split", workers, mixed)
	}
}

// The hot statements of one account are routed to one worker whole: each step of the
// coordinator's plan is a single task.
func TestHotStatementsAreRoutedToOneWorker(t *testing.T) {
	conn := distributedDB(t)
	account := uuid.New()
	statements := map[string]struct {
		query string
		args  []any
	}{
		"GetCredentialBySecret": {db.HotStatements["getCredentialBySecret"], []any{pq.Array([]string{"ingest"}), []byte("digest")}},
		"GetScopedSubscription": {db.HotStatements["getScopedSubscription"], []any{"voucherify", "proj", account, "voucherify", "wh"}},
		"ReplaceScopedSubscriptionTarget (Voucherify PUT)": {db.HotStatements["replaceScopedSubscriptionTarget"],
			[]any{"https://example.com", pq.Array([]string{"a"}), sql.NullString{}, "voucherify", "proj", account, "voucherify", "wh"}},
		"ListActiveSubscriptions": {db.HotStatements["listActiveSubscriptions"], []any{account, uuid.NullUUID{}}},
		"IngestEvents": {db.HotStatements["ingestEvents"], []any{account, pq.Array([]string{"e"}), pq.Array([]string{"t"}), pq.Array([]string{"{}"}),
			pq.Array([]string{"{}"}), pq.Array([]string{""}), pq.Array([]string{"e"}), pq.Array([]uuid.UUID{uuid.New()})}},
		// The engine's claim and outcome statements name one account: FOR UPDATE SKIP LOCKED is
		// allowed because the claim is routed to one node whole.
		"ClaimDeliveryBatch": {db.HotStatements["claimDeliveryBatch"], []any{account, 60.0, "w", pq.Array([]uuid.UUID{}), 16, 7.5}},
		"FinishDeliveries": {db.HotStatements["finishDeliveries"], []any{pq.Array([]uuid.UUID{uuid.New()}),
			pq.Array([]time.Time{time.Now()}), pq.Array([]string{"pending"}), pq.Array([]float64{1e9}), pq.Array([]int32{500}),
			pq.Array([]string{"e"}), pq.Array([]string{"r"}), pq.Array([]int32{1}), pq.Array([]int32{1}), pq.Array([]bool{false}),
			pq.Array([]string{"http_status"}), pq.Array([]string{""}), pq.Array([]string{""}), pq.Array([]int32{0}),
			pq.Array([]string{""}), pq.Array([][]byte{{}}), pq.Array([]bool{false}), account,
			pq.Array([]time.Time{time.Now()}), pq.Array([]bool{false}), "w",
			pq.Array([]uuid.UUID{uuid.New()}), pq.Array([]bool{false}), pq.Array([]int32{1}), pq.Array([]string{"e"})}},
		"ReleaseDeliveries": {db.HotStatements["releaseDeliveries"], []any{account, "w", pq.Array([]uuid.UUID{uuid.New()}), pq.Array([]time.Time{time.Now()})}},
		// Shipping's listing and count name the account beside the scope.
		"ListScopeSubscriptionsPage": {db.HotStatements["listScopeSubscriptionsPage"], []any{account, uuid.New(), 0, 25}},
		"CountScopeSubscriptions":    {db.HotStatements["countScopeSubscriptions"], []any{account, uuid.New()}},
		// The history upkeep locks pending rows one account at a time.
		"MovePendingForward": {db.HotStatements["movePendingForward"], []any{account, time.Now(), 5000}},
	}
	taskCount := regexp.MustCompile(`Task Count: (\d+)`)
	for name, s := range statements {
		plan := explain(t, conn, s.query, s.args...)
		counts := taskCount.FindAllStringSubmatch(plan, -1)
		if len(counts) == 0 && !strings.Contains(plan, "Router") {
			t.Errorf("%s: no distributed plan:\n%s", name, plan)
		}
		for _, c := range counts {
			if c[1] != "1" {
				t.Errorf("%s: a step of %s tasks:\n%s", name, c[1], plan)
				break
			}
		}
		t.Logf("%s:\n%s", name, plan)
	}
}

// The engine's look for due accounts reads and writes only the coordinator's wake-ups: no
// step of its plan goes to a worker.
func TestTheLookForDueAccountsStaysOnTheCoordinator(t *testing.T) {
	conn := distributedDB(t)
	plan := explain(t, conn, db.HotStatements["takeDueAccounts"], pq.Array([]uuid.UUID{uuid.New()}), pq.Array([]time.Time{time.Now()}),
		pq.Array([]bool{false}), pq.Array([]uuid.UUID{}), 128, 8)
	if strings.Contains(plan, "Citus") || strings.Contains(plan, "Task") {
		t.Errorf("the look for due accounts has a distributed plan:\n%s", plan)
	}
	if !strings.Contains(plan, "delivery_wakeups") {
		t.Errorf("the plan does not read the wake-ups:\n%s", plan)
	}
	t.Logf("TakeDueAccounts:\n%s", plan)
}

func explain(t *testing.T, conn *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := conn.Query("EXPLAIN (COSTS OFF) "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN: %v\n%s", err, query)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// A distribution cut short leaves the schema as it was, foreign keys included, and the next
// start distributes it whole.
func TestAnInterruptedDistributionIsDoneWholeByTheNextStart(t *testing.T) {
	distributedDB(t) // skips on plain PostgreSQL
	ctx := context.Background()
	server := os.Getenv("DATABASE_URL")
	name := fmt.Sprintf("interrupted_%d", time.Now().UnixNano())
	if err := pgcluster.PrepareDistributedDatabase(ctx, server, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pgcluster.DropDistributedDatabase(context.Background(), server, name) })
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	conn, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := db.Up(ctx, conn); err != nil {
		t.Fatal(err)
	}
	keys := func() []string {
		t.Helper()
		rows, err := conn.Query(`SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
			FROM pg_constraint WHERE contype = 'f' AND conparentid = 0 AND conrelid::regclass::text = ANY($1) ORDER BY 1`,
			pq.Array(slices.Concat(db.TenantTables, db.ReferenceTables, slices.Collect(maps.Keys(db.OwnTables)), db.LocalTables)))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			out = append(out, k)
		}
		return out
	}
	placed := func() int {
		t.Helper()
		var n int
		if err := conn.QueryRow(`SELECT count(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
			WHERE NOT c.relispartition`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := keys()

	// The last table to distribute is held, so the distribution stops there, its deadline past.
	holder, err := conn.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(`LOCK TABLE rate_limit_windows IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	cut, cancel := context.WithTimeout(ctx, 3*time.Second)
	err = db.Distribute(cut, conn)
	cancel()
	holder.Rollback()
	if err == nil {
		t.Fatal("the distribution finished although a table it needed was held")
	}
	if n, after := placed(), keys(); n != 0 || !slices.Equal(after, before) {
		t.Fatalf("after an interrupted distribution (%v): %d tables distributed, foreign keys %q; want none and %q", err, n, after, before)
	}

	if err := db.Distribute(ctx, conn); err != nil {
		t.Fatal(err)
	}
	want := len(db.TenantTables) + len(db.ReferenceTables) + len(db.OwnTables)
	if n, after := placed(), keys(); n != want || !slices.Equal(after, before) {
		t.Errorf("after the next start: %d tables distributed, foreign keys %q; want %d and %q", n, after, want, before)
	}
}
