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
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
	"github.com/webhookd/webhookd/internal/delivery/formats"
	"github.com/webhookd/webhookd/internal/egress"
)

// Defaults of Config, which DefaultConfig holds.
const (
	DefaultConcurrency  = 128
	DefaultBatch        = 128
	DefaultPerTarget    = 16
	DefaultBreakAfter   = 5
	DefaultBreakFor     = 30 * time.Second
	DefaultPollInterval = 500 * time.Millisecond
	// DefaultAttemptTimeout is Voucherify's documented limit for one call to a target.
	DefaultAttemptTimeout = 10 * time.Second
	DefaultDrainTimeout   = 15 * time.Second
)

// DefaultPerAccount is a tenant's default share of concurrency: three quarters of it.
func DefaultPerAccount(concurrency int) int { return max(1, concurrency*3/4) }

// DefaultLease is a claim's default length for attempts of the given limit: a minute, or twice
// the limit when that is longer.
func DefaultLease(attempt time.Duration) time.Duration { return max(time.Minute, 2*attempt) }

// DefaultWorkerID names this process: host name, process id and a random suffix, so that a
// restarted process with a reused pid does not take over its predecessor's leases.
func DefaultWorkerID() string {
	host, _ := os.Hostname()
	return host + ":" + strconv.Itoa(os.Getpid()) + ":" + uuid.NewString()[:8]
}

// Config tunes an Engine. A zero field takes its default from DefaultConfig; a negative one
// is an error, never replaced.
type Config struct {
	// WorkerID names this instance in leases; default DefaultWorkerID().
	WorkerID string
	// Concurrency is how many calls are in flight at once. Calls wait on the network, not the
	// CPU: more slots help slow targets and cost little.
	Concurrency int
	// Batch is how many deliveries one claim takes at most, shared among the accounts it finds
	// due; a claim and the outcomes are one statement per account of a batch.
	Batch int
	// PerTarget caps the calls in flight to one host, so that a slow or hanging target holds at
	// most that many slots; it is also the keep-alive pool size per host. Claimed deliveries
	// beyond it wait for the host, up to two batches.
	PerTarget int
	// PerAccount caps one tenant's calls in flight; default DefaultPerAccount(Concurrency).
	PerAccount int
	// BreakAfter is how many failed calls in a row open a target's breaker; while it is open
	// the target's deliveries wait, their attempts and retry schedule untouched.
	BreakAfter int
	// BreakFor is how long a breaker first stays open (scaled by ScheduleScale); it doubles each
	// time a probe fails, up to 20 times as long.
	BreakFor time.Duration
	// PollInterval is how often the engine looks for due deliveries without being woken: new
	// deliveries wake it through PostgreSQL notifications when ListenDSN is set.
	PollInterval time.Duration
	// ListenDSN, when set, is where the engine listens for notifications of new deliveries.
	ListenDSN string
	// Lease is how long a claimed delivery stays this worker's; it must exceed AttemptTimeout.
	// Default DefaultLease(AttemptTimeout).
	Lease time.Duration
	// AttemptTimeout bounds one call to a target.
	AttemptTimeout time.Duration
	// ScheduleScale multiplies every retry delay; tests shrink the schedules with it.
	ScheduleScale float64
	// DrainTimeout is how long Run waits for in-flight calls after its context ends before it
	// hands them back.
	DrainTimeout time.Duration
	// Transport carries every call; default the zero egress policy's, which refuses private
	// targets. An *http.Transport is cloned with its response-header timeout set to
	// AttemptTimeout.
	Transport http.RoundTripper
	// Formats are the dialects' delivery formats with their settings; the zero Registry is
	// formats.Default.
	Formats formats.Registry
	Logger  *slog.Logger
	// Metrics counts attempts; nil counts nothing.
	Metrics *Metrics
}

// DefaultConfig is the configuration that zero fields of a Config stand for.
func DefaultConfig() Config {
	return Config{
		WorkerID:       DefaultWorkerID(),
		Concurrency:    DefaultConcurrency,
		Batch:          DefaultBatch,
		PerTarget:      DefaultPerTarget,
		PerAccount:     DefaultPerAccount(DefaultConcurrency),
		BreakAfter:     DefaultBreakAfter,
		BreakFor:       DefaultBreakFor,
		PollInterval:   DefaultPollInterval,
		Lease:          DefaultLease(DefaultAttemptTimeout),
		AttemptTimeout: DefaultAttemptTimeout,
		ScheduleScale:  1,
		DrainTimeout:   DefaultDrainTimeout,
		Transport:      egress.Policy{}.Transport(nil),
		Formats:        formats.Default,
		Logger:         slog.Default(),
	}
}

// resolve fills zero fields with their defaults and refuses values that no default may
// replace, naming the field.
func (c Config) resolve() (Config, error) {
	for _, f := range []struct {
		name string
		n    int
	}{{"Concurrency", c.Concurrency}, {"Batch", c.Batch}, {"PerTarget", c.PerTarget}, {"PerAccount", c.PerAccount}, {"BreakAfter", c.BreakAfter}} {
		if f.n < 0 {
			return c, fmt.Errorf("delivery: Config.%s is %d: want a positive number, or zero for the default", f.name, f.n)
		}
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"BreakFor", c.BreakFor}, {"PollInterval", c.PollInterval}, {"Lease", c.Lease}, {"AttemptTimeout", c.AttemptTimeout}, {"DrainTimeout", c.DrainTimeout}} {
		if f.d < 0 {
			return c, fmt.Errorf("delivery: Config.%s is %s: want a positive duration, or zero for the default", f.name, f.d)
		}
	}
	if c.ScheduleScale < 0 || math.IsNaN(c.ScheduleScale) || math.IsInf(c.ScheduleScale, 0) {
		return c, fmt.Errorf("delivery: Config.ScheduleScale is %v: want a positive number, or zero for the default", c.ScheduleScale)
	}
	d := DefaultConfig()
	orDefault(&c.WorkerID, d.WorkerID)
	orDefault(&c.Concurrency, d.Concurrency)
	orDefault(&c.Batch, d.Batch)
	orDefault(&c.PerTarget, d.PerTarget)
	orDefault(&c.PerAccount, DefaultPerAccount(c.Concurrency))
	orDefault(&c.BreakAfter, d.BreakAfter)
	orDefault(&c.BreakFor, d.BreakFor)
	orDefault(&c.PollInterval, d.PollInterval)
	orDefault(&c.AttemptTimeout, d.AttemptTimeout)
	orDefault(&c.Lease, DefaultLease(c.AttemptTimeout))
	orDefault(&c.ScheduleScale, d.ScheduleScale)
	orDefault(&c.DrainTimeout, d.DrainTimeout)
	orDefault(&c.Transport, d.Transport)
	orDefault(&c.Logger, d.Logger)
	if c.Lease <= c.AttemptTimeout {
		return c, fmt.Errorf("delivery: Config.Lease (%s) must exceed AttemptTimeout (%s): a delivery would be claimed again while its call runs", c.Lease, c.AttemptTimeout)
	}
	return c, nil
}

// orDefault sets *v to def when it is the zero value.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Engine delivers queued events.
type Engine struct {
	conn   *sql.DB
	q      *db.Queries
	cfg    Config
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	limits *limits
	// wakes are the wake-ups to hand in with the next look for due accounts.
	wakes wakes
}

// New returns an engine working on conn, or an error naming the first field of cfg that is
// out of range.
func New(conn *sql.DB, cfg Config) (*Engine, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	e := &Engine{
		conn: conn, q: db.New(conn), cfg: cfg, log: cfg.Logger, now: time.Now,
		client: &http.Client{
			// No Client.Timeout: each attempt's context deadline (AttemptTimeout) bounds the call.
			Transport: tuneTransport(cfg.Transport, cfg.AttemptTimeout, cfg.PerTarget),
			// A redirect is an answer, not an instruction: following it could leave the policy's view.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	e.limits = newLimits(cfg.Concurrency, cfg.PerTarget, cfg.PerAccount, cfg.Batch, cfg.BreakAfter, e.scale(cfg.BreakFor))
	return e, nil
}

// tuneTransport lets a response take as long as an attempt may (a transport's fixed
// response-header timeout would otherwise cut attempts the operator allowed more time) and keeps
// as many idle connections per host as calls may be in flight to it, so they are reused.
func tuneTransport(rt http.RoundTripper, attempt time.Duration, perHost int) http.RoundTripper {
	t, ok := rt.(*http.Transport)
	if !ok {
		return rt
	}
	t = t.Clone()
	t.ResponseHeaderTimeout = attempt
	t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, perHost)
	return t
}

// headerTimeout reports the transport giving up on the response headers: the attempt's own
// limit (tuneTransport sets it so), which may fire a moment before the attempt's deadline.
func headerTimeout(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue) && ue.Timeout() && strings.Contains(ue.Err.Error(), "awaiting response headers")
}

// send makes one call; it returns the target's answer and any Retry-After it asked for, or
// the error and its class when no answer came.
func (e *Engine) send(ctx context.Context, out format.Request, id uuid.UUID) (answer, time.Duration, string, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, out.URL, bytes.NewReader(out.Body))
	if err != nil {
		return answer{}, 0, ClassOther, fmt.Errorf("the target URL cannot be called: %w", err)
	}
	req.Header = out.Header
	resp, err := e.client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded || headerTimeout(err) {
			return answer{}, 0, ClassTimeout, fmt.Errorf("%s did not answer within %s", targetName(out.URL), e.cfg.AttemptTimeout)
		}
		var refused *egress.RefusedAddressError
		if errors.As(err, &refused) {
			e.log.Debug("target refused by the egress policy", "delivery", id, "address", refused.Addr)
		}
		return answer{}, 0, classify(err), fmt.Errorf("%s: %w", targetName(out.URL), egress.CallError(unwrapURLError(err)))
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	a.body, a.truncated = readBody(resp.Body)
	return a, retryAfter(resp.Header.Get("Retry-After"), e.now()), "", nil
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
