package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/pgcluster"
	"github.com/webhookd/webhookd/internal/pgtest"
)

// syncBuffer is the output of a running process, read while it is written.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// demoRun is a webhookd started as `go tool task run` starts it: no admin token, so it keeps
// one in its data directory and shows a demo account.
type demoRun struct {
	cmd *exec.Cmd
	out *syncBuffer
	url string
}

var exportLine = regexp.MustCompile(`export WEBHOOKS_ADMIN_TOKEN=(\S+) INGEST_KEY=(\S+)`)

// portalLine is the demo account's portal link, printed after the rest of the demo.
var portalLine = regexp.MustCompile(`(?m)/console#account=\S+\n`)

func startDemo(t *testing.T, databaseURL, dataDir string) *demoRun {
	t.Helper()
	port, err := pgcluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "PORT="+strconv.Itoa(port), "WEBHOOKS_DATA_DIR="+dataDir,
		"WEBHOOKS_ADMIN_TOKEN=", "WEBHOOKS_ALLOWED_TARGETS=", "WEBHOOKS_INSPECTOR=", "WEBHOOKS_DELIVERY_POLL=20ms")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &demoRun{cmd: cmd, out: out, url: "http://127.0.0.1:" + strconv.Itoa(port)}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("webhookd output:\n%s", out.String())
		}
	})
	// The demo is printed in parts: wait for the portal link too.
	deadline := time.Now().Add(30 * time.Second)
	for !exportLine.MatchString(out.String()) || !portalLine.MatchString(out.String()) {
		if time.Now().After(deadline) {
			t.Fatal("the demo account was not printed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return r
}

func (r *demoRun) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Wait(); err != nil {
		t.Fatalf("webhookd did not stop cleanly on SIGTERM: %v", err)
	}
}

func (r *demoRun) get(t *testing.T, path, token string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.url+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestRestartKeepsTheAdminTokenAndTheDemoAccount(t *testing.T) {
	t.Parallel()
	dbURL, dataDir := pgtest.NewURL(t), t.TempDir()
	first := startDemo(t, dbURL, dataDir)
	token := exportLine.FindStringSubmatch(first.out.String())[1]
	first.stop(t)

	second := startDemo(t, dbURL, dataDir)
	if got := exportLine.FindStringSubmatch(second.out.String())[1]; got != token {
		t.Fatalf("the second start printed admin token %q, want the first one's %q", got, token)
	}
	if !strings.Contains(second.out.String(), "created on an earlier start") {
		t.Error("the second start did not say it reused the demo account")
	}
	// The console's link carries the admin token in its fragment, which the browser keeps.
	if !strings.Contains(second.out.String(), "Console:   "+strings.Replace(second.url, "127.0.0.1", "localhost", 1)+"/console#token="+token+"\n") {
		t.Errorf("no console link with the admin token in:\n%s", second.out.String())
	}
	// And the demo account's portal link opens that account alone.
	if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(strings.Replace(second.url, "127.0.0.1", "localhost", 1)) + `/console#account=[0-9a-f-]{36}&token=wps_[A-Za-z0-9_-]{43}$`).MatchString(second.out.String()) {
		t.Errorf("no portal link for the demo account in:\n%s", second.out.String())
	}
	if status, header, _ := second.get(t, "/console", ""); status != http.StatusOK || !strings.Contains(header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("GET /console: %d, policy %q", status, header.Get("Content-Security-Policy"))
	}
	status, _, body := second.get(t, "/admin/v1/accounts", token)
	var list struct {
		Results []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(body), &list); status != http.StatusOK || err != nil {
		t.Fatalf("GET /admin/v1/accounts: %d %s", status, body)
	}
	if len(list.Results) != 1 || list.Results[0].Name != "demo" {
		t.Fatalf("after two starts the accounts are %s; want the one demo account", body)
	}
}

func TestTheDemoDeliversToTheInspectorAndMetricsCountIt(t *testing.T) {
	t.Parallel()
	r := startDemo(t, pgtest.NewURL(t), t.TempDir())
	m := exportLine.FindStringSubmatch(r.out.String())
	token, ingestKey := m[1], m[2]
	req, _ := http.NewRequest(http.MethodPost, r.url+"/ingest/v1/events", strings.NewReader(`{"type":"voucher.created","data":{"code":"SPRING"}}`))
	req.Header.Set("Authorization", "Bearer "+ingestKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusAccepted {
		t.Fatalf("ingest answered %d", resp.StatusCode)
	}

	var got struct {
		Results []struct {
			Headers map[string][]string
			Body    string
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(got.Results) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the inspector received nothing")
		}
		time.Sleep(50 * time.Millisecond)
		status, _, body := r.get(t, "/inspector/v1/requests", token)
		if status != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("GET /inspector/v1/requests: %d %s", status, body)
		}
	}
	hook := got.Results[0]
	if len(hook.Headers["X-Voucherify-Signature"]) != 1 || !strings.Contains(hook.Body, `"SPRING"`) {
		t.Fatalf("the inspector shows %+v; want a signed Voucherify delivery of the event", hook)
	}

	_, _, metrics := r.get(t, "/metrics", "")
	for _, want := range []string{
		`webhookd_deliveries_total{dialect="voucherify",outcome="succeeded"} 1`,
		`webhookd_http_requests_total{operation="ingestEvent",status="`,
		`webhookd_http_request_duration_seconds_bucket{operation="inspectorReceive",status="204"`,
		"webhookd_delivery_queue_depth 0",
		"webhookd_delivery_queue_oldest_due_age_seconds 0",
		`go_sql_max_open_connections{db_name="webhookd"} 20`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if status, _, body := r.get(t, "/", ""); status != http.StatusOK || !strings.Contains(body, `url=docs`) {
		t.Errorf("GET / answered %d %s; want a page leading to docs", status, body)
	}
}

func TestABadSettingStopsStartUpWithOneLineNamingIt(t *testing.T) {
	t.Parallel()
	for _, setting := range []string{"WEBHOOKS_SHIPPING_RATE_LIMIT=lots", "DATABASE_MAX_CONNS=twenty", "PORT=http", "WEBHOOKS_INSPECTOR=maybe",
		"WEBHOOKS_PPROF_ADDR=0.0.0.0:6060", "WEBHOOKS_DELIVERY_BATCH=abc", "WEBHOOKS_DELIVERY_PER_TARGET=0", "WEBHOOKS_DELIVERY_PER_ACCOUNT=-1",
		"WEBHOOKS_DELIVERY_BREAK_AFTER=x", "WEBHOOKS_DELIVERY_POLL=-1s", "WEBHOOKS_RETRY_SCALE=fast", "WEBHOOKS_ROLE=both"} {
		// No DATABASE_URL: a setting is refused before the private PostgreSQL would start.
		dataDir := t.TempDir()
		cmd := exec.Command(binary)
		cmd.Env = append(os.Environ(), "DATABASE_URL=", "WEBHOOKS_DATA_DIR="+dataDir, setting)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%s: webhookd started", setting)
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		name, _, _ := strings.Cut(setting, "=")
		if len(lines) != 1 || !strings.Contains(lines[0], name) || !strings.Contains(lines[0], "want ") {
			t.Errorf("%s: webhookd said %q; want one line naming %s and what it wants", setting, out, name)
		}
		if entries, _ := os.ReadDir(dataDir); len(entries) != 0 {
			t.Errorf("%s: webhookd wrote %v into its data directory before refusing the setting", setting, entries)
		}
	}
}
