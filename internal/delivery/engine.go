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
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
)

// Config tunes an Engine; zero values take the defaults, which are the fast settings.
type Config struct {
	// WorkerID names this instance in leases; default host name and process id.
	WorkerID string
	// Concurrency is how many calls are in flight at once (default 128). Calls wait on the
	// network, not the CPU: more slots help slow targets and cost little.
	Concurrency int
	// Batch is how many deliveries one claim takes at most (default 128); claims and outcomes
	// are written one statement per batch.
	Batch int
	// PerTarget caps the calls in flight to one host (default 16), so that a slow or hanging
	// target holds at most that many slots; it is also the keep-alive pool size per host.
	// Claimed deliveries beyond it wait for the host, up to two batches.
	PerTarget int
	// PerAccount caps one tenant's calls in flight (default three quarters of Concurrency).
	PerAccount int
	// BreakAfter is how many failed calls in a row open a target's breaker (default 5); while
	// it is open the target's deliveries wait, their attempts and retry schedule untouched.
	BreakAfter int
	// BreakFor is how long a breaker first stays open (default 30 s, scaled by ScheduleScale);
	// it doubles each time a probe fails, up to 20 times as long.
	BreakFor time.Duration
	// PollInterval is how often the engine looks for due deliveries without being woken: new
	// deliveries wake it through PostgreSQL notifications when ListenDSN is set (default 500 ms).
	PollInterval time.Duration
	// ListenDSN, when set, is where the engine listens for notifications of new deliveries.
	ListenDSN string
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
	limits *limits
}

// New returns an engine working on conn.
func New(conn *sql.DB, cfg Config) *Engine {
	if cfg.WorkerID == "" {
		host, _ := os.Hostname()
		cfg.WorkerID = host + ":" + strconv.Itoa(os.Getpid()) + ":" + uuid.NewString()[:8]
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 128
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 128
	}
	if cfg.PerTarget <= 0 {
		cfg.PerTarget = 16
	}
	if cfg.PerAccount <= 0 {
		cfg.PerAccount = max(1, cfg.Concurrency*3/4)
	}
	if cfg.BreakAfter <= 0 {
		cfg.BreakAfter = 5
	}
	if cfg.BreakFor <= 0 {
		cfg.BreakFor = 30 * time.Second
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
	e := &Engine{
		conn: conn, q: db.New(conn), cfg: cfg, log: log, now: time.Now,
		client: &http.Client{
			// No Client.Timeout: each attempt's context deadline (AttemptTimeout) bounds the call.
			Transport: tuneTransport(cfg.Transport, cfg.AttemptTimeout, cfg.PerTarget),
			// A redirect is an answer, not an instruction: following it could leave the guard's view.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	e.limits = newLimits(cfg.Concurrency, cfg.PerTarget, cfg.PerAccount, cfg.Batch, cfg.BreakAfter, e.scale(cfg.BreakFor))
	return e
}

// headerTimeout reports the transport giving up on the response headers: the attempt's own
// limit (tuneTransport sets it so), which may fire a moment before the attempt's deadline.
func headerTimeout(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue) && ue.Timeout() && strings.Contains(ue.Err.Error(), "awaiting response headers")
}

// send makes one call; it returns the status and any Retry-After the target asked for.
func (e *Engine) send(ctx context.Context, out format.Request, id uuid.UUID) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, out.URL, bytes.NewReader(out.Body))
	if err != nil {
		return 0, 0, fmt.Errorf("the target URL cannot be called: %w", err)
	}
	req.Header = out.Header
	resp, err := e.client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded || headerTimeout(err) {
			return 0, 0, fmt.Errorf("%s did not answer within %s", targetName(out.URL), e.cfg.AttemptTimeout)
		}
		var refused *RefusedAddressError
		if errors.As(err, &refused) {
			e.log.Debug("target refused by the address guard", "delivery", id, "address", refused.Addr)
		}
		return 0, 0, fmt.Errorf("%s: %w", targetName(out.URL), CallError(unwrapURLError(err)))
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
