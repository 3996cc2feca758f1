package delivery

import (
	"context"
	"errors"

	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
)

// outcomeTimeout bounds writing a batch of outcomes.
const outcomeTimeout = 5 * time.Second

// call is one claimed delivery on its way through the engine.
type call struct {
	row     db.ClaimDeliveryBatchRow
	format  format.Format
	req     format.Request
	host    string
	attempt int
	reqID   string
	now     time.Time
	// queuedAt is when it began waiting for its target.
	queuedAt time.Time
	// outcome
	answer     answer
	answered   bool
	retryAfter time.Duration
	err        error
	class      string // the kind of failure, as the attempt log keeps it
	elapsed    time.Duration
	handBack   bool // the call did not complete (shutdown): release the delivery untouched
}

// manual tells whether the call is one an operator asked for (resend), outside the schedule.
func (c *call) manual() bool { return c.row.Manual }

// failures counts the failed attempts of the delivery's current schedule once this one
// failed: manual attempts and those of the schedules before a recovery are not the schedule's.
func (c *call) failures() int { return c.attempt + 1 - int(c.row.ScheduleBase) }

// Run delivers until ctx ends, then lets in-flight calls finish for up to DrainTimeout and
// hands back whatever is still unfinished.
//
// It claims again as soon as there is room while work is due, and otherwise waits for a
// notification of new deliveries, a freed slot, or the poll interval. A claim is a look for
// due accounts (their wake-ups) and one statement per account found; outcomes are one
// statement per account of a batch.
func (e *Engine) Run(ctx context.Context) error {
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var notify <-chan struct{}
	if e.cfg.ListenDSN != "" {
		l := e.listen(e.cfg.ListenDSN)
		defer l.close()
		notify = l.wake
	}
	r := &runner{e: e, work: work, done: make(chan *call, e.cfg.Concurrency), freed: make(chan struct{}, 1), wakes: &e.wakes}
	finished := make(chan struct{})
	go func() { defer close(finished); e.finishAll(r.done) }()
	defer func() {
		e.limits.close()
		r.handBack(e.limits.stale(time.Time{}))
		drained := make(chan struct{})
		go func() { r.calls.Wait(); close(drained) }()
		select {
		case <-drained:
		case <-time.After(e.cfg.DrainTimeout):
			stopWork() // calls end with an error and their deliveries are handed back
			<-drained
		}
		close(r.done)
		<-finished
	}()
	poll := time.NewTicker(e.cfg.PollInterval)
	defer poll.Stop()
	// A queued delivery goes back before its lease could run out during its call.
	maxWait := (e.cfg.Lease - e.cfg.AttemptTimeout) / 2
	due := true
	for ctx.Err() == nil {
		r.handBack(e.limits.stale(e.now().Add(-maxWait)))
		// Claim once a quarter of the slots is free (or all are), so claims stay batches.
		free := e.limits.free()
		if due && free > 0 && (free >= max(1, e.cfg.Concurrency/4) || free == e.cfg.Concurrency) {
			more, err := e.claim(ctx, r, min(free, e.cfg.Batch))
			if err != nil && ctx.Err() == nil {
				e.log.Error("claiming deliveries", "error", err)
			}
			if err == nil && more {
				continue // more may be due: claim again while there is room
			}
			due = false
		}
		select {
		case <-ctx.Done():
		case <-r.freed:
			due = true
		case <-notify:
			due = true
		case <-poll.C:
			due = true
		}
	}
	return nil
}

// runner starts calls and passes their outcomes on.
type runner struct {
	e     *Engine
	work  context.Context
	calls sync.WaitGroup
	done  chan *call
	freed chan struct{}
	// wakes are the wake-ups to hand in with the next look for due accounts.
	wakes *wakes
}

// start makes c's call, then starts the calls its target had queued.
func (r *runner) start(c *call) {
	if !c.queuedAt.IsZero() {
		r.e.build(c, r.e.now()) // signed afresh: it may have waited a while
	}
	r.calls.Add(1)
	go func() {
		defer r.calls.Done()
		r.e.attempt(r.work, c)
		r.done <- c
		now := r.e.now()
		next, back, wake, woken := r.e.limits.done(c, breakerOutcome(c), now)
		for _, n := range next {
			r.start(n)
		}
		r.handBack(back)
		for _, a := range woken {
			r.wakes.add(a, now, false)
		}
		if wake {
			select {
			case r.freed <- struct{}{}:
			default:
			}
		}
	}()
}

func (r *runner) handBack(calls []*call) {
	for _, k := range byAccount(calls) {
		r.e.release(k)
	}
}

// keys are the primary keys of claimed deliveries of one account, with their calls: each
// statement that writes a delivery names its account and reaches the one partition (time
// slice) that holds it.
type keys struct {
	account uuid.UUID
	ids     []uuid.UUID
	slices  []time.Time
	calls   []*call
}

func (k *keys) add(c *call) {
	k.ids = append(k.ids, c.row.DeliveryID)
	k.slices = append(k.slices, c.row.SliceAt)
	k.calls = append(k.calls, c)
}

// byAccount groups calls and their keys by account, in the order the accounts first appear.
func byAccount(calls []*call) []*keys {
	var out []*keys
	at := map[uuid.UUID]*keys{}
	for _, c := range calls {
		k := at[c.row.AccountID]
		if k == nil {
			k = &keys{account: c.row.AccountID}
			at[c.row.AccountID] = k
			out = append(out, k)
		}
		k.add(c)
	}
	return out
}

// claim looks for accounts with deliveries due (their wake-ups), then leases up to n due
// deliveries shared among them, a statement per account, and starts or queues them; those of
// busy targets or tenants are handed back. It tells whether more may be due: an account's
// claim took all it could, or as many accounts were found as were looked for.
func (e *Engine) claim(ctx context.Context, r *runner, n int) (bool, error) {
	now := e.now()
	subs, full, subAccounts := e.limits.busy(now)
	most := max(1, min(maxAccountsPerClaim, n/minShare))
	w := r.wakes.take()
	accounts, err := e.q.TakeDueAccounts(ctx, db.TakeDueAccountsParams{
		WakeAccounts: w.accounts, WakeAts: w.at, WakePlanned: w.planned, FullAccounts: full,
		Scan: int32(most * 16), MaxAccounts: int32(most),
	})
	if err != nil {
		r.wakes.merge(w) // not handed in: try again with the next look
		return false, err
	}
	more := len(accounts) == most
	left := n
	for i, picked := range accounts {
		account := picked.AccountID
		share := (left + len(accounts) - i - 1) / (len(accounts) - i) // what is left, shared fairly
		got, err := e.claimAccount(ctx, r, account, share, subs)
		if err != nil {
			r.wakes.add(account, now, false) // its wake-ups are gone: look again
			if ctx.Err() != nil {
				return false, err
			}
			e.log.Error("claiming deliveries", "account", account, "error", err)
			continue
		}
		left -= got
		switch {
		case got == share:
			r.wakes.add(account, now, false) // more may be due
			more = true
		case subAccounts[account], got == 0 && picked.Fresh:
			// Look again a poll later: deliveries to a busy target may have been left (they are
			// also looked for as soon as the target is free); or, on Citus, a wake-up due now
			// was seen a moment before the deliveries it stands for (still locked, or not there
			// yet, on a worker). That look's wake-up is planned, so an empty claim then ends there.
			r.wakes.add(account, e.aPollLater(now), true)
		}
	}
	return more, nil
}

// Claims look for at most maxAccountsPerClaim accounts at a time, and for fewer when there is
// room for fewer than minShare deliveries each, so that a claim stays a batch.
const (
	maxAccountsPerClaim = 8
	minShare            = 16
)

// claimAccount leases up to n of account's due deliveries and starts or queues them; those of
// busy targets or tenants are handed back. It returns how many it claimed.
func (e *Engine) claimAccount(ctx context.Context, r *runner, account uuid.UUID, n int, subs []uuid.UUID) (int, error) {
	now := e.now()
	rows, err := e.q.ClaimDeliveryBatch(ctx, db.ClaimDeliveryBatchParams{
		AccountID: account, LeaseSeconds: e.cfg.Lease.Seconds(), Worker: e.cfg.WorkerID, MaxRows: int32(n),
		FullSubscriptions: subs, CoverGrid: e.coverGrid().Seconds(),
	})
	if err != nil {
		return 0, err
	}
	var back []*call
	for _, row := range rows {
		c := &call{row: row, attempt: int(row.Attempts), reqID: uuid.NewString(), now: now}
		if row.Subscription.Status != "active" {
			e.drop(row, "the subscription is "+row.Subscription.Status)
			e.cfg.Metrics.observe(row.Subscription.Dialect, OutcomeDropped, 0)
			continue
		}
		e.build(c, now)
		c.host = hostOf(c.req.URL)
		switch start, queued := e.limits.admit(c, now); {
		case start:
			r.start(c)
		case !queued:
			back = append(back, c)
		}
	}
	r.handBack(back)
	return len(rows), nil
}

// build makes c's request in its dialect's format, signed at now.
func (e *Engine) build(c *call, now time.Time) {
	row := c.row
	f, ok := e.cfg.Formats.Lookup(row.Subscription.Dialect)
	if !ok {
		c.err = fmt.Errorf("dialect %q has no delivery format", row.Subscription.Dialect)
		return
	}
	c.format, c.now = f, now
	c.req, c.err = f.Request(format.Message{Event: row.Event, Subscription: row.Subscription, Scope: row.Scope,
		DeliveryID: row.DeliveryID, Attempt: c.attempt, RequestID: c.reqID, Now: now})
}

// attempt makes one call for c and records its outcome in c.
func (e *Engine) attempt(work context.Context, c *call) {
	if c.err != nil {
		c.class = ClassOther // no request could be made
		return
	}
	start := time.Now()
	c.answer, c.retryAfter, c.class, c.err = e.send(work, c.req, c.row.DeliveryID)
	c.answered = c.err == nil
	c.elapsed = time.Since(start)
	if c.err != nil && work.Err() != nil {
		c.handBack = true // shutting down: the call did not complete, another worker will redo it
		return
	}
	if status := c.answer.status; c.err == nil && (status < 200 || status > 299) {
		c.err = fmt.Errorf("%s answered %d %s", targetName(c.req.URL), status, http.StatusText(status))
		c.class = ClassHTTPStatus
	}
	if c.err == nil {
		c.class = ClassNone
	}
}

// breakerOutcome tells the breaker whether the target answered sensibly: a network failure, a
// timeout, a 5xx or a 429 count against it; nil when no call was made.
func breakerOutcome(c *call) *bool {
	status := c.answer.status
	if c.handBack || c.format == nil || (c.err != nil && status == 0 && c.elapsed == 0) {
		return nil
	}
	ok := status != 0 && status < 500 && status != http.StatusTooManyRequests
	return &ok
}

// finishAll writes the outcomes arriving on done, as many per statement as are waiting.
func (e *Engine) finishAll(done <-chan *call) {
	batch := make([]*call, 0, e.cfg.Batch)
	for c := range done {
		batch = append(batch[:0], c)
	more:
		for len(batch) < cap(batch) {
			select {
			case c, ok := <-done:
				if !ok {
					break more
				}
				batch = append(batch, c)
			default:
				break more
			}
		}
		e.finish(batch)
	}
}

// finish records a batch of attempts and their outcomes, a statement per account, then applies
// what follows failures.
func (e *Engine) finish(batch []*call) {
	var handBack, done []*call
	for _, c := range batch {
		if c.handBack {
			handBack = append(handBack, c)
		} else {
			done = append(done, c)
		}
	}
	for _, k := range byAccount(handBack) {
		e.release(k)
	}
	for _, k := range byAccount(done) {
		e.finishAccount(k)
	}
}

// finishAccount records the attempts and outcomes of one account's calls (k), with the
// wake-ups of the retries they schedule and what the subscriptions keep of them, then applies
// the vendors' consequence of deliveries given up.
func (e *Engine) finishAccount(k *keys) {
	batch := k.calls
	p := db.FinishDeliveriesParams{AccountID: k.account, Worker: e.cfg.WorkerID, WakeAts: []time.Time{}, WakePlanned: []bool{}}
	var gaveUp []*call
	var retries []time.Time
	kept := subscriptionsKeep{index: map[uuid.UUID]int{}}
	for _, c := range batch {
		status, next, errText, givenUp := "succeeded", c.now, "", false
		if c.err != nil {
			errText = c.err.Error()
			// Delays count from the answer, so that a Retry-After is honoured in full.
			answered := e.now()
			switch delay, retry := e.retryDelay(c, answered); {
			case c.manual() && c.row.ResumeAt.Valid:
				// A pending delivery resent: its schedule goes on where it was.
				status, next = "pending", c.row.ResumeAt.Time
			case c.manual():
				status = "failed" // it had settled: it settles again, without a new schedule
			case retry:
				status, next = "pending", answered.Add(max(delay, c.retryAfter))
			default:
				status, givenUp = "failed", true
				gaveUp = append(gaveUp, c)
			}
		}
		// A manual attempt's failure does not count toward disabling the subscription.
		kept.add(c.row.Subscription.ID, c.err == nil, givenUp, errText)
		if status == "pending" {
			retries = append(retries, next)
		}
		e.cfg.Metrics.observe(c.row.Subscription.Dialect, outcomeOf(status), c.elapsed)
		p.Statuses = append(p.Statuses, status)
		p.NextAttemptAt = append(p.NextAttemptAt, float64(next.UnixMicro())/1e6)
		p.StatusCodes = append(p.StatusCodes, int32(c.answer.status))
		p.Errors = append(p.Errors, errText)
		p.RequestIds = append(p.RequestIds, c.reqID)
		p.DurationsMs = append(p.DurationsMs, int32(c.elapsed.Milliseconds()))
		p.AttemptNumbers = append(p.AttemptNumbers, int32(c.attempt+1))
		record(&p, c)
	}
	p.WakeAts, p.WakePlanned = e.retryWakeups(retries, e.now())
	p.Ids, p.SliceAts = k.ids, k.slices
	p.SubscriptionIds, p.SubscriptionResets, p.SubscriptionFailures, p.SubscriptionErrors = kept.ids, kept.resets, kept.failures, kept.errors
	written, err := retried(func(ctx context.Context) ([]db.FinishDeliveriesRow, error) { return e.q.FinishDeliveries(ctx, p) })
	if err == nil {
		e.wakeAgain(k.account, p.WakeAts, p.WakePlanned)
	}
	var refused *pq.Error
	if errors.As(err, &refused) && len(p.Ids) > 1 {
		// The server refused the batch (a delivery deleted with its account, or moved to
		// another slice by the retention upkeep, after the statement began): write the
		// outcomes one by one, so that the others are not sent again.
		for _, c := range batch {
			e.finish([]*call{c})
		}
		return
	}
	if err != nil {
		// Nothing of the batch was written: the deliveries stay leased and are sent again
		// once their leases end (at-least-once).
		e.log.Error("finishing deliveries", "deliveries", len(p.Ids), "error", err)
		return
	}
	if len(written) < len(p.Ids) {
		// The lease ran out mid-call and another worker took the delivery over.
		e.log.Warn("delivery leases lost", "deliveries", len(p.Ids)-len(written))
	}
	streaks := make(map[uuid.UUID]int, len(written))
	for _, w := range written {
		streaks[w.ID] = int(w.Streak)
	}
	disabled := map[uuid.UUID]bool{}
	for _, c := range gaveUp {
		if streak, ok := streaks[c.row.DeliveryID]; ok && !disabled[c.row.Subscription.ID] {
			disabled[c.row.Subscription.ID] = e.giveUp(c, streak)
		}
	}
}

// subscriptionsKeep folds a batch's outcomes, in their order, into what each subscription
// keeps: a success resets its failure streak and clears its last error, a delivery given up
// adds to the streak, and every failure leaves its error.
type subscriptionsKeep struct {
	index    map[uuid.UUID]int
	ids      []uuid.UUID
	resets   []bool
	failures []int32
	errors   []string
}

func (k *subscriptionsKeep) add(id uuid.UUID, succeeded, counted bool, lastError string) {
	i, ok := k.index[id]
	if !ok {
		i = len(k.ids)
		k.index[id] = i
		k.ids, k.resets, k.failures, k.errors = append(k.ids, id), append(k.resets, false), append(k.failures, 0), append(k.errors, "")
	}
	if succeeded {
		k.resets[i], k.failures[i] = true, 0
	}
	if counted {
		k.failures[i]++
	}
	k.errors[i] = lastError
}

// record adds what c sent and got to the batch's attempt log.
func record(p *db.FinishDeliveriesParams, c *call) {
	url, reqHeader, respHeader := "", "", ""
	if c.req.URL != "" && c.format != nil {
		url, reqHeader = loggedURL(c.req.URL), headerJSON(c.req.Header)
	}
	if c.answered {
		respHeader = headerJSON(c.answer.header)
	}
	body := c.answer.body
	if body == nil {
		body = []byte{}
	}
	p.Manuals = append(p.Manuals, c.manual())
	p.ErrorClasses = append(p.ErrorClasses, c.class)
	p.RequestUrls = append(p.RequestUrls, url)
	p.RequestHeaders = append(p.RequestHeaders, reqHeader)
	p.RequestBodyBytes = append(p.RequestBodyBytes, int32(len(c.req.Body)))
	p.ResponseHeaders = append(p.ResponseHeaders, respHeader)
	p.ResponseBodies = append(p.ResponseBodies, body)
	p.ResponseTruncated = append(p.ResponseTruncated, c.answer.truncated)
}

// retryDelay is the dialect's wait before the next attempt, scaled, or false when it gives up.
func (e *Engine) retryDelay(c *call, now time.Time) (time.Duration, bool) {
	if c.format == nil {
		return 0, false
	}
	elapsed := time.Duration(float64(now.Sub(c.row.ScheduleStart)) / e.cfg.ScheduleScale)
	d, ok := c.format.Retry(c.failures(), elapsed)
	return e.scale(d), ok
}

// giveUp applies the vendor's consequence of a delivery that exhausted its retries, its
// subscription's failure streak (this one counted) being streak. It tells whether it disabled
// the subscription.
func (e *Engine) giveUp(c *call, streak int) bool {
	sub := c.row.Subscription
	if c.format == nil {
		return false
	}
	status, reason := c.format.GiveUp(c.failures(), streak, c.err.Error())
	if status == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), outcomeTimeout)
	defer cancel()
	// Apart from the outcome: were it lost, the streak stays counted, and the next delivery
	// given up disables the subscription.
	if err := e.q.DisableSubscription(ctx, db.DisableSubscriptionParams{AccountID: c.row.AccountID, ID: sub.ID, Status: status, StatusReason: reason}); err != nil {
		e.log.Error("disabling subscription", "subscription", sub.ID, "error", err)
		return false
	}
	e.log.Info("subscription disabled", "subscription", sub.ID, "dialect", sub.Dialect, "reason", reason)
	return true
}

func (e *Engine) drop(row db.ClaimDeliveryBatchRow, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), outcomeTimeout)
	defer cancel()
	if err := e.q.DropDelivery(ctx, db.DropDeliveryParams{AccountID: row.AccountID, ID: row.DeliveryID, SliceAt: row.SliceAt, LastError: reason}); err != nil {
		e.log.Error("dropping delivery", "delivery", row.DeliveryID, "error", err)
	}
}

// release hands claimed deliveries of one account back untouched (and wakes the account).
func (e *Engine) release(k *keys) {
	p := db.ReleaseDeliveriesParams{AccountID: k.account, Ids: k.ids, SliceAts: k.slices, Worker: e.cfg.WorkerID}
	if _, err := retried(func(ctx context.Context) (struct{}, error) { return struct{}{}, e.q.ReleaseDeliveries(ctx, p) }); err != nil {
		e.log.Error("handing back deliveries", "deliveries", len(k.ids), "error", err)
		return
	}
	e.wakeAgain(k.account, []time.Time{e.now()}, []bool{false})
}

// wakeAgain hands in again, with the next look for due accounts, the wake-ups a statement
// that has returned wrote. On Citus a statement's wake-up (in the coordinator's table) can be
// seen before its deliveries on a worker are (the worker commits a prepared transaction just
// after the coordinator); a claim in between finds them still locked or not yet there, and
// takes the wake-up for nothing. Once the statement has returned, they are all there.
func (e *Engine) wakeAgain(account uuid.UUID, at []time.Time, planned []bool) {
	for i, t := range at {
		e.wakes.add(account, t, planned[i])
	}
}

// outcomeTries is how many times an outcome or a hand-back is written when the server rolled
// the statement back for a reason that may pass (a deadlock, a timeout under load): deliveries
// whose outcome is not written stay leased, and are sent again only when the lease ends.
const outcomeTries = 3

// retried runs write, each time within outcomeTimeout, until it succeeds, fails for good, or
// has run outcomeTries times. Only errors the server reports are retried: it rolled the
// statement back, so nothing of it was written (an error of the connection leaves that open).
func retried[T any](write func(ctx context.Context) (T, error)) (T, error) {
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), outcomeTimeout)
		v, err := write(ctx)
		cancel()
		var rolledBack *pq.Error
		if err == nil || try == outcomeTries || !errors.As(err, &rolledBack) || !mayPass(rolledBack) {
			return v, err
		}
		time.Sleep(time.Duration(try) * 50 * time.Millisecond)
	}
}

// mayPass tells whether a statement the server refused with err may well succeed if run again.
func mayPass(err *pq.Error) bool {
	switch err.Code {
	case "40001", "40P01", // serialization failure, deadlock
		"55P03", "57014": // lock not available, statement timeout (or cancelled)
		return true
	}
	return false
}

func (e *Engine) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * e.cfg.ScheduleScale)
}

// hostOf is the target a request goes to, as the per-target cap and breaker count it.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
