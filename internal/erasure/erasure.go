// Package erasure removes the rows of accounts whose erasure has begun.
//
// DELETE /admin/v1/accounts/{id} only marks the account (accounts.erasing_since); from then on
// no credential, admin operation or ingestion finds it. Every instance runs an Eraser, which
// claims marked accounts under a lease and deletes their rows in small batches, each statement
// its own short transaction, children before parents and the account row last. Everything it
// needs is in the database, so an erasure that a restart interrupts continues on whichever
// instance claims the account next.
package erasure

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
)

// Config tunes an Eraser.
type Config struct {
	// Batch is the most rows one statement deletes (a delivery's attempts come with it).
	Batch int
	// Poll is how often an instance looks for accounts to erase.
	Poll time.Duration
	// Lease is how long a claimed account stays one eraser's: a crashed eraser's account is
	// taken over after it. An eraser hands an account back after half of it and claims again.
	Lease time.Duration
	// Grace is how long after the mark the rows that a request could still be writing wait:
	// subscriptions, scopes, credentials and their rate-limit windows, and the account row. It
	// must outlast a request authenticated just before the mark (or by another instance's
	// cached credential within the second after it), so that such a request finds its account
	// whole rather than half gone, and whatever it writes is erased too. Events, deliveries and
	// attempts go at once: ingestion and test events stop at the mark itself.
	Grace time.Duration
	// Logger reports each erased account and failed pass; nil means slog.Default().
	Logger *slog.Logger
}

// Defaults suit the service: its longest request lasts 45 s (cmd/webhookd's write timeout).
var Defaults = Config{Batch: 1000, Poll: time.Second, Lease: 30 * time.Second, Grace: time.Minute}

// dueAtOnce is how many due accounts one look finds.
const dueAtOnce = 10

// Eraser erases marked accounts.
type Eraser struct {
	q   *db.Queries
	cfg Config
	log *slog.Logger
	// afterBatch, when set, runs after each statement that deleted rows (tests stop an eraser
	// midway with it).
	afterBatch func()
}

// New returns an eraser over conn.
func New(conn *sql.DB, cfg Config) (*Eraser, error) {
	if cfg.Batch < 1 || cfg.Poll <= 0 || cfg.Lease <= 0 || cfg.Grace < 0 {
		return nil, fmt.Errorf("erasure: batch, poll and lease must be positive and grace not negative: %+v", cfg)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Eraser{q: db.New(conn), cfg: cfg, log: log}, nil
}

// Run erases due accounts until ctx ends. A failed pass is logged and retried after the
// account's lease lapses.
func (e *Eraser) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		found, err := e.EraseDue(ctx)
		if err != nil && ctx.Err() == nil {
			e.log.Error("erasing accounts", "error", err)
		}
		wait := e.cfg.Poll
		if found && err == nil {
			wait = 0 // more may be due
		}
		timer.Reset(wait)
	}
}

// EraseDue makes one pass over the accounts due for erasure that no eraser holds, and tells
// whether there were any.
func (e *Eraser) EraseDue(ctx context.Context) (bool, error) {
	ids, err := e.q.ListDueErasures(ctx, dueAtOnce)
	if err != nil {
		return false, err
	}
	for _, id := range ids {
		if err := e.erase(ctx, id); err != nil {
			return true, fmt.Errorf("account %s: %w", id, err)
		}
	}
	return len(ids) > 0, nil
}

// step deletes one batch of an account's rows of one table and returns how many went.
type step struct {
	table string
	// most caps the batch below Config.Batch when each row costs much (0: no cap).
	most  int32
	erase func(ctx context.Context, q *db.Queries, account uuid.UUID, batch int32) (int64, error)
}

// immediate are the tables nothing adds to once the account is marked: their writers
// (ingestion and test events) check the mark in the statement that writes them (hold_account).
var immediate = []step{
	{"deliveries", 0, func(ctx context.Context, q *db.Queries, a uuid.UUID, n int32) (int64, error) {
		return q.EraseDeliveries(ctx, db.EraseDeliveriesParams{AccountID: a, MaxRows: n})
	}},
	{"events", 0, func(ctx context.Context, q *db.Queries, a uuid.UUID, n int32) (int64, error) {
		return q.EraseEvents(ctx, db.EraseEventsParams{AccountID: a, MaxRows: n})
	}},
	// The engine's wake-ups, few per account (a claim in flight may add one more: the pass
	// after the grace period takes it).
	{"delivery_wakeups", 0, func(ctx context.Context, q *db.Queries, a uuid.UUID, n int32) (int64, error) {
		return q.DeleteAccountWakeups(ctx, a)
	}},
}

// afterGrace are the tables requests in flight may still write to (an operator's request
// may open a portal session); rate-limit windows are found through the credentials' digests,
// so they go first.
var afterGrace = []step{
	{"subscriptions", 0, func(ctx context.Context, q *db.Queries, a uuid.UUID, n int32) (int64, error) {
		return q.EraseSubscriptions(ctx, db.EraseSubscriptionsParams{AccountID: a, MaxRows: n})
	}},
	// Deleting a scope makes PostgreSQL look for the events that reference it, and events has
	// no index on scope_id: each scope costs a scan of every account's events (a quarter of a
	// second per 2 million), so each goes in a statement of its own.
	{"scopes", 1, func(ctx context.Context, q *db.Queries, a uuid.UUID, n int32) (int64, error) {
		return q.EraseScopes(ctx, db.EraseScopesParams{AccountID: a, MaxRows: n})
	}},
	{"rate_limit_windows", 0, func(ctx context.Context, q *db.Queries, a uuid.UUID, n int32) (int64, error) {
		return q.EraseRateLimitWindows(ctx, db.EraseRateLimitWindowsParams{AccountID: a, MaxRows: n})
	}},
	{"portal_sessions", 0, func(ctx context.Context, q *db.Queries, a uuid.UUID, n int32) (int64, error) {
		return q.ErasePortalSessions(ctx, db.ErasePortalSessionsParams{AccountID: a, MaxRows: n})
	}},
	{"credentials", 0, func(ctx context.Context, q *db.Queries, a uuid.UUID, n int32) (int64, error) {
		return q.EraseCredentials(ctx, db.EraseCredentialsParams{AccountID: a, MaxRows: n})
	}},
}

// erase claims an account and deletes what may go now, for at most half its lease; then it
// hands the account back: at once when rows remain, at the end of the grace period when only
// those wait. After the grace period, the account row goes with the last of its rows.
func (e *Eraser) erase(ctx context.Context, account uuid.UUID) error {
	claim, err := e.q.ClaimErasure(ctx, db.ClaimErasureParams{
		ID: account, LeaseSeconds: e.cfg.Lease.Seconds(), GraceSeconds: e.cfg.Grace.Seconds(),
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil // another eraser took it first, or it is gone
	} else if err != nil {
		return err
	}
	steps := immediate
	if claim.GraceOver {
		// The immediate tables once more: the grace period also covers their stragglers.
		steps = append(append([]step{}, immediate...), afterGrace...)
	}
	until := time.Now().Add(e.cfg.Lease / 2)
	erased := map[string]int64{}
	for _, s := range steps {
		for {
			if time.Now().After(until) {
				e.release(ctx, account, sql.NullTime{})
				return nil
			}
			batch := int32(e.cfg.Batch)
			if s.most > 0 {
				batch = min(batch, s.most)
			}
			n, err := s.erase(ctx, e.q, account, batch)
			if err != nil {
				if ctx.Err() != nil {
					e.release(ctx, account, sql.NullTime{})
				}
				return fmt.Errorf("erasing %s: %w", s.table, err)
			}
			erased[s.table] += n
			if n > 0 && e.afterBatch != nil {
				e.afterBatch()
			}
			if n < int64(batch) {
				break
			}
		}
	}
	if !claim.GraceOver {
		e.release(ctx, account, sql.NullTime{Time: claim.ErasingSince.Time.Add(e.cfg.Grace), Valid: true})
		return nil
	}
	if _, err := e.q.DeleteErasedAccount(ctx, account); err != nil {
		return fmt.Errorf("erasing the account row: %w", err)
	}
	e.log.Info("account erased", "account", account, "rows_of_the_last_pass", erased)
	return nil
}

// release hands an account back until until (NULL: to any eraser at once). It runs on
// shutdown as well, so that another instance need not wait for the lease; failing, the lease
// lapses by itself.
func (e *Eraser) release(ctx context.Context, account uuid.UUID, until sql.NullTime) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := e.q.ReleaseErasure(ctx, db.ReleaseErasureParams{ID: account, Until: until}); err != nil {
		e.log.Warn("handing back an erasure", "account", account, "error", err)
	}
}
