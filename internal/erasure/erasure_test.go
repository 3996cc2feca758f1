package erasure

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testConfig erases in batches of batch rows without a grace period.
func testConfig(batch int) Config {
	return Config{Batch: batch, Poll: 5 * time.Millisecond, Lease: 10 * time.Second, Grace: 0}
}

func newEraser(t *testing.T, conn *sql.DB, cfg Config) *Eraser {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(testLog{t}, nil))
	}
	e, err := New(conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func deleteAccount(t *testing.T, env *apitest.Env, tn tenant) {
	t.Helper()
	resp := env.Do(t, apitest.Request{Method: http.MethodDelete, Path: "/admin/v1/accounts/" + tn.Id.String(), Header: apitest.Admin()})
	if resp.Status != http.StatusAccepted {
		t.Fatalf("delete: %d %s", resp.Status, resp.Body)
	}
}

// eraseAll runs passes until none finds a due account.
func eraseAll(t *testing.T, e *Eraser) {
	t.Helper()
	for range 1000 {
		found, err := e.EraseDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !found {
			return
		}
	}
	t.Fatal("erasure does not end")
}

func TestErasureLeavesNoRowOfTheAccountAndNoneOfOthersGoes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	doomed, kept := populate(t, env, "doomed"), populate(t, env, "kept")
	expectRows(t, rowsOf(t, env.DB, doomed), true)
	keptBefore := rowsOf(t, env.DB, kept)
	expectRows(t, keptBefore, true)
	keptArkyn := apitest.ArkynLogin(t, env, kept.AccountCreated)
	foreignSource := apitest.Request{Method: http.MethodGet, Path: "/webhooks/" + doomed.Arkyn.TrafficSourceId.String(), Header: keptArkyn}
	if resp := env.Do(t, foreignSource); resp.Status != http.StatusForbidden {
		t.Fatalf("another user's traffic source before erasure: %d %s", resp.Status, resp.Body)
	}

	deleteAccount(t, env, doomed)
	eraseAll(t, newEraser(t, env.DB, testConfig(2))) // many small batches

	expectRows(t, rowsOf(t, env.DB, doomed), false)
	keptAfter := rowsOf(t, env.DB, kept)
	keptAfter["credentials"]-- // the kept account's Arkyn login above
	for table, n := range keptBefore {
		if keptAfter[table] != n {
			t.Errorf("the kept account's %s: %d rows before, %d after", table, n, keptAfter[table])
		}
	}
	// Its scope ids are unknown now, to anyone.
	if resp := env.Do(t, foreignSource); resp.Status != http.StatusNotFound {
		t.Errorf("the erased traffic source: %d %s; want 404", resp.Status, resp.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/" + doomed.Id.String(), Header: apitest.Admin()}); resp.Status != http.StatusNotFound {
		t.Errorf("the erased account: %d %s; want 404", resp.Status, resp.Body)
	}
}

// Events, deliveries and attempts go at once; what requests in flight may still write waits
// for the grace period, and no eraser picks the account up in between.
func TestErasureWaitsForTheGracePeriodBeforeTheRest(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	doomed := populate(t, env, "doomed")
	cfg := testConfig(100)
	cfg.Grace = 2 * time.Second
	e := newEraser(t, env.DB, cfg)
	deleteAccount(t, env, doomed)
	eraseAll(t, e)
	counts := rowsOf(t, env.DB, doomed)
	for table, n := range counts {
		waits := table == "subscriptions" || table == "scopes" || table == "credentials" || table == "rate_limit_windows" ||
			table == "portal_sessions" || table == "accounts"
		if waits != (n > 0) {
			t.Errorf("%s: %d rows within the grace period", table, n)
		}
	}
	var leaseLeft time.Duration
	if err := env.DB.QueryRow(`SELECT (EXTRACT(EPOCH FROM erasure_lease_until - now()) * 1e9)::bigint FROM accounts WHERE id = $1`, doomed.Id).Scan(&leaseLeft); err != nil {
		t.Fatal(err)
	}
	if leaseLeft < time.Second || leaseLeft > cfg.Grace {
		t.Errorf("held for %v more; want until the grace period ends", leaseLeft)
	}
	time.Sleep(leaseLeft + 50*time.Millisecond)
	eraseAll(t, e)
	expectRows(t, rowsOf(t, env.DB, doomed), false)
}

// An eraser stopped midway (a restart) leaves the account marked; the next eraser continues,
// once the stopped one's claim has lapsed if it could not hand the account back (a crash).
func TestErasureContinuesAfterAnInterruption(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	doomed := populate(t, env, "doomed")
	before := rowsOf(t, env.DB, doomed)
	deleteAccount(t, env, doomed)

	first := newEraser(t, env.DB, testConfig(1))
	ctx, stop := context.WithCancel(context.Background())
	batches := 0
	first.afterBatch = func() {
		if batches++; batches == 3 {
			stop()
		}
	}
	if err := first.Run(ctx); err != nil {
		t.Fatal(err)
	}
	midway := rowsOf(t, env.DB, doomed)
	if midway["accounts"] != 1 || midway["deliveries"] >= before["deliveries"] && midway["delivery_attempts"] >= before["delivery_attempts"] {
		t.Fatalf("after 3 batches: %v (before: %v); want some deliveries gone and the account marked", midway, before)
	}

	// The stopped eraser handed the account back; a crashed one would still hold it.
	if _, err := env.DB.Exec(`UPDATE accounts SET erasure_lease_until = now() + interval '300 milliseconds' WHERE id = $1`, doomed.Id); err != nil {
		t.Fatal(err)
	}
	next := newEraser(t, env.DB, testConfig(1000))
	if found, err := next.EraseDue(context.Background()); err != nil || found {
		t.Fatalf("an account held by another eraser was taken: %v, %v", found, err)
	}
	time.Sleep(350 * time.Millisecond)
	eraseAll(t, next)
	expectRows(t, rowsOf(t, env.DB, doomed), false)
}

// Ingestion racing the erasure: every request is answered 202 (recorded before the mark) or
// 401 (refused, nothing stored), on the instance that took the DELETE and on another one whose
// credential cache still trusts the key; afterwards no row of the account remains. Two erasers
// run side by side, as on two instances.
func TestIngestDuringErasureIsRefusedAndLeavesNothing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	other := apitest.NewWithDB(t, env.DB)
	doomed := populate(t, env, "doomed")
	single := apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/events", Header: ingestKey(doomed.AccountCreated),
		Body: `{"type": "voucher.created", "data": {"n": 1}}`}
	batch := apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/event-batches", Header: ingestKey(doomed.AccountCreated),
		Body: `{"events": [{"type": "voucher.created"}, {"type": "voucher.created"}, {"type": "voucher.created"}]}`}

	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil))
	cfg := testConfig(50)
	cfg.Logger = logger
	ctx, stopErasers := context.WithCancel(context.Background())
	var erasers sync.WaitGroup
	for range 2 {
		e := newEraser(t, env.DB, cfg)
		erasers.Go(func() { _ = e.Run(ctx) })
	}

	type answer struct {
		status int
		body   string
		sent   time.Time
	}
	answers := make(chan answer, 100000)
	var accepted atomic.Int32
	stopIngest := make(chan struct{})
	var clients sync.WaitGroup
	for i := range 6 {
		instance, req := env, single
		if i%2 == 1 {
			instance = other
		}
		if i%3 == 2 {
			req = batch
		}
		clients.Go(func() {
			for {
				select {
				case <-stopIngest:
					return
				default:
				}
				sent := time.Now()
				resp := instance.Do(t, req)
				if resp.Status == http.StatusAccepted {
					accepted.Add(1)
				}
				answers <- answer{resp.Status, string(resp.Body), sent}
			}
		})
	}
	// Some ingestion before the erasure (the first creates the current slice of history).
	for began := time.Now(); accepted.Load() < 10; time.Sleep(10 * time.Millisecond) {
		if time.Since(began) > 20*time.Second {
			t.Fatal("no ingestion was accepted")
		}
	}
	deleteAccount(t, env, doomed)
	deleted := time.Now()
	// Ingestion goes on until the account row is gone, and a while after.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := env.DB.QueryRow(`SELECT count(*) FROM accounts WHERE id = $1`, doomed.Id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the account was not erased")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	close(stopIngest)
	clients.Wait()
	stopErasers()
	erasers.Wait()
	close(answers)

	statuses := map[int]int{}
	for a := range answers {
		statuses[a.status]++
		switch {
		case a.status != http.StatusAccepted && a.status != http.StatusUnauthorized:
			t.Errorf("ingest answered %d %s", a.status, a.body)
		case a.status == http.StatusAccepted && a.sent.After(deleted):
			t.Errorf("ingest sent after DELETE answered was accepted: %s", a.body)
		}
	}
	if statuses[http.StatusAccepted] == 0 || statuses[http.StatusUnauthorized] == 0 {
		t.Errorf("answers %v; want both accepted and refused ingestion", statuses)
	}
	t.Logf("ingestion answers: %v", statuses)
	expectRows(t, rowsOf(t, env.DB, doomed), false)
	logMu.Lock()
	defer logMu.Unlock()
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("an eraser failed:\n%s", logs.String())
	}
}

// lockedWriter lets erasers log from their goroutines into one buffer.
type lockedWriter struct {
	buf *bytes.Buffer
	mu  *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}
