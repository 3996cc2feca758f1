// Package retention keeps history (events, their deliveries and the attempt log) for a set
// time and no longer, at a cost that does not grow with its size.
//
// The three tables are partitioned by time (migration 00005): each slice of time is a
// partition of each, created ahead of need and dropped whole once it is older than the
// retention, never emptied by DELETE. Before a slice expires, the events that still have a
// pending delivery are moved forward into the current slice with all their deliveries and
// attempts (an UPDATE of the partition key moves a row between partitions): few rows, however
// large the slice. A slice that still holds a pending delivery, one leased by a worker, is kept
// until a later upkeep.
//
// Every instance runs the upkeep; a PostgreSQL advisory lock lets one at a time do it.
// pg_partman does the same upkeep but is an extension that a managed or stock PostgreSQL may
// not offer, and knows nothing of moving pending rows forward, which here is the one step
// that must come between creating and dropping; the rest is a few statements.
package retention

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/webhookd/webhookd/db"
)

// DefaultRetention is how long history is kept by default: 30 days.
const DefaultRetention = 30 * 24 * time.Hour

// DefaultWidth is the width of slices created when nothing says otherwise: ingestion that
// finds no slice for the current time, in a database whose only slice is the catch-up one.
const DefaultWidth = 24 * time.Hour

// slicesPerRetention is how many slices a retention is cut into: expiry is late by at most
// one slice, and each statement that cannot narrow its partitions (the claim, ingestion's key
// look-up, the admin listing) plans and locks about this many per table, plus the current one
// and two ahead. Measured (go tool task bench), 30 slices cost ingestion and the engine two
// thirds of their rate against a new database's three; eight cost about a fifth.
const slicesPerRetention = 8

// maxWidth keeps a very long retention's slices to a week.
const maxWidth = 7 * 24 * time.Hour

// Width is the slice width for a retention: an eighth of it in whole minutes, at least a
// minute (so that retentions of minutes work) and at most a week.
func Width(retention time.Duration) time.Duration {
	return min(max((retention/slicesPerRetention).Truncate(time.Minute), time.Minute), maxWidth)
}

// Config tunes a Keeper.
type Config struct {
	// Retention is how long history is kept; zero means DefaultRetention.
	Retention time.Duration
	Logger    *slog.Logger
}

// Keeper creates and expires the slices of history.
type Keeper struct {
	conn      *sql.DB
	retention time.Duration
	width     time.Duration
	log       *slog.Logger
}

// New returns a keeper of history on conn.
func New(conn *sql.DB, cfg Config) (*Keeper, error) {
	if cfg.Retention < 0 {
		return nil, fmt.Errorf("retention: Config.Retention is %s: want a positive duration, or zero for the default", cfg.Retention)
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Keeper{conn: conn, retention: cfg.Retention, width: Width(cfg.Retention), log: cfg.Logger}, nil
}

// Width is the width of the slices this keeper creates.
func (k *Keeper) Width() time.Duration { return k.width }

// Interval is how often Run does the upkeep: a quarter of the width, between 15 seconds and
// 5 minutes, so that a slice is created several upkeeps before it is needed.
func (k *Keeper) Interval() time.Duration {
	return min(max(k.width/4, 15*time.Second), 5*time.Minute)
}

// ahead is how far past the current time slices exist: the current one and two more.
func (k *Keeper) ahead() time.Duration { return 2 * k.width }

// Prepare creates the slices that ingestion needs now and soon. The service calls it before
// it serves.
func (k *Keeper) Prepare(ctx context.Context) error {
	return untilUnlocked(ctx, func() error {
		_, err := ensure(ctx, k.conn, k.width, k.ahead())
		return err
	})
}

// Cover creates the slice for the current time when there is none, as wide as the newest
// slice: ingestion calls it when an insert found no partition (the upkeep has not run for
// longer than the slices ahead last, or the database was migrated and never prepared).
func Cover(ctx context.Context, conn *sql.DB) error {
	return untilUnlocked(ctx, func() error {
		_, err := ensure(ctx, conn, 0, 0)
		return err
	})
}

// untilUnlocked calls create again while it gives up on a lock, for up to half a minute:
// creating slices gives up after a second of waiting for one, and another instance's upkeep
// or another request's Cover (seconds on Citus, which creates each partition's shards) may hold
// the tables that long.
func untilUnlocked(ctx context.Context, create func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := create()
		var pqErr *pq.Error
		if err == nil || !errors.As(err, &pqErr) || (pqErr.Code != "55P03" && pqErr.Code != "57014") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ErrPostponed is an upkeep that gave way to requests holding the tables it needed; the next
// upkeep does what it left.
var ErrPostponed = errors.New("postponed")

// Run does the upkeep every Interval until ctx ends.
func (k *Keeper) Run(ctx context.Context) error {
	tick := time.NewTicker(k.Interval())
	defer tick.Stop()
	for {
		r, err := k.Upkeep(ctx)
		switch {
		case errors.Is(err, ErrPostponed):
			k.log.Info("history upkeep postponed: requests held the tables a slice's drop needs; the next upkeep tries again", "detail", err)
		case err != nil && ctx.Err() == nil:
			k.log.Error("history upkeep", "error", err)
		case r.Created > 0 || r.Dropped > 0 || r.MovedEvents > 0 || r.Kept > 0 || r.PortalSessions > 0 || r.RetiredSecrets > 0:
			k.log.Info("history upkeep", "created", r.Created, "dropped", r.Dropped, "kept", r.Kept,
				"moved_events", r.MovedEvents, "moved_deliveries", r.MovedDeliveries, "moved_attempts", r.MovedAttempts,
				"expired_portal_sessions", r.PortalSessions, "retired_secrets", r.RetiredSecrets, "accounts_woken", r.Woken)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Report says what one upkeep did.
type Report struct {
	// Ran is false when another instance was doing the upkeep.
	Ran bool
	// Created and Dropped count slices.
	Created, Dropped int
	// Kept counts expired slices kept for a pending delivery that could not be moved yet.
	Kept int
	// Rows moved forward out of expiring slices.
	MovedEvents, MovedDeliveries, MovedAttempts int
	// PortalSessions counts the long-expired portal sessions deleted.
	PortalSessions int
	// RetiredSecrets counts the secrets forgotten once their rotation's window closed.
	RetiredSecrets int
	// Woken counts the accounts with deliveries due that were woken (see WakeAccountsWithDueDeliveries).
	Woken int
}

// moveBatch bounds the pending deliveries one statement moves forward (and the accounts one
// statement lists), so that a backlog held up by a target that is down moves in statements of
// bounded length.
const moveBatch = 5000

// movePendingForward moves the pending deliveries of slices before cutoff forward, one account
// at a time: a statement that locks rows must name its account for Citus to run it.
func movePendingForward(ctx context.Context, q *db.Queries, cutoff time.Time, r *Report) error {
	after := uuid.Nil
	for {
		accounts, err := q.ListAccountsWithExpiringPending(ctx, db.ListAccountsWithExpiringPendingParams{Cutoff: cutoff, After: after, MaxAccounts: moveBatch})
		if err != nil {
			return err
		}
		for _, account := range accounts {
			for {
				m, err := q.MovePendingForward(ctx, db.MovePendingForwardParams{AccountID: account, Cutoff: cutoff, MaxRows: moveBatch})
				if err != nil {
					return err
				}
				r.MovedEvents += int(m.Events)
				r.MovedDeliveries += int(m.Deliveries)
				r.MovedAttempts += int(m.Attempts)
				// Deliveries whose event has another delivery in flight are taken and left:
				// stop once a statement moves nothing, or takes less than it may.
				if m.Locked < moveBatch || m.Deliveries == 0 {
					break
				}
			}
		}
		if len(accounts) < moveBatch {
			return nil
		}
		after = accounts[len(accounts)-1]
	}
}

// PortalSessionsKept is how long a portal session stays listed after it expires; the upkeep
// deletes it then. The upkeep is the service's one periodic job that runs once across
// instances, so it does this small chore too.
const PortalSessionsKept = 24 * time.Hour

// Upkeep creates the slices ahead, wakes accounts with due deliveries (the engine's safety
// net), moves pending deliveries out of slices about to expire, drops the expired ones and
// forgets expired portal sessions and retired secrets, unless another instance is doing so.
func (k *Keeper) Upkeep(ctx context.Context) (r Report, err error) {
	conn, err := k.conn.Conn(ctx)
	if err != nil {
		return r, err
	}
	defer conn.Close()
	// A session lock: detaching a partition concurrently cannot run inside a transaction.
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", upkeepLock).Scan(&r.Ran); err != nil || !r.Ran {
		return r, err
	}
	defer func() {
		unlock, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.ExecContext(unlock, "SELECT pg_advisory_unlock($1)", upkeepLock); uerr != nil {
			// The lock must not outlive the upkeep on a pooled connection: close it instead.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, uerr)
		}
	}()

	if r.Created, err = ensure(ctx, conn, k.width, k.ahead()); err != nil {
		return r, err
	}
	var now time.Time
	if err := conn.QueryRowContext(ctx, "SELECT now()").Scan(&now); err != nil {
		return r, err
	}
	// The delivery engine finds due deliveries through their accounts' wake-ups, which their
	// writers add; this is the safety net under them (and wakes what was queued before they
	// existed). It reads every account's due deliveries, so it runs here, once across instances.
	q := db.New(conn)
	woken, err := q.WakeAccountsWithDueDeliveries(ctx)
	if err != nil {
		return r, fmt.Errorf("waking accounts with due deliveries: %w", err)
	}
	r.Woken = int(woken)
	// Pending rows leave a slice one width before it expires, so that a delivery in flight has
	// that long to finish before its slice is due.
	if err := movePendingForward(ctx, q, now.Add(-k.retention+k.width), &r); err != nil {
		return r, fmt.Errorf("moving pending deliveries forward: %w", err)
	}
	for {
		n, err := q.DeleteExpiredPortalSessions(ctx, db.DeleteExpiredPortalSessionsParams{Before: now.Add(-PortalSessionsKept), MaxRows: moveBatch})
		if err != nil {
			return r, fmt.Errorf("deleting expired portal sessions: %w", err)
		}
		r.PortalSessions += int(n)
		if n < moveBatch {
			break
		}
	}
	for _, forget := range []func(context.Context, time.Time) (int64, error){q.ForgetRetiredSubscriptionSecrets, q.ForgetRetiredScopeSecrets} {
		n, err := forget(ctx, now)
		if err != nil {
			return r, fmt.Errorf("forgetting retired secrets: %w", err)
		}
		r.RetiredSecrets += int(n)
	}
	all, err := List(ctx, conn)
	if err != nil {
		return r, err
	}
	distributed, err := db.IsDistributed(ctx, conn)
	if err != nil {
		return r, err
	}
	for _, s := range all {
		if s.Until.After(now.Add(-k.retention)) {
			break // sorted by Until: the rest are younger
		}
		if pending, err := hasPending(ctx, conn, s); err != nil {
			return r, err
		} else if pending {
			r.Kept++
			continue
		}
		if err := drop(ctx, conn, s, distributed); err != nil {
			return r, err
		}
		r.Dropped++
	}
	return r, dropLeftovers(ctx, conn)
}
