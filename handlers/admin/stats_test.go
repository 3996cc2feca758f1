package admin_test

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

// The statistics count each minute's attempts of the account, and only its own, over the last
// hour: sixty minutes, oldest first, quiet ones with zeros.
func TestDeliveryStatsPerMinute(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	other := env.CreateAccount(t, "other")
	for _, a := range []gen.AccountCreated{acme, other} {
		env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(a), Header: apitest.Voucherify(a),
			Body: `{"target_url": "https://hooks.example.com/v", "events": ["voucher.created"]}`})
		if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/events", Header: apitest.Header("Authorization", "Bearer "+a.Ingest.Key),
			Body: `{"type": "voucher.created"}`}); resp.Status != http.StatusAccepted {
			t.Fatalf("ingest: %d %s", resp.Status, resp.Body)
		}
	}
	var now time.Time
	if err := env.DB.QueryRow(`SELECT date_trunc('minute', now())`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	now = now.UTC()
	// attempt records an attempt of the account's delivery, minutesAgo minutes before the
	// current minute began, in the delivery's slice.
	attempt := func(account uuid.UUID, minutesAgo, durationMs int, failed bool) {
		t.Helper()
		errText := ""
		if failed {
			errText = "answered 503"
		}
		at := now.Add(-time.Duration(minutesAgo)*time.Minute + 5*time.Second)
		if _, err := env.DB.Exec(`INSERT INTO delivery_attempts (account_id, delivery_id, slice_at, attempt, request_id, status_code, error, duration_ms, created_at)
			SELECT account_id, id, slice_at, 1, 'r', 200, $2, $3, $4 FROM deliveries WHERE account_id = $1`, account, errText, durationMs, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, ms := range []int{10, 20, 40} {
		attempt(acme.Id, 3, ms, false)
	}
	attempt(acme.Id, 3, 30, true)
	attempt(acme.Id, 10, 100, false)
	attempt(acme.Id, 75, 5, false) // before the hour
	for range 5 {
		attempt(other.Id, 3, 1000, true) // another account's
	}

	s := openPortal(t, env, acme.Id, nil)
	resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: accountPath(acme.Id) + "/delivery-stats", Header: portal(s)})
	if resp.Status != http.StatusOK {
		t.Fatalf("stats: %d %s", resp.Status, resp.Body)
	}
	var stats gen.DeliveryStats
	resp.Decode(t, &stats)
	if len(stats.Minutes) != 60 {
		t.Fatalf("%d minutes, want 60", len(stats.Minutes))
	}
	byMinute := map[time.Time]gen.DeliveryStatsMinute{}
	total := 0
	for i, m := range stats.Minutes {
		if i > 0 && !m.Minute.Equal(stats.Minutes[i-1].Minute.Add(time.Minute)) {
			t.Errorf("minute %d is %v, after %v: want one minute apart, oldest first", i, m.Minute, stats.Minutes[i-1].Minute)
		}
		byMinute[m.Minute.UTC()] = m
		total += m.Succeeded + m.Failed
	}
	if last := stats.Minutes[59].Minute.UTC(); last.Before(now) || last.After(now.Add(time.Minute)) {
		t.Errorf("the last minute is %v, want the current one (%v)", last, now)
	}
	if total != 5 {
		t.Errorf("%d attempts counted in the hour, want acme's 5", total)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
	if m := byMinute[now.Add(-3*time.Minute)]; m.Succeeded != 3 || m.Failed != 1 || !near(m.P50Ms, 25) || !near(m.P99Ms, 39.7) {
		t.Errorf("three minutes ago: %+v, want 3 succeeded, 1 failed, p50 25, p99 39.7", m)
	}
	if m := byMinute[now.Add(-10*time.Minute)]; m.Succeeded != 1 || m.Failed != 0 || !near(m.P50Ms, 100) || !near(m.P99Ms, 100) {
		t.Errorf("ten minutes ago: %+v, want one attempt of 100 ms", m)
	}
	if m := byMinute[now.Add(-4*time.Minute)]; m.Succeeded != 0 || m.Failed != 0 || m.P50Ms != 0 || m.P99Ms != 0 {
		t.Errorf("a quiet minute: %+v, want zeros", m)
	}

	for path, want := range map[string]int{
		"/admin/v1/accounts/nope/delivery-stats":    http.StatusBadRequest,
		accountPath(uuid.New()) + "/delivery-stats": http.StatusNotFound,
	} {
		if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: apitest.Admin()}); resp.Status != want {
			t.Errorf("GET %s: %d %s, want %d", path, resp.Status, resp.Body, want)
		}
	}
}
