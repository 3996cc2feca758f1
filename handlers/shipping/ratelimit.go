package shipping

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/webhookd/webhookd/db"
)

// RateLimit allows Requests per Window for each API key.
type RateLimit struct {
	Requests int
	Window   time.Duration
}

// DefaultRateLimit is 2LM's documented limit for webhook management: 100 an hour per key.
var DefaultRateLimit = RateLimit{Requests: 100, Window: time.Hour}

// ParseRateLimit reads "100/1h" (requests per Go duration).
func ParseRateLimit(s string) (RateLimit, error) {
	n, d, ok := strings.Cut(s, "/")
	requests, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || requests < 1 {
		return RateLimit{}, fmt.Errorf("rate limit %q: want <requests>/<duration>, such as 100/1h", s)
	}
	window, err := time.ParseDuration(strings.TrimSpace(d))
	if err != nil || window < time.Second {
		return RateLimit{}, fmt.Errorf("rate limit %q: want <requests>/<duration>, such as 100/1h", s)
	}
	return RateLimit{Requests: requests, Window: window}, nil
}

// rateLimiter counts requests in fixed windows kept in PostgreSQL, so that every instance on
// the database enforces one limit.
type rateLimiter struct {
	Q     *db.Queries
	limit RateLimit
	now   func() time.Time
}

func (r *rateLimiter) hit(ctx context.Context, key []byte) (kit.RateState, error) {
	now := r.now()
	start := now.Truncate(r.limit.Window)
	hits, err := r.Q.HitRateLimit(ctx, db.HitRateLimitParams{KeySha256: key, WindowStart: start})
	if err != nil {
		return kit.RateState{}, fmt.Errorf("rate Limit: %w", err)
	}
	if hits == 1 {
		// A key's first request of a window sweeps every key's finished windows.
		if err := r.Q.DeleteOldRateLimitWindows(ctx, start.Add(-r.limit.Window)); err != nil {
			return kit.RateState{}, fmt.Errorf("rate Limit: %w", err)
		}
	}
	return kit.RateState{
		Limit:     r.limit.Requests,
		Remaining: max(0, r.limit.Requests-int(hits)),
		Reset:     start.Add(r.limit.Window),
		Exceeded:  int(hits) > r.limit.Requests,
	}, nil
}
