package delivery

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
)

func newCall(host string, sub, account uuid.UUID) *call {
	return &call{host: host, row: db.ClaimDeliveryBatchRow{AccountID: account, Subscription: db.Subscription{ID: sub, AccountID: account}}}
}

func TestATargetGetsItsCapThenQueuesThenIsLeftOut(t *testing.T) {
	t.Parallel()
	l := newLimits(100, 2, 100, 4, 3, time.Second) // two in flight; busy from 2 queued; at most 8 queued
	now := time.Now()
	sub, acct := uuid.New(), uuid.New()
	admit := func() string {
		start, queued := l.admit(newCall("slow:443", sub, acct), now)
		return map[[2]bool]string{{true, false}: "start", {false, true}: "queue", {false, false}: "back"}[[2]bool{start, queued}]
	}
	var got []string
	for range 3 {
		got = append(got, admit())
	}
	if want := "start start queue"; strings.Join(got, " ") != want {
		t.Errorf("admissions %s, want %s", strings.Join(got, " "), want)
	}
	if subs, _, _ := l.busy(now); len(subs) != 0 {
		t.Error("a target with a short queue is left out of claims")
	}
	got = got[:0]
	for range 9 {
		got = append(got, admit())
	}
	if want := "queue queue queue queue queue queue queue back back"; strings.Join(got, " ") != want {
		t.Errorf("admissions %s, want %s", strings.Join(got, " "), want)
	}
	subs, _, _ := l.busy(now)
	if len(subs) != 1 || subs[0] != sub {
		t.Errorf("busy subscriptions %v, want the slow target's", subs)
	}
	if l.free() != 98 {
		t.Errorf("%d call slots free, want 98: queued deliveries hold none", l.free())
	}
	// Another target of the same tenant still gets in.
	if start, _ := l.admit(newCall("fast:443", uuid.New(), acct), now); !start {
		t.Error("a second target was held up by the first")
	}
	// A finished call starts a queued one at once.
	next, back, _, _ := l.done(newCall("slow:443", sub, acct), ptr(true), now)
	if len(next) != 1 || len(back) != 0 {
		t.Errorf("after a call ended: %d started, %d handed back", len(next), len(back))
	}
	// Queued calls that waited too long go back.
	if stale := l.stale(now.Add(time.Second)); len(stale) != 7 {
		t.Errorf("%d stale calls, want the 7 still queued", len(stale))
	}
}

func TestTheBreakerOpensBacksOffAndProbes(t *testing.T) {
	t.Parallel()
	l := newLimits(100, 10, 100, 4, 3, time.Second)
	now := time.Now()
	sub, acct := uuid.New(), uuid.New()
	for range 6 {
		l.admit(newCall("down:443", sub, acct), now)
	}
	var handedBack int
	for range 3 {
		_, back, _, _ := l.done(newCall("down:443", sub, acct), ptr(false), now)
		handedBack += len(back)
	}
	if handedBack != 0 {
		t.Errorf("%d queued calls handed back before the breaker opened", handedBack)
	}
	if start, queued := l.admit(newCall("down:443", sub, acct), now); start || queued {
		t.Error("a call was admitted while the breaker is open")
	}
	if subs, _, _ := l.busy(now); len(subs) != 1 {
		t.Error("an open breaker's subscriptions are not left out of claims")
	}
	// After the cooldown one probe goes through; its failure doubles the wait.
	later := now.Add(1100 * time.Millisecond)
	for range 3 { // the calls still in flight end
		l.done(newCall("down:443", sub, acct), nil, later)
	}
	if start, _ := l.admit(newCall("down:443", sub, acct), later); !start {
		t.Fatal("no probe after the cooldown")
	}
	if start, _ := l.admit(newCall("down:443", sub, acct), later); start {
		t.Error("a second call started while probing")
	}
	l.done(newCall("down:443", sub, acct), ptr(false), later)
	if start, _ := l.admit(newCall("down:443", sub, acct), later.Add(1500*time.Millisecond)); start {
		t.Error("the breaker reopened for no longer than the first time")
	}
	if start, _ := l.admit(newCall("down:443", sub, acct), later.Add(2100*time.Millisecond)); !start {
		t.Error("no probe after the doubled cooldown")
	}
}

func TestATenantIsCapped(t *testing.T) {
	t.Parallel()
	l := newLimits(100, 10, 3, 4, 5, time.Second)
	acct := uuid.New()
	for i := range 4 {
		start, queued := l.admit(newCall("h"+string(rune('a'+i)), uuid.New(), acct), time.Now())
		if (start || queued) != (i < 3) {
			t.Errorf("call %d admitted = %v", i, start || queued)
		}
	}
	if _, accounts, _ := l.busy(time.Now()); len(accounts) != 1 || accounts[0] != acct {
		t.Errorf("busy accounts %v", accounts)
	}
}

func ptr[T any](v T) *T { return &v }
