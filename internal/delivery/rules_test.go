package delivery

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/bird"
	"github.com/webhookd/webhookd/internal/delivery/format"
	"github.com/webhookd/webhookd/internal/delivery/voucherify"
)

func TestRetryAfterIsReadInSecondsOrAsADateAndCapped(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"1.5", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"999999", 24 * time.Hour},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), 24 * time.Hour},
	} {
		if got := retryAfter(c.header, now); got != c.want {
			t.Errorf("retryAfter(%q) = %v, want %v", c.header, got, c.want)
		}
	}
}

// Errors and logs name a target by scheme and host: paths, queries and credentials may be secret.
func TestTargetNameLeavesOutEverythingButSchemeAndHost(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://hooks.example.com/v1/abc?token=s3cret":   "https://hooks.example.com",
		"https://user:pass@hooks.example.com:8443/h#frag": "https://hooks.example.com:8443",
		"http://[2001:db8::1]:8080/x":                     "http://[2001:db8::1]:8080",
		"https://bad host/%zz":                            "the target",
	} {
		if got := targetName(raw); got != want {
			t.Errorf("targetName(%q) = %q, want %q", raw, got, want)
		}
	}
}

// The breaker counts network failures, timeouts, 5xx and 429 against a target; other answers
// for it; a call never made or cut by shutdown not at all.
func TestBreakerOutcome(t *testing.T) {
	t.Parallel()
	f := voucherify.Format{}
	failed := errors.New("failed")
	for _, c := range []struct {
		name string
		c    call
		want *bool
	}{
		{"200", call{format: f, answer: answer{status: 200}, elapsed: time.Millisecond}, ptr(true)},
		{"404", call{format: f, answer: answer{status: 404}, err: failed, elapsed: time.Millisecond}, ptr(true)},
		{"429", call{format: f, answer: answer{status: 429}, err: failed, elapsed: time.Millisecond}, ptr(false)},
		{"503", call{format: f, answer: answer{status: 503}, err: failed, elapsed: time.Millisecond}, ptr(false)},
		{"network error", call{format: f, err: failed, elapsed: time.Millisecond}, ptr(false)},
		{"never sent", call{format: f, err: failed}, nil},
		{"no format", call{err: failed}, nil},
		{"handed back", call{format: f, handBack: true, err: failed, elapsed: time.Millisecond}, nil},
	} {
		got := breakerOutcome(&c.c)
		if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
			t.Errorf("%s: breakerOutcome = %v, want %v", c.name, deref(got), deref(c.want))
		}
	}
}

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// The engine runs a dialect's schedule on scaled time: elapsed time is unscaled before the
// dialect's rule sees it, and the delay it returns is scaled.
func TestRetryDelayScalesTheDialectsSchedule(t *testing.T) {
	t.Parallel()
	e, err := New(nil, Config{ScheduleScale: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		name    string
		format  format.Format
		attempt int
		after   time.Duration
		want    time.Duration
		retry   bool
	}{
		{"voucherify first", voucherify.Format{}, 0, 0, 6 * time.Millisecond, true},            // 1 min
		{"voucherify last", voucherify.Format{}, 11, time.Hour, 8640 * time.Millisecond, true}, // 24 h
		{"voucherify done", voucherify.Format{}, 12, time.Hour, 0, false},
		{"bird in window", bird.Format{}, 0, 2800 * time.Millisecond, 3 * time.Millisecond, true}, // 7h47m + 30 s
		{"bird past window", bird.Format{}, 0, 2900 * time.Millisecond, 0, false},                 // 8h3m
	} {
		cl := &call{format: c.format, attempt: c.attempt, row: db.ClaimDeliveryBatchRow{ScheduleStart: first}}
		got, retry := e.retryDelay(cl, first.Add(c.after))
		if got != c.want || retry != c.retry {
			t.Errorf("%s: retryDelay = %v, %v; want %v, %v", c.name, got, retry, c.want, c.retry)
		}
	}
}

// The transport's response-header timeout is the attempt's limit too; it is recognised as such.
func TestAHeaderTimeoutIsATargetThatDidNotAnswer(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-hang }))
	defer srv.Close()
	defer close(hang)
	client := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 50 * time.Millisecond}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
	_, err := client.Do(req)
	if err == nil || !headerTimeout(err) {
		t.Fatalf("%v: not recognised as a response-header timeout", err)
	}
	if headerTimeout(context.DeadlineExceeded) || headerTimeout(&url.Error{Op: "Post", URL: srv.URL, Err: errors.New("connection refused")}) {
		t.Fatal("other errors taken for a response-header timeout")
	}
}
