package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/pgcluster"
	"github.com/webhookd/webhookd/internal/pgtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "webhookd-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "webhookd")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building webhookd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

const adminToken = "instances-admin-token"

// instance is a webhookd process.
type instance struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
}

func start(t *testing.T, databaseURL string, env ...string) *instance {
	t.Helper()
	port, err := pgcluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "PORT="+strconv.Itoa(port), "WEBHOOKS_ADMIN_TOKEN="+adminToken,
		"WEBHOOKS_ALLOWED_TARGETS=127.0.0.0/8", "WEBHOOKS_DELIVERY_POLL=20ms", "WEBHOOKS_RETRY_SCALE=0.001")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in := &instance{cmd: cmd, url: "http://127.0.0.1:" + strconv.Itoa(port), logs: logs}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("instance %s:\n%s", in.url, logs.String())
		}
	})
	// Healthy only once it says it listens: another test's process on the same port (taken
	// between FreePort and this start) must not pass for this one.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if strings.Contains(logs.String(), `msg="webhookd listening"`) {
			resp, err := http.Get(in.url + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return in
				}
			}
		}
		if strings.Contains(logs.String(), `msg="webhookd stopped"`) || time.Now().After(deadline) {
			t.Fatalf("instance did not start:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (in *instance) post(t *testing.T, path, auth string, body any, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, in.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatal(err)
		}
	}
}

// counter is a receiver that counts deliveries by webhook-id.
type counter struct {
	mu    sync.Mutex
	seen  map[string]int
	total int
}

func (c *counter) snapshot() (distinct, total int, dup string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, n := range c.seen {
		if n > 1 {
			dup = id
		}
	}
	return len(c.seen), c.total, dup
}

func setUp(t *testing.T, in *instance, target string) gen.AccountCreated {
	t.Helper()
	var a gen.AccountCreated
	in.post(t, "/admin/v1/accounts", "Bearer "+adminToken, map[string]any{"name": "acme"}, &a)
	in.post(t, "/v1/webhook-subscriptions", "Bearer "+a.Shipping.ApiKey,
		map[string]any{"name": "s", "url": target, "events": []string{"shipment.created"}}, nil)
	return a
}

func TestTwoInstancesDeliverEachEventOnce(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	c := &counter{seen: map[string]int{}}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.seen[r.Header.Get("webhook-id")]++
		c.total++
		c.mu.Unlock()
	}))
	defer receiver.Close()
	a, b := start(t, dbURL), start(t, dbURL)
	account := setUp(t, a, receiver.URL+"/hook")
	const n = 60
	for i := range n {
		in := a
		if i%2 == 1 {
			in = b
		}
		in.post(t, "/ingest/v1/events", "Bearer "+account.Ingest.Key, map[string]any{"type": "shipment.created", "data": map[string]int{"i": i}}, nil)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if distinct, _, _ := c.snapshot(); distinct == n || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show up
	distinct, total, dup := c.snapshot()
	if distinct != n || total != n {
		t.Fatalf("%d distinct deliveries, %d requests (duplicate %q); want %d of each", distinct, total, dup, n)
	}
}

func TestADeliveryOfAKilledInstanceIsCompletedByAnother(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	arrived := make(chan string, 10)
	release := make(chan struct{})
	var once sync.Once
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- r.Header.Get("webhook-id")
		first := false
		once.Do(func() { first = true })
		if first {
			<-release // the first instance dies while its call hangs here
		}
	}))
	defer receiver.Close()
	defer close(release)
	lease := []string{"WEBHOOKS_DELIVERY_LEASE=2s", "WEBHOOKS_DELIVERY_TIMEOUT=1500ms"}
	a := start(t, dbURL, lease...)
	account := setUp(t, a, receiver.URL+"/hook")
	a.post(t, "/ingest/v1/events", "Bearer "+account.Ingest.Key, map[string]any{"type": "shipment.created"}, nil)

	var first string
	select {
	case first = <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the first instance never called the target")
	}
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	start(t, dbURL, lease...)
	select {
	case second := <-arrived:
		if second != first {
			t.Errorf("the second instance delivered %q, want the interrupted %q", second, first)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no other instance completed the delivery")
	}
	select {
	case extra := <-arrived:
		t.Errorf("a third call for %s", extra)
	case <-time.After(time.Second):
	}
}
