// Command deliverybench measures, in one run on one private PostgreSQL cluster, how close the
// delivery engine comes to the line rate: a bare Go client sending signed POSTs to a loopback
// receiver, the engine (default settings) draining a backlog of Shipping events to the same
// kind of receiver, and a healthy tenant's throughput alone and while another tenant's target
// hangs. It also reports ingestion through the API, one event per request and in batches. It
// prints the figures and their ratios; the machine is shared and noisy, so it asserts nothing.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"

	"sync/atomic"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/dbconn"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/egress"
	"github.com/webhookd/webhookd/internal/pgcluster"
	"github.com/webhookd/webhookd/internal/retention"
)

func main() {
	backlog := flag.Int("backlog", 10000, "events in the backlog the engine drains")
	healthy := flag.Int("healthy", 10000, "the healthy tenant's events in the fairness runs")
	hanging := flag.Int("hanging", 48, "deliveries to the hanging target")
	bare := flag.Duration("bare", 3*time.Second, "how long the bare client sends")
	history := flag.Int("history", 0, "then measure the engine, single ingestion and the Voucherify PUT again beside this many settled deliveries (0: not)")
	citus := flag.Int("citus", 0, "instead, measure ingestion in batches, the engine and the Voucherify PUT on one plain PostgreSQL beside a Citus coordinator with this many workers")
	flag.Parse()
	var err error
	if *citus > 0 {
		err = runCitus(*citus, slog.New(slog.NewTextHandler(io.Discard, nil)), *backlog, 10*time.Second)
	} else {
		err = run(*backlog, *healthy, *hanging, *bare, *history)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "deliverybench:", err)
		os.Exit(1)
	}
}

// rounds is how many times the fairness pair runs.
const rounds = 3

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func run(backlog, healthy, hanging int, bareFor time.Duration, history int) error {
	// Loading a history of 10⁷ deliveries takes minutes of its own.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute+time.Duration(history/1000)*300*time.Millisecond)
	defer cancel()
	// fsync off, as in the tests: the figures measure round trips and CPU, not the disk.
	cluster, stop, err := pgcluster.StartScratchWith(ctx, "deliverybench", pgcluster.Options{Ephemeral: true, BinDir: os.Getenv("PG_BINDIR"), Settings: benchSettings})
	if err != nil {
		return err
	}
	defer stop()
	if err := cluster.CreateDatabase(ctx, "bench"); err != nil {
		return err
	}
	dsn := cluster.URL("bench")
	conn, err := dbconn.Open(dsn, dbconn.Defaults)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(20) // the service's default pool
	conn.SetMaxIdleConns(20)
	if err := db.Migrate(ctx, conn); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE EXTENSION pg_stat_statements`); err != nil {
		return err
	}
	keeper, err := retention.New(conn, retention.Config{})
	if err != nil {
		return err
	}
	if err := keeper.Prepare(ctx); err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	api, err := handlers.New(handlers.Config{DB: conn, AdminToken: adminToken, Logger: quiet, Egress: egress.Policy{Allowed: loopback}})
	if err != nil {
		return err
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	c := &client{base: srv.URL, http: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}

	fmt.Println("one PostgreSQL cluster; engine with default settings; loopback receivers answering 204 at once")
	fmt.Println()

	// 1. The line rate: a bare signed client.
	sink := newReceiver(nil)
	defer sink.Close()
	bareRate := bareClient(sink, bareFor)
	fmt.Printf("bare signed Go client:        %8.0f POST/s\n", bareRate)

	// 2. Ingestion through the API, which also fills the backlog.
	drain := newReceiver(nil)
	defer drain.Close()
	acct, err := c.account(ctx, "drain", drain.URL+"/hook")
	if err != nil {
		return err
	}
	single := min(2000, backlog/5)
	singleRate, err := c.ingestSingly(ctx, acct, single, 8)
	if err != nil {
		return err
	}
	batchRate, err := c.ingestBatches(ctx, acct, backlog-single, 1000)
	if err != nil {
		return err
	}
	fmt.Printf("ingestion, one per request:   %8.0f events/s (8 clients)\n", singleRate)
	fmt.Printf("ingestion, batches of 1,000:  %8.0f events/s\n", batchRate)

	// 3. The engine draining the backlog.
	engineRate, err := drainRate(ctx, conn, dsn, quiet, drain, backlog)
	if err != nil {
		return err
	}
	fmt.Printf("engine draining %d:       %8.0f deliveries/s = %.0f %% of the bare client\n", backlog, engineRate, 100*engineRate/bareRate)

	// 4. Fairness: a healthy tenant alone, then while another tenant's target hangs, in
	// alternating rounds so that the machine's noise falls on both alike.
	var aloneSum, besideSum float64
	var held int64
	for round := range rounds {
		// Alternate which goes first: background work (autovacuum) after one run slows the next.
		for _, besideFirst := range [][]bool{{false, true}, {true, false}}[round%2] {
			if !besideFirst {
				rate, err := healthyAlone(ctx, c, conn, dsn, quiet, round, healthy)
				if err != nil {
					return err
				}
				aloneSum += rate
				continue
			}
			rate, n, err := healthyBeside(ctx, c, conn, dsn, quiet, round, healthy, hanging)
			if err != nil {
				return err
			}
			besideSum += rate
			held = n
		}
	}
	aloneRate, besideRate := aloneSum/rounds, besideSum/rounds
	fmt.Printf("healthy tenant alone:         %8.0f deliveries/s (mean of %d rounds)\n", aloneRate, rounds)
	fmt.Printf("healthy beside a hanging one: %8.0f deliveries/s = %.0f %% (%d deliveries hang, %d calls held)\n",
		besideRate, 100*besideRate/aloneRate, hanging, held)
	if history == 0 {
		return nil
	}
	fmt.Println()
	return runHistory(ctx, cluster, quiet, history, backlog, 10*time.Second)
}

// healthyAlone drains a healthy tenant's backlog of n; it returns deliveries per second.
func healthyAlone(ctx context.Context, c *client, conn *sql.DB, dsn string, log *slog.Logger, round, n int) (float64, error) {
	alone := newReceiver(nil)
	defer alone.Close()
	a, err := c.account(ctx, fmt.Sprintf("healthy-alone-%d", round), alone.URL+"/hook")
	if err != nil {
		return 0, err
	}
	if _, err := c.ingestBatches(ctx, a, n, 1000); err != nil {
		return 0, err
	}
	return drainRate(ctx, conn, dsn, log, alone, n)
}

// healthyBeside drains a healthy tenant's backlog of n queued after another tenant's hanging
// deliveries; it returns deliveries per second and how many calls the hanging target held.
func healthyBeside(ctx context.Context, c *client, conn *sql.DB, dsn string, log *slog.Logger, round, n, hanging int) (float64, int64, error) {
	release := make(chan struct{})
	stuck := newReceiver(release)
	defer stuck.Close()
	hung, err := c.account(ctx, fmt.Sprintf("hanging-%d", round), stuck.URL+"/hook")
	if err != nil {
		return 0, 0, err
	}
	if _, err := c.ingestBatches(ctx, hung, hanging, 1000); err != nil {
		return 0, 0, err
	}
	beside := newReceiver(nil)
	defer beside.Close()
	a, err := c.account(ctx, fmt.Sprintf("healthy-beside-%d", round), beside.URL+"/hook")
	if err != nil {
		return 0, 0, err
	}
	if _, err := c.ingestBatches(ctx, a, n, 1000); err != nil {
		return 0, 0, err
	}
	var held int64
	rate, err := drainRate(ctx, conn, dsn, log, beside, n, func() { held = stuck.count.Load(); close(release) })
	return rate, held, err
}

// drainRate runs an engine with default settings until r has received n more requests, and
// returns deliveries per second. before runs ahead of the engine's shutdown.
func drainRate(ctx context.Context, conn *sql.DB, dsn string, log *slog.Logger, r *receiver, n int, before ...func()) (float64, error) {
	engine, err := delivery.New(conn, delivery.Config{Transport: egress.Policy{Allowed: loopback}.Transport(nil), ListenDSN: dsn, Logger: log})
	if err != nil {
		return 0, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	base := r.count.Load()
	start := time.Now()
	go func() { defer close(done); _ = engine.Run(runCtx) }()
	for r.count.Load()-base < int64(n) && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	for _, f := range before {
		f()
	}
	stop()
	<-done
	return float64(n) / elapsed.Seconds(), nil
}

// receiver counts requests; with hold set, it answers only once hold is closed.
type receiver struct {
	*httptest.Server
	count atomic.Int64
}

func newReceiver(hold chan struct{}) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.count.Add(1)
		if hold != nil {
			select {
			case <-hold:
			case <-req.Context().Done():
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	return r
}
