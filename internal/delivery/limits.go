package delivery

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// limits shares an engine's call slots fairly: at most perTarget calls in flight to one host, at
// most perAccount for one tenant, and no calls to a host whose breaker is open. Claimed
// deliveries whose host has no free slot wait in its queue, ready to go the moment a call ends,
// so that a busy host is fed without a claim per call. A host whose queue holds half a batch, or
// whose breaker is open, and a tenant at its cap are left out of claims: a hanging or failing
// target only delays its own deliveries.
type limits struct {
	mu                    sync.Mutex
	total, perTarget      int
	perAccount            int
	batch                 int
	breakAfter            int
	cooldown, maxCooldown time.Duration
	inFlight, queued      int
	closing               bool
	targets               map[string]*target
	accounts              map[uuid.UUID]int
}

// target is what the engine knows of one host.
type target struct {
	inFlight int
	queue    []*call
	// subs are the subscriptions seen delivering to this host, with their accounts; they are
	// left out of claims while the host is busy, and their accounts woken when it is no longer.
	subs map[uuid.UUID]uuid.UUID
	// failures counts failed calls in a row; trips how often the breaker opened in a row.
	failures, trips int
	openUntil       time.Time
}

func newLimits(total, perTarget, perAccount, batch, breakAfter int, cooldown time.Duration) *limits {
	return &limits{total: total, perTarget: perTarget, perAccount: perAccount, batch: batch, breakAfter: breakAfter,
		cooldown: cooldown, maxCooldown: 20 * cooldown,
		targets: map[string]*target{}, accounts: map[uuid.UUID]int{}}
}

// free is how many call slots are free.
func (l *limits) free() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total - l.inFlight
}

// busy returns the subscriptions and accounts claims should leave out now, and the accounts
// of those subscriptions (a claim of theirs may leave due deliveries behind).
func (l *limits) busy(now time.Time) (subs, accounts []uuid.UUID, subAccounts map[uuid.UUID]bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	subs, accounts, subAccounts = []uuid.UUID{}, []uuid.UUID{}, map[uuid.UUID]bool{}
	for host, t := range l.targets {
		if !l.targetBusy(t, now) {
			if t.inFlight == 0 && len(t.queue) == 0 && t.failures == 0 {
				delete(l.targets, host) // nothing to remember
			}
			continue
		}
		for s, a := range t.subs {
			subs = append(subs, s)
			subAccounts[a] = true
		}
	}
	for a, n := range l.accounts {
		if n >= l.perAccount {
			accounts = append(accounts, a)
		}
	}
	return subs, accounts, subAccounts
}

// targetBusy tells whether claims should leave t out; the caller holds the lock.
func (l *limits) targetBusy(t *target, now time.Time) bool {
	return l.room(t, now) == 0 || len(t.queue) >= max(1, l.batch/2)
}

// room is how many calls a target may have in flight: none while its breaker is open, one to
// probe it once the cooldown has passed.
func (l *limits) room(t *target, now time.Time) int {
	switch {
	case now.Before(t.openUntil):
		return 0
	case t.failures >= l.breakAfter:
		return 1
	}
	return l.perTarget
}

// admit takes a claimed call: start means make it now, queued that it waits for its target;
// neither means there is no room and it goes back to the queue table.
func (l *limits) admit(c *call, now time.Time) (start, queued bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.targets[c.host]
	if t == nil {
		t = &target{subs: map[uuid.UUID]uuid.UUID{}}
		l.targets[c.host] = t
	}
	t.subs[c.row.Subscription.ID] = c.row.AccountID
	room := l.room(t, now)
	switch {
	case l.closing || room == 0:
		return false, false
	case t.inFlight < room && l.inFlight < l.total && l.accounts[c.row.AccountID] < l.perAccount:
		l.begin(t, c)
		return true, false
	// Queued calls start when one of the host's calls ends: a host with none in flight has
	// nothing to wait for.
	case t.inFlight > 0 && len(t.queue) < 2*l.batch && l.queued < 4*l.total:
		t.queue = append(t.queue, c)
		c.queuedAt = now
		l.queued++
		return false, true
	}
	return false, false
}

// begin counts c in flight; the caller holds the lock.
func (l *limits) begin(t *target, c *call) {
	t.inFlight++
	l.inFlight++
	l.accounts[c.row.AccountID]++
}

// done gives back the slot of a finished call; ok tells whether the target answered sensibly
// (nil when no call was made). It returns the queued calls to start now, those to hand back
// because the target's breaker opened, whether a claim may now find more work, and the
// accounts whose deliveries to the target claims left behind while it was busy.
func (l *limits) done(c *call, ok *bool, now time.Time) (next, handBack []*call, wake bool, woken []uuid.UUID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.targets[c.host]
	account := c.row.AccountID
	wasTargetBusy := l.targetBusy(t, now)
	wasBusy := wasTargetBusy || l.accounts[account] >= l.perAccount
	wasFull := l.inFlight > l.total-max(1, l.total/4)
	t.inFlight--
	l.inFlight--
	if l.accounts[account]--; l.accounts[account] <= 0 {
		delete(l.accounts, account)
	}
	switch {
	case ok == nil:
	case *ok:
		t.failures, t.trips, t.openUntil = 0, 0, time.Time{}
	default:
		if t.failures++; t.failures >= l.breakAfter && !now.Before(t.openUntil) {
			t.trips++
			t.openUntil = now.Add(min(l.cooldown<<min(t.trips-1, 10), l.maxCooldown))
		}
	}
	if now.Before(t.openUntil) || l.closing {
		handBack = l.unqueue(t, len(t.queue))
	}
	// Queued calls go in order, as far as the host and the tenants have room.
	for len(t.queue) > 0 && t.inFlight < l.room(t, now) && l.inFlight < l.total {
		head := t.queue[0]
		if l.accounts[head.row.AccountID] >= l.perAccount {
			break
		}
		t.queue = t.queue[1:]
		l.queued--
		l.begin(t, head)
		next = append(next, head)
	}
	targetFreed := wasTargetBusy && !l.targetBusy(t, now)
	if targetFreed {
		seen := map[uuid.UUID]bool{}
		for _, a := range t.subs {
			if !seen[a] {
				seen[a] = true
				woken = append(woken, a)
			}
		}
	}
	if t.inFlight == 0 && t.failures == 0 {
		clear(t.subs) // forget subscriptions once the host is healthy and idle
	}
	busyNow := l.targetBusy(t, now) || l.accounts[account] >= l.perAccount
	wake = (wasBusy && !busyNow) || (wasFull && l.inFlight <= l.total-max(1, l.total/4))
	return next, handBack, wake, woken
}

// stale removes and returns queued calls that waited since before oldest (their leases must
// not run out while they wait), or all of them when the engine is closing.
func (l *limits) stale(oldest time.Time) []*call {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*call
	for _, t := range l.targets {
		n := 0
		for n < len(t.queue) && (l.closing || t.queue[n].queuedAt.Before(oldest)) {
			n++
		}
		out = append(out, l.unqueue(t, n)...)
	}
	return out
}

// close stops admitting calls and starting queued ones.
func (l *limits) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closing = true
}

// unqueue removes the first n queued calls of t; the caller holds the lock.
func (l *limits) unqueue(t *target, n int) []*call {
	out := append([]*call(nil), t.queue[:n]...)
	t.queue = t.queue[n:]
	l.queued -= n
	return out
}
