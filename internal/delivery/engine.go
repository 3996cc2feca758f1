// Package delivery sends the events accounts ingest to the subscriptions that want them, in
// each vendor's format, signed, retried and logged as that vendor does.
//
// The deliveries table is the queue. Each worker claims due rows with FOR UPDATE SKIP LOCKED
// and a lease: instances on one database share the work without sending a delivery twice in
// normal operation, and the rows of a worker that dies come back when its lease ends
// (at-least-once). A queue library would keep a second table of jobs mirroring these rows;
// claiming them directly keeps schedule, status and attempt log in one place.
package delivery

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
)

// Config tunes an Engine; zero values take the defaults.
type Config struct {
	// WorkerID names this instance in leases; default host name and process id.
	WorkerID string
	// Concurrency is how many deliveries are in flight at once (default 16).
	Concurrency int
	// PollInterval is how often an idle worker looks for due deliveries (default 500 ms).
	PollInterval time.Duration
	// Lease is how long a claimed delivery stays this worker's (default one minute); it must
	// exceed AttemptTimeout.
	Lease time.Duration
	// AttemptTimeout bounds one call to a target (default 10 s, Voucherify's documented limit).
	AttemptTimeout time.Duration
	// ScheduleScale multiplies every retry delay (default 1); tests shrink the schedules with it.
	ScheduleScale float64
	// DrainTimeout is how long Run waits for in-flight calls after its context ends before it
	// hands them back (default 15 s).
	DrainTimeout time.Duration
	// Transport carries every call; default NewTransport(nil, nil), which refuses private targets.
	// An *http.Transport is cloned with its response-header timeout set to AttemptTimeout.
	Transport http.RoundTripper
	// DiscordBaseURL and DiscordBotToken are where and as whom Arkyn messages are posted.
	DiscordBaseURL  string
	DiscordBotToken string
	Logger          *slog.Logger
	// Metrics counts attempts; nil counts nothing.
	Metrics *Metrics
}

// Engine delivers queued events.
type Engine struct {
	conn   *sql.DB
	q      *db.Queries
	cfg    Config
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
}

// New returns an engine working on conn.
func New(conn *sql.DB, cfg Config) *Engine {
	if cfg.WorkerID == "" {
		host, _ := os.Hostname()
		cfg.WorkerID = host + ":" + strconv.Itoa(os.Getpid()) + ":" + uuid.NewString()[:8]
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	if cfg.Lease <= cfg.AttemptTimeout {
		cfg.Lease = max(time.Minute, 2*cfg.AttemptTimeout)
	}
	if cfg.ScheduleScale <= 0 {
		cfg.ScheduleScale = 1
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 15 * time.Second
	}
	if cfg.Transport == nil {
		cfg.Transport = NewTransport(nil, nil)
	}
	if cfg.DiscordBaseURL == "" {
		cfg.DiscordBaseURL = "https://discord.com/api/v10"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Engine{
		conn: conn, q: db.New(conn), cfg: cfg, log: log, now: time.Now,
		client: &http.Client{
			// No Client.Timeout: each attempt's context deadline (AttemptTimeout) bounds the call.
			Transport: withAttemptTimeout(cfg.Transport, cfg.AttemptTimeout),
			// A redirect is an answer, not an instruction: following it could leave the guard's view.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// Run delivers until ctx ends, then lets in-flight calls finish for up to DrainTimeout and
// hands back whatever is still unfinished.
func (e *Engine) Run(ctx context.Context) error {
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	slots := make(chan struct{}, e.cfg.Concurrency)
	var wg sync.WaitGroup
	defer func() {
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(e.cfg.DrainTimeout):
			stopWork() // calls end with an error and their deliveries are handed back
			<-done
		}
	}()
	for ctx.Err() == nil {
		free := e.cfg.Concurrency - len(slots)
		var claimed []db.Delivery
		if free > 0 {
			var err error
			claimed, err = e.q.ClaimDeliveries(ctx, db.ClaimDeliveriesParams{
				LeaseSeconds: e.cfg.Lease.Seconds(), Worker: e.cfg.WorkerID, MaxRows: int32(free),
			})
			if err != nil && ctx.Err() == nil {
				e.log.Error("claiming deliveries", "error", err)
			}
		}
		for _, d := range claimed {
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				e.process(work, d)
			}()
		}
		if len(claimed) == free && free > 0 {
			continue // there may be more due right now
		}
		select {
		case <-ctx.Done():
		case <-time.After(e.cfg.PollInterval):
		}
	}
	return nil
}

// outcomeTimeout bounds writing an attempt's outcome.
const outcomeTimeout = 5 * time.Second

// process makes one attempt at a claimed delivery and records what came of it. ctx ends the
// call when the shutdown drain runs out; outcomes are written with a context of their own, so
// that a call cut short still finishes or hands its delivery back at once.
func (e *Engine) process(work context.Context, d db.Delivery) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(work), outcomeTimeout)
	defer cancel()
	c, err := e.q.GetDeliveryContext(ctx, d.ID)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return // deleted with its subscription
		}
		e.log.Error("loading delivery", "delivery", d.ID, "error", err)
		e.release(d)
		return
	}
	if c.Subscription.Status != "active" {
		if err := e.q.DropDelivery(ctx, db.DropDeliveryParams{ID: d.ID, LastError: "the subscription is " + c.Subscription.Status}); err != nil {
			e.log.Error("dropping delivery", "delivery", d.ID, "error", err)
		}
		e.cfg.Metrics.observe(c.Subscription.Dialect, OutcomeDropped, 0)
		return
	}
	attempt := int(d.Attempts)
	requestID := uuid.NewString()
	now := e.now()
	out, err := e.build(c, d.ID, attempt, requestID, now)
	var status int
	var retryAfter time.Duration
	start := time.Now()
	if err == nil {
		status, retryAfter, err = e.send(work, out, d.ID)
	}
	elapsed := time.Since(start)
	// The outcome writes get a fresh budget: the call may have used most of the first.
	ctx, cancel = context.WithTimeout(context.WithoutCancel(work), outcomeTimeout)
	defer cancel()
	if err != nil && work.Err() != nil {
		e.release(d) // shutting down: the call did not complete, another worker will redo it
		return
	}
	if err == nil && (status < 200 || status > 299) {
		err = fmt.Errorf("%s answered %d %s", targetName(out.url), status, http.StatusText(status))
	}
	errText := ""
	if err != nil {
		errText = err.Error()
	}
	if recErr := e.q.RecordAttempt(ctx, db.RecordAttemptParams{
		DeliveryID: d.ID, Attempt: int32(attempt + 1), RequestID: requestID, StatusCode: int32(status),
		Error: errText, DurationMs: int32(elapsed.Milliseconds()),
	}); recErr != nil {
		e.log.Error("recording attempt", "delivery", d.ID, "error", recErr)
	}
	if err == nil {
		e.cfg.Metrics.observe(c.Subscription.Dialect, OutcomeSucceeded, elapsed)
		e.finish(ctx, d, "succeeded", now, status, "")
		if err := e.q.RecordSubscriptionSuccess(ctx, c.Subscription.ID); err != nil {
			e.log.Error("recording success", "subscription", c.Subscription.ID, "error", err)
		}
		return
	}
	// Delays count from the answer, so that a Retry-After is honoured in full.
	answered := e.now()
	delay, retry := e.retryDelay(c.Subscription.Dialect, attempt+1, d.CreatedAt, answered)
	if retry {
		if retryAfter > delay {
			delay = retryAfter
		}
		e.cfg.Metrics.observe(c.Subscription.Dialect, OutcomeRetry, elapsed)
		e.finish(ctx, d, "pending", answered.Add(delay), status, errText)
		if err := e.q.NoteSubscriptionError(ctx, db.NoteSubscriptionErrorParams{ID: c.Subscription.ID, LastError: errText}); err != nil {
			e.log.Error("noting error", "subscription", c.Subscription.ID, "error", err)
		}
		return
	}
	e.cfg.Metrics.observe(c.Subscription.Dialect, OutcomeFailed, elapsed)
	e.finish(ctx, d, "failed", now, status, errText)
	e.giveUp(ctx, c.Subscription, attempt+1, errText)
}

func (e *Engine) finish(ctx context.Context, d db.Delivery, status string, next time.Time, code int, errText string) {
	n, err := e.q.FinishDelivery(ctx, db.FinishDeliveryParams{
		ID: d.ID, LeasedBy: e.cfg.WorkerID, Status: status, NextAttemptAt: next, LastStatus: int32(code), LastError: errText,
	})
	if err != nil {
		e.log.Error("finishing delivery", "delivery", d.ID, "error", err)
	} else if n == 0 {
		// The lease ran out mid-call and another worker took the delivery over.
		e.log.Warn("delivery lease lost", "delivery", d.ID)
	}
}

func (e *Engine) release(d db.Delivery) {
	ctx, cancel := context.WithTimeout(context.Background(), outcomeTimeout)
	defer cancel()
	if err := e.q.ReleaseDelivery(ctx, db.ReleaseDeliveryParams{ID: d.ID, LeasedBy: e.cfg.WorkerID}); err != nil {
		e.log.Error("handing back delivery", "delivery", d.ID, "error", err)
	}
}

// giveUp applies the vendor's consequence of a delivery that exhausted its retries.
func (e *Engine) giveUp(ctx context.Context, sub db.Subscription, attempts int, errText string) {
	streak, err := e.q.RecordSubscriptionFailure(ctx, db.RecordSubscriptionFailureParams{ID: sub.ID, LastError: errText})
	if err != nil {
		e.log.Error("recording failure", "subscription", sub.ID, "error", err)
		return
	}
	var status, reason string
	switch sub.Dialect {
	case DialectVoucherify:
		status, reason = "inactive", fmt.Sprintf("deactivated after %d failed retries", attempts-1)
	case DialectBird:
		status, reason = "inactive", "deliveries kept failing for 8 hours; last error: "+errText
	case DialectSuperOffice:
		if streak >= superOfficeMaxFailures {
			status, reason = "too_many_errors", fmt.Sprintf("%d deliveries in a row failed", streak)
		}
	}
	if status == "" {
		return
	}
	if err := e.q.DisableSubscription(ctx, db.DisableSubscriptionParams{ID: sub.ID, Status: status, StatusReason: reason}); err != nil {
		e.log.Error("disabling subscription", "subscription", sub.ID, "error", err)
		return
	}
	e.log.Info("subscription disabled", "subscription", sub.ID, "dialect", sub.Dialect, "reason", reason)
}

// send makes one call; it returns the status and any Retry-After the target asked for.
func (e *Engine) send(ctx context.Context, out outgoing, id uuid.UUID) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, out.url, bytes.NewReader(out.body))
	if err != nil {
		return 0, 0, fmt.Errorf("the target URL cannot be called: %w", err)
	}
	req.Header = out.header
	resp, err := e.client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return 0, 0, fmt.Errorf("%s did not answer within %s", targetName(out.url), e.cfg.AttemptTimeout)
		}
		var refused *RefusedAddressError
		if errors.As(err, &refused) {
			e.log.Debug("target refused by the address guard", "delivery", id, "address", refused.Addr)
		}
		return 0, 0, fmt.Errorf("%s: %w", targetName(out.url), CallError(unwrapURLError(err)))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After"), e.now()), nil
}

// retryAfter reads Retry-After in seconds or as an HTTP date; it is capped at a day.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 24*time.Hour)
}

// targetName is the target's scheme and host, without the path and query, which may carry secrets.
func targetName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the target"
	}
	return u.Scheme + "://" + u.Host
}

// unwrapURLError drops net/http's "Post <url>:" prefix, which would repeat the full URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
