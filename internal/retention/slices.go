package retention

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Tables are the partitioned tables of history, in the order a slice of them is dropped
// (attempts first, so that a slice is never left with attempts of dropped deliveries).
var Tables = []string{"delivery_attempts", "deliveries", "events"}

// Lock keys: pg_try_advisory_lock(upkeepLock) makes one instance at a time do the upkeep;
// pg_advisory_xact_lock(createLock) serialises whoever creates slices (the upkeep, start-up,
// ingestion that found none).
const (
	upkeepLock = 7426101
	createLock = 7426102
)

// Slice is one time range of history: a partition of each table covering [From, Until).
// A zero From is MINVALUE (the catch-up slice of rows older than partitioning).
type Slice struct {
	From, Until time.Time
	// Partitions names the slice's partition of each table that has one.
	Partitions map[string]string
	// Detaching names the partitions whose detach was started and not finished.
	Detaching map[string]bool
}

// queryer is what listing and creating slices need of a connection or transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// List returns the slices of history, oldest first. Bounds are read back from the catalog
// (PostgreSQL prints them as timestamptz literals, read in the same session).
func List(ctx context.Context, q queryer) ([]Slice, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT p.relname, c.relname,
		       (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz,
		       (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz,
		       i.inhdetachpending
		FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class p ON p.oid = i.inhparent
		WHERE i.inhparent IN ('events'::regclass, 'deliveries'::regclass, 'delivery_attempts'::regclass)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type bounds struct{ from, until time.Time }
	byBounds := map[bounds]*Slice{}
	for rows.Next() {
		var parent, name string
		var from, until sql.NullTime
		var detaching bool
		if err := rows.Scan(&parent, &name, &from, &until, &detaching); err != nil {
			return nil, err
		}
		if !until.Valid {
			return nil, fmt.Errorf("retention: partition %s has no upper bound", name)
		}
		b := bounds{from.Time.UTC(), until.Time.UTC()}
		s := byBounds[b]
		if s == nil {
			s = &Slice{From: b.from, Until: b.until, Partitions: map[string]string{}, Detaching: map[string]bool{}}
			byBounds[b] = s
		}
		s.Partitions[parent] = name
		s.Detaching[parent] = detaching
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Slice, 0, len(byBounds))
	for _, s := range byBounds {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Slice) int { return a.Until.Compare(b.Until) })
	return out, nil
}

// span is a time range [from, until); a zero from is unbounded below.
type span struct{ from, until time.Time }

// plan returns the spans to create so that [from, to) is covered, on a grid of width counted
// from the Unix epoch and around the slices that exist (which may be of another width:
// the retention changed). Nothing is planned before from: ingestion writes at the current time,
// and moving forward writes there too.
func plan(existing []Slice, from, to time.Time, width time.Duration) []span {
	var out []span
	cursor := floor(from, width)
	for cursor.Before(to) {
		if s, ok := containing(existing, cursor); ok {
			cursor = s.Until
			continue
		}
		next := floor(cursor, width).Add(width)
		// Stop where a later slice begins.
		for _, s := range existing {
			if s.From.After(cursor) && s.From.Before(next) {
				next = s.From
			}
		}
		out = append(out, span{cursor, next})
		cursor = next
	}
	return out
}

func containing(existing []Slice, t time.Time) (Slice, bool) {
	for _, s := range existing {
		if (s.From.IsZero() || !t.Before(s.From)) && t.Before(s.Until) {
			return s, true
		}
	}
	return Slice{}, false
}

// floor is t rounded down to a multiple of width since the Unix epoch.
func floor(t time.Time, width time.Duration) time.Time {
	d := time.Duration(t.UnixNano())
	r := d % width
	if r < 0 {
		r += width
	}
	return time.Unix(0, int64(d-r)).UTC()
}

// ensure creates the slices needed to cover the database's current time until ahead later,
// width wide (zero: as wide as the newest slice, or DefaultWidth), and returns how many it
// created. A new partition is made as a table of its own and attached, which locks the parent
// table only against other schema changes (CREATE TABLE … PARTITION OF would stop every query
// of it for a moment).
func ensure(ctx context.Context, conn interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, width, ahead time.Duration) (int, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// Attaching copies the foreign keys, which briefly locks accounts, scopes and subscriptions
	// against writes: give up rather than queue writers behind a long wait.
	if _, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = '1s'"); err != nil {
		return 0, err
	}
	var now time.Time
	if err := tx.QueryRowContext(ctx, "SELECT now() FROM pg_advisory_xact_lock($1)", createLock).Scan(&now); err != nil {
		return 0, err
	}
	existing, err := List(ctx, tx)
	if err != nil {
		return 0, err
	}
	if width <= 0 {
		width = DefaultWidth
		if n := len(existing); n > 0 && !existing[n-1].From.IsZero() {
			width = existing[n-1].Until.Sub(existing[n-1].From)
		}
	}
	todo := plan(existing, now, now.Add(ahead), width)
	for _, s := range todo {
		if err := create(ctx, tx, s); err != nil {
			return 0, err
		}
	}
	return len(todo), tx.Commit()
}

// CreateSlice makes the slice [from, until) of every table as the upkeep makes the slices
// ahead, wherever it is. The service never makes a slice in the past; tests and the benchmark,
// which age a database, do.
func CreateSlice(ctx context.Context, conn *sql.DB, from, until time.Time) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", createLock); err != nil {
		return err
	}
	if err := create(ctx, tx, span{from, until}); err != nil {
		return err
	}
	return tx.Commit()
}

// create makes the partition of every table for s.
func create(ctx context.Context, tx *sql.Tx, s span) error {
	// On Citus, one connection per worker for the whole transaction: each table it makes is
	// distributed as it is attached, and a later statement may not use a table that an earlier
	// one reached over other connections. (Elsewhere the setting is an unused placeholder.)
	if _, err := tx.ExecContext(ctx, "SET LOCAL citus.multi_shard_modify_mode = 'sequential'"); err != nil {
		return err
	}
	for _, table := range Tables {
		name := pq.QuoteIdentifier(table + "_" + s.from.UTC().Format("20060102_150405"))
		with := ""
		if table == "deliveries" {
			// Room for the claim's update to stay on its page (see migration 00004).
			with = " WITH (fillfactor = 70)"
		}
		// One statement per call: Citus passes each on to the workers as a statement of its own.
		for _, stmt := range []string{
			fmt.Sprintf(`CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)%s`, name, table, with),
			// The slice keeps no statistics of account_id. Statistics miss exactly the
			// accounts that matter: one whose backlog came after the last ANALYZE, or any
			// account but the few that filled the slice (all "most common values", leaving no
			// row to others). Taking such an account for a row or two, the planner reads its
			// whole backlog for every row of a claim (300,000 buffers for a claim of 100
			// beside a backlog of 3,000: db/plans_test.go). Without statistics it expects an
			// account to hold a two-hundredth of the slice, and finds rows by key wherever
			// that is more than a few.
			fmt.Sprintf(`ALTER TABLE %s ALTER COLUMN account_id SET STATISTICS 0`, name),
			fmt.Sprintf(`ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM (%s) TO (%s)`, table, name, literal(s.from), literal(s.until)),
		} {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("creating %s: %w", name, err)
			}
		}
	}
	return nil
}

func literal(t time.Time) string { return pq.QuoteLiteral(t.UTC().Format(time.RFC3339Nano)) }

// drop detaches and drops the partitions of an expired slice. DETACH … CONCURRENTLY waits for
// queries using a partition instead of blocking the parent table's queries, and cannot run in
// a transaction; one interrupted is finished (FINALIZE) by the next upkeep. Citus has neither:
// there the partition is dropped attached, which takes its table whole for a moment, within
// the same bounded wait as the tables it references.
func drop(ctx context.Context, conn *sql.Conn, s Slice, distributed bool) error {
	for _, table := range Tables {
		name, ok := s.Partitions[table]
		if !ok {
			continue
		}
		if distributed {
			if err := dropDetached(ctx, conn, name); err != nil {
				return err
			}
			continue
		}
		how := "CONCURRENTLY"
		if s.Detaching[table] {
			how = "FINALIZE"
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s DETACH PARTITION %s %s", table, pq.QuoteIdentifier(name), how)); err != nil {
			return fmt.Errorf("detaching %s: %w", name, err)
		}
		if err := dropDetached(ctx, conn, name); err != nil {
			return err
		}
	}
	return nil
}

// dropDetached drops a partition detached from its table (or, on Citus, attached). Dropping
// it removes its foreign keys' triggers from the tables it references, which takes those
// tables whole for a moment. It takes all three first, while holding nothing, so that it waits
// its turn instead of meeting a request halfway; against a request that holds one of them and
// wants another, it gives up after half a second, before PostgreSQL's deadlock check (1 s)
// could pick the request, and tries again at the next upkeep.
func dropDetached(ctx context.Context, conn *sql.Conn, name string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stmt := range []string{
		// On Citus, the tables are locked on every node too: the bound must reach them.
		"SET LOCAL citus.propagate_set_commands = 'local'",
		"SET LOCAL lock_timeout = '500ms'",
		"LOCK TABLE accounts, scopes, subscriptions IN ACCESS EXCLUSIVE MODE",
		"DROP TABLE " + pq.QuoteIdentifier(name),
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			if pqErr, ok := errors.AsType[*pq.Error](err); ok && (pqErr.Code == "55P03" || workerGaveUp(pqErr)) {
				return fmt.Errorf("dropping %s: %w (%v)", name, ErrPostponed, err)
			}
			return fmt.Errorf("dropping %s: %w", name, err)
		}
	}
	return tx.Commit()
}

// workerGaveUp tells whether err is Citus reporting that a statement failed on a worker, which
// is how a worker's lock timeout reaches the coordinator (the worker's own error comes only as
// a notice). A drop that fails so for another reason fails again at each upkeep, logged each time.
func workerGaveUp(err *pq.Error) bool {
	return err.Code == "XX000" && strings.HasPrefix(err.Message, "failure on connection marked as essential")
}

// hasPending tells whether a delivery of the slice is still pending (leased, or not yet
// moved forward). Nothing becomes pending in a past slice: ingestion and moving forward write
// at the current time, and a settled delivery stays settled.
func hasPending(ctx context.Context, conn interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, s Slice) (bool, error) {
	name, ok := s.Partitions["deliveries"]
	if !ok {
		return false, nil
	}
	var pending bool
	err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+pq.QuoteIdentifier(name)+" WHERE status = 'pending')").Scan(&pending)
	return pending, err
}

// dropLeftovers drops partitions detached from their table and left behind (the upkeep
// stopped between detaching and dropping one), which List no longer sees.
func dropLeftovers(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, `
		SELECT c.relname FROM pg_class c
		WHERE c.relkind = 'r' AND NOT c.relispartition
		  AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'events'::regclass)
		  AND c.relname ~ '^(events|deliveries|delivery_attempts)_([0-9]{8}_[0-9]{6}|catchup)$'`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if err := dropDetached(ctx, conn, name); err != nil {
			return err
		}
	}
	return nil
}
