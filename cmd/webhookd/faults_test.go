package main_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/dbconn"
	"github.com/webhookd/webhookd/internal/pgcluster"
)

// Bounds the service promises while its database is frozen or gone.
const (
	healthBound = 3 * time.Second
	// apiBound: a query on a silent connection fails after dbconn's I/O timeout; a new
	// connection fails after its connect timeout, which is shorter.
	apiMargin = 3 * time.Second
)

// TestFrozenAndStoppedDatabase freezes PostgreSQL with SIGSTOP, then stops it: /healthz must
// answer 503 quickly, API calls must fail in bounded time, and the service must recover.
func TestFrozenAndStoppedDatabase(t *testing.T) {
	t.Parallel()
	pg := newPrivateCluster(t)
	in := start(t, pg.c.URL("webhookd"))
	var a gen.AccountCreated
	in.post(t, "/admin/v1/accounts", "Bearer "+adminToken, map[string]any{"name": "acme"}, &a)
	voucherify := func() (int, string, time.Duration) {
		return in.get(t, "/management/v1/projects/"+a.Voucherify.ProjectId+"/webhooks",
			"X-Management-Id", a.Voucherify.ManagementId, "X-Management-Token", a.Voucherify.ManagementToken)
	}
	admin := func() (int, string, time.Duration) {
		return in.get(t, "/admin/v1/accounts/"+a.Id.String(), "Authorization", "Bearer "+adminToken)
	}
	apiBound := dbconn.Defaults.IOTimeout() + apiMargin

	thaw := pg.freeze(t)
	for i := range 2 { // the second probe finds the first one's ping still hanging
		status, _, took := in.get(t, "/healthz")
		t.Logf("frozen: /healthz %d after %v", status, took)
		if status != http.StatusServiceUnavailable || took > healthBound {
			t.Errorf("frozen, probe %d: /healthz answered %d after %v; want 503 within %v", i, status, took, healthBound)
		}
	}
	calls := map[string]func() (int, string, time.Duration){"voucherify": voucherify, "admin": admin}
	expectFailures(t, "frozen", calls, apiBound)
	thaw()
	recovers(t, in, "after SIGCONT", calls)

	if err := pg.c.Stop(); err != nil {
		t.Fatal(err)
	}
	status, _, took := in.get(t, "/healthz")
	t.Logf("stopped: /healthz %d after %v", status, took)
	if status != http.StatusServiceUnavailable || took > healthBound {
		t.Errorf("stopped: /healthz answered %d after %v; want 503 within %v", status, took, healthBound)
	}
	expectFailures(t, "stopped", calls, apiBound)
	pg.restart(t)
	recovers(t, in, "after restart", calls)

	code, _ := in.stop(t, 30*time.Second)
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	logs := in.logs.String()
	if n := strings.Count(logs, `msg="request failed"`); n != 4 {
		t.Errorf("%d failed requests logged, want one for each of the 4 failed calls:\n%s", n, logs)
	}
	for _, secret := range []string{a.Voucherify.ManagementToken, adminToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("a credential appears in the logs:\n%s", logs)
		}
	}
}

// expectFailures runs every call at once and wants each to fail with a 500 within bound.
func expectFailures(t *testing.T, phase string, calls map[string]func() (int, string, time.Duration), bound time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	for name, call := range calls {
		wg.Go(func() {
			status, body, took := call()
			t.Logf("%s: %s call answered %d after %v", phase, name, status, took)
			if status != http.StatusInternalServerError || took > bound {
				t.Errorf("%s: %s call answered %d %s after %v; want 500 within %v", phase, name, status, body, took, bound)
			}
		})
	}
	wg.Wait()
}

// recovers waits for /healthz to answer 200 and then wants every call to succeed.
func recovers(t *testing.T, in *instance, phase string, calls map[string]func() (int, string, time.Duration)) {
	t.Helper()
	began := time.Now()
	for {
		status, _, _ := in.get(t, "/healthz")
		if status == http.StatusOK {
			break
		}
		if time.Since(began) > 30*time.Second {
			t.Fatalf("%s: /healthz still %d after %v", phase, status, time.Since(began))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s: /healthz 200 after %v", phase, time.Since(began))
	for name, call := range calls {
		if status, body, _ := call(); status != http.StatusOK {
			t.Errorf("%s: %s call answered %d %s, want 200", phase, name, status, body)
		}
	}
}

// privateCluster is a PostgreSQL server of this test's own, which it may freeze and stop.
type privateCluster struct {
	dir string
	c   *pgcluster.Cluster
}

func newPrivateCluster(t *testing.T) *privateCluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "webhookd-faults-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755) // enterable by the postgres user when tests run as root
	pg := &privateCluster{dir: filepath.Join(dir, "pg")}
	t.Cleanup(func() {
		if pg.c != nil {
			_ = pg.c.Stop()
		}
		os.RemoveAll(dir)
	})
	pg.c, err = pgcluster.Start(context.Background(), pg.dir, pgcluster.Options{Ephemeral: true, BinDir: os.Getenv("PG_BINDIR")})
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.c.CreateDatabase(context.Background(), "webhookd"); err != nil {
		t.Fatal(err)
	}
	return pg
}

// restart starts the stopped cluster again on the same port, so clients' URLs stay valid.
func (pg *privateCluster) restart(t *testing.T) {
	t.Helper()
	c, err := pgcluster.Start(context.Background(), pg.dir, pgcluster.Options{Ephemeral: true, Port: pg.c.Port(), BinDir: os.Getenv("PG_BINDIR")})
	if err != nil {
		t.Fatal(err)
	}
	pg.c = c
}

// freeze stops PostgreSQL with SIGSTOP. The returned function resumes it; it also runs at
// cleanup, before the service and the cluster are stopped.
func (pg *privateCluster) freeze(t *testing.T) (thaw func()) {
	t.Helper()
	thaw, err := pg.c.Freeze()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(thaw)
	return thaw
}

var slowClient = &http.Client{Timeout: time.Minute}

// get sends a GET with the given header name/value pairs and times it.
func (in *instance) get(t *testing.T, path string, header ...string) (status int, body string, took time.Duration) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, in.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	began := time.Now()
	resp, err := slowClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), time.Since(began).Round(time.Millisecond)
}

// stop sends SIGTERM and waits up to within for the process to exit.
func (in *instance) stop(t *testing.T, within time.Duration) (code int, took time.Duration) {
	t.Helper()
	began := time.Now()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = in.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(within):
		_ = in.cmd.Process.Kill()
		<-done
		t.Fatalf("still running %v after SIGTERM", within)
	}
	return in.cmd.ProcessState.ExitCode(), time.Since(began).Round(time.Millisecond)
}
