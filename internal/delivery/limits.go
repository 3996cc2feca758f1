package delivery

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// limits shares an engine's slots fairly: at most perTarget calls in flight to one host, at
// most perAccount calls in flight or waiting for one tenant, and no calls to a host whose
// breaker is open. Claimed deliveries a target has no room for wait in its queue (at most
// perTarget of them), ready to go as soon as a call ends. The engine leaves full targets and
// tenants out of its claims, so a hanging or failing target only delays its own deliveries.
type limits struct {
	mu                    sync.Mutex
	total, perTarget      int
	perAccount            int
	breakAfter            int
	cooldown, maxCooldown time.Duration
	used                  int // calls in flight or queued
	closing               bool
	targets               map[string]*target
	accounts              map[uuid.UUID]int
}

// target is what the engine knows of one host.
type target struct {
	inFlight int
	queue    []*call
	// subs are the subscriptions seen delivering to this host; they are left out of claims
	// while the host is full or its breaker is open.
	subs map[uuid.UUID]struct{}
	// failures counts failed calls in a row; trips how often the breaker opened in a row.
	failures, trips int
	openUntil       time.Time
}

func newLimits(total, perTarget, perAccount, breakAfter int, cooldown time.Duration) *limits {
	return &limits{total: total, perTarget: perTarget, perAccount: perAccount, breakAfter: breakAfter,
		cooldown: cooldown, maxCooldown: 20 * cooldown,
		targets: map[string]*target{}, accounts: map[uuid.UUID]int{}}
}

// free is how many more deliveries may be claimed.
func (l *limits) free() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total - l.used
}

// busy returns the subscriptions and accounts that have no room now.
func (l *limits) busy(now time.Time) (subs, accounts []uuid.UUID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	subs, accounts = []uuid.UUID{}, []uuid.UUID{}
	for host, t := range l.targets {
		if room := l.room(t, now); room > 0 && t.inFlight+len(t.queue) < room+l.perTarget {
			if t.inFlight == 0 && t.failures == 0 {
				delete(l.targets, host) // nothing to remember
			}
			continue
		}
		for s := range t.subs {
			subs = append(subs, s)
		}
	}
	for a, n := range l.accounts {
		if n >= l.perAccount {
			accounts = append(accounts, a)
		}
	}
	return subs, accounts
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
		t = &target{subs: map[uuid.UUID]struct{}{}}
		l.targets[c.host] = t
	}
	t.subs[c.row.Subscription.ID] = struct{}{}
	account := c.row.Subscription.AccountID
	if l.closing || l.used >= l.total || l.accounts[account] >= l.perAccount {
		return false, false
	}
	room := l.room(t, now)
	switch {
	case t.inFlight < room:
		t.inFlight++
	case room > 0 && len(t.queue) < l.perTarget:
		t.queue = append(t.queue, c)
		c.queuedAt = now
		queued = true
	default:
		return false, false
	}
	l.used++
	l.accounts[account]++
	return !queued, queued
}

// done gives back the slot of a finished call; ok tells whether the target answered sensibly
// (nil when no call was made). It returns the queued calls to start now, and those to hand
// back because the target's breaker opened.
func (l *limits) done(c *call, ok *bool, now time.Time) (next, handBack []*call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.put(c)
	t := l.targets[c.host]
	t.inFlight--
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
	for len(t.queue) > 0 && t.inFlight < l.room(t, now) {
		next = append(next, t.queue[0])
		t.queue = t.queue[1:]
		t.inFlight++
	}
	if t.inFlight == 0 && t.failures == 0 {
		clear(t.subs) // forget subscriptions once the host is healthy and idle
	}
	return next, handBack
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
	for _, c := range out {
		l.put(c)
	}
	return out
}

// put gives back c's share of the totals; the caller holds the lock.
func (l *limits) put(c *call) {
	l.used--
	account := c.row.Subscription.AccountID
	if l.accounts[account]--; l.accounts[account] <= 0 {
		delete(l.accounts, account)
	}
}
