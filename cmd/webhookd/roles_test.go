package main_test

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/dbconn"
	"github.com/webhookd/webhookd/internal/pgtest"
)

// openDB opens the test database the instances share, to look at the queue behind them.
func openDB(t *testing.T, databaseURL string) *sql.DB {
	t.Helper()
	conn, err := dbconn.Open(databaseURL, dbconn.Defaults)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// listeners counts the database's sessions that hold a notification connection: the engine's
// listener runs LISTEN and then only empty pings, which the pools' sessions never send.
func listeners(t *testing.T, conn *sql.DB) int {
	t.Helper()
	var n int
	var sessions string
	err := conn.QueryRow(`SELECT count(*), COALESCE(string_agg(format('%s (%s, %s)', pid, application_name, state), ', '), '')
		FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
		  AND application_name = $1`, dbconn.ListenApplicationName).Scan(&n, &sessions)
	if err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		t.Logf("listening sessions: %s", sessions)
	}
	return n
}

// eventually polls check until it holds or d has passed.
func eventually(d time.Duration, check func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if check() {
			return true
		} else if time.Now().After(deadline) {
			return false
		}
	}
}

func TestAnAPIInstanceIngestsAndAWorkerDelivers(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	var received atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { received.Add(1) }))
	defer receiver.Close()

	api := start(t, dbURL, "WEBHOOKS_ROLE=api")
	// A worker needs no admin token: none is generated into its data directory, no demo made.
	dataDir := t.TempDir()
	worker := start(t, dbURL, "WEBHOOKS_ROLE=worker", "WEBHOOKS_ADMIN_TOKEN=", "WEBHOOKS_INSPECTOR=", "WEBHOOKS_DATA_DIR="+dataDir)

	account := setUp(t, api, receiver.URL+"/hook")
	const n = 3
	for range n {
		api.post(t, "/ingest/v1/events", "Bearer "+account.Ingest.Key, map[string]any{"type": "shipment.created"}, nil)
	}
	if !eventually(15*time.Second, func() bool { return received.Load() == n }) {
		t.Fatalf("the receiver got %d deliveries, want %d", received.Load(), n)
	}
	delivered := `webhookd_deliveries_total{dialect="shipping",outcome="succeeded"} 3`
	if !eventually(5*time.Second, func() bool { _, m, _ := worker.get(t, "/metrics"); return strings.Contains(m, delivered) }) {
		_, m, _ := worker.get(t, "/metrics")
		t.Errorf("the worker's /metrics lacks %s:\n%s", delivered, m)
	}
	if _, m, _ := api.get(t, "/metrics"); strings.Contains(m, "webhookd_deliveries_total{") || !strings.Contains(m, `operation="ingestEvent"`) {
		t.Errorf("the api instance's /metrics: want ingestion counted and no delivery attempts:\n%s", m)
	}
	if got := listeners(t, openDB(t, dbURL)); got != 1 {
		t.Errorf("%d sessions listen for deliveries; want the worker's one", got)
	}

	for _, path := range []string{"/healthz", "/metrics"} {
		if status, body, _ := worker.get(t, path); status != http.StatusOK {
			t.Errorf("worker: GET %s = %d %s", path, status, body)
		}
	}
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/admin/v1/accounts"},
		{http.MethodGet, "/v1/webhook-subscriptions"},
		{http.MethodGet, "/management/v1/projects/p/webhooks"},
		{http.MethodPost, "/ingest/v1/events"},
		{http.MethodGet, "/inspector/v1/requests"},
		{http.MethodGet, "/docs"},
	} {
		req, _ := http.NewRequest(r.method, worker.url+r.path, strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body struct{ Code, Message string }
		if resp.StatusCode != http.StatusNotFound || json.Unmarshal(b, &body) != nil || body.Code != "not_found" || resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("worker: %s %s = %d %s; want 404 in the service's error body, with a request id", r.method, r.path, resp.StatusCode, b)
		}
	}
	_, m, _ := worker.get(t, "/metrics")
	for _, want := range []string{`webhookd_http_requests_total{operation="getHealth",status="200"}`, `webhookd_http_requests_total{operation="unmatched",status="404"} 6`,
		"webhookd_delivery_queue_depth 0"} {
		if !strings.Contains(m, want) {
			t.Errorf("the worker's /metrics lacks %s", want)
		}
	}

	if entries, _ := os.ReadDir(dataDir); len(entries) != 0 {
		t.Errorf("the worker wrote %v into its data directory", entries)
	}
	if strings.Contains(worker.logs.String(), "WEBHOOKS_ADMIN_TOKEN=") {
		t.Errorf("the worker printed an admin token:\n%s", worker.logs.String())
	}
	if code, _ := worker.stop(t, 15*time.Second); code != 0 {
		t.Errorf("the worker exited %d on SIGTERM, want 0", code)
	}
}

func TestAnAPIOnlyDeploymentNeverDelivers(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	var received atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { received.Add(1) }))
	defer receiver.Close()

	api := start(t, dbURL, "WEBHOOKS_ROLE=api") // polls every 20 ms, were it to deliver
	account := setUp(t, api, receiver.URL+"/hook")
	api.post(t, "/ingest/v1/events", "Bearer "+account.Ingest.Key, map[string]any{"type": "shipment.created"}, nil)
	time.Sleep(time.Second)

	if got := received.Load(); got != 0 {
		t.Errorf("an api instance delivered %d requests", got)
	}
	conn := openDB(t, dbURL)
	var status, leasedBy string
	var attempts int
	if err := conn.QueryRow(`SELECT status, attempts, leased_by FROM deliveries`).Scan(&status, &attempts, &leasedBy); err != nil {
		t.Fatalf("the one delivery: %v", err)
	}
	if status != "pending" || attempts != 0 || leasedBy != "" {
		t.Errorf("the delivery is %s after %d attempts, leased by %q; want pending, untouched and unclaimed", status, attempts, leasedBy)
	}
	if got := listeners(t, conn); got != 0 {
		t.Errorf("%d sessions listen for deliveries; an api instance holds no notification connection", got)
	}
}
