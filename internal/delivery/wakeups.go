package delivery

import (
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Wake-ups (the delivery_wakeups table) say which accounts may have deliveries due, and from
// when: the engine claims an account's deliveries only once it has taken one of its wake-ups,
// by a statement that names the account. Writers that make a delivery due add one in the same
// statement; the engine adds those of the retries it schedules, of the leases it takes (so
// that a worker that dies mid-lease is made up for), and of accounts it should look at again.

// wakes are wake-ups an engine hands in with its next look for due accounts.
type wakes struct {
	mu       sync.Mutex
	accounts []uuid.UUID
	at       []time.Time
	planned  []bool
}

func (w *wakes) add(account uuid.UUID, at time.Time, planned bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, a := range w.accounts {
		if a == account && w.at[i].Equal(at) {
			return
		}
	}
	w.accounts = append(w.accounts, account)
	w.at = append(w.at, at)
	w.planned = append(w.planned, planned)
}

// take returns the wake-ups gathered and forgets them.
func (w *wakes) take() *wakes {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := &wakes{accounts: w.accounts, at: w.at, planned: w.planned}
	if out.accounts == nil {
		out.accounts, out.at, out.planned = []uuid.UUID{}, []time.Time{}, []bool{}
	}
	w.accounts, w.at, w.planned = nil, nil, nil
	return out
}

// merge gathers again wake-ups that take returned but were not handed in.
func (w *wakes) merge(o *wakes) {
	for i, a := range o.accounts {
		w.add(a, o.at[i], o.planned[i])
	}
}

// gridUp rounds t up to a multiple of grid: planned wake-ups of one account fall on few
// instants, so that the table keeps one per instant however many deliveries they stand for.
func gridUp(t time.Time, grid time.Duration) time.Time {
	if grid <= 0 {
		return t
	}
	r := t.Truncate(grid)
	if r.Before(t) {
		r = r.Add(grid)
	}
	return r
}

// aPollLater is the planned instant a poll after now, on the poll interval's grid: the
// hand-ins of one account for it, from any instance, merge into one wake-up.
func (e *Engine) aPollLater(now time.Time) time.Time {
	return gridUp(now.Add(e.cfg.PollInterval), e.cfg.PollInterval)
}

// coverGrid is the grid of the wake-ups set at the end of leases: an eighth of a lease, so
// that a dead worker's deliveries wait at most that much longer than their leases.
func (e *Engine) coverGrid() time.Duration { return max(e.cfg.Lease/8, time.Millisecond) }

// retryWakeups are the wake-ups of retries due at the given times: those due within a poll
// interval share one at the latest of them (not merged with others: see the table's comment),
// later ones are planned on the poll interval's grid, so that a retry waits at most a poll
// interval past its time, as it would for a poll.
func (e *Engine) retryWakeups(retries []time.Time, now time.Time) ([]time.Time, []bool) {
	at, planned := []time.Time{}, []bool{}
	soon := now.Add(e.cfg.PollInterval)
	var latestSoon time.Time
	for _, t := range retries {
		if !t.After(soon) {
			if t.After(latestSoon) {
				latestSoon = t
			}
			continue
		}
		g := gridUp(t, e.cfg.PollInterval)
		if !slices.ContainsFunc(at, g.Equal) {
			at, planned = append(at, g), append(planned, true)
		}
	}
	if !latestSoon.IsZero() {
		at, planned = append(at, latestSoon), append(planned, false)
	}
	return at, planned
}
