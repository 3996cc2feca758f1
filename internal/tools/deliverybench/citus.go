package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"time"

	"github.com/webhookd/webhookd/internal/pgcluster"
)

// citusRounds is how many times each of the two databases is measured, alternately.
const citusRounds = 3

// citusRates are the three figures of the Citus comparison with the statements each operation
// took: those the service sent, and on Citus those the workers ran for them.
type citusRates struct {
	ingest, drain, put                float64
	ingestStmts, drainStmts, putStmts float64
	ingestTasks, drainTasks, putTasks float64
}

func (r citusRates) plus(o citusRates) citusRates {
	return citusRates{r.ingest + o.ingest, r.drain + o.drain, r.put + o.put,
		r.ingestStmts + o.ingestStmts, r.drainStmts + o.drainStmts, r.putStmts + o.putStmts,
		r.ingestTasks + o.ingestTasks, r.drainTasks + o.drainTasks, r.putTasks + o.putTasks}
}

func (r citusRates) over(n float64) citusRates {
	return citusRates{r.ingest / n, r.drain / n, r.put / n, r.ingestStmts / n, r.drainStmts / n, r.putStmts / n,
		r.ingestTasks / n, r.drainTasks / n, r.putTasks / n}
}

// runCitus measures ingestion in batches of 1,000, the engine draining the backlog they make
// and the Voucherify PUT on one plain PostgreSQL and on a Citus coordinator with workers, all
// on this machine, in alternating rounds so that the machine's noise falls on both alike. It
// prints each rate, Citus's ratio to plain PostgreSQL, and the statements per operation.
func runCitus(workers int, log *slog.Logger, backlog int, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	plainCluster, stopPlain, err := pgcluster.StartScratchWith(ctx, "deliverybench", pgcluster.Options{Ephemeral: true, BinDir: os.Getenv("PG_BINDIR"), Settings: benchSettings})
	if err != nil {
		return err
	}
	defer stopPlain()
	// Each node gets the plain cluster's settings; Citus is loaded first.
	settings := maps.Clone(benchSettings)
	settings["shared_buffers"] = "1GB"
	settings["shared_preload_libraries"] = "citus,pg_stat_statements"
	cluster, stopCitus, err := pgcluster.StartCitusScratch(ctx, "deliverybench", workers, pgcluster.Options{Ephemeral: true, BinDir: os.Getenv("PG_BINDIR"), Settings: settings})
	if err != nil {
		return err
	}
	defer stopCitus()

	plain, err := openHistoryDB(ctx, plainCluster, "bench", log)
	if err != nil {
		return err
	}
	defer plain.Close()
	citus, err := openBenchDB(ctx, cluster.Coordinator.URL("postgres"), log)
	if err != nil {
		return err
	}
	defer citus.Close()

	fmt.Printf("one plain PostgreSQL beside Citus (a coordinator and %d workers), each a private cluster on this machine; engine with default settings; loopback receivers answering 204 at once\n\n", workers)
	var sumPlain, sumCitus citusRates
	for round := range citusRounds {
		last := round == citusRounds-1
		for _, distributed := range [][]bool{{false, true}, {true, false}}[round%2] {
			h, label, sum := plain, "plain PostgreSQL", &sumPlain
			if distributed {
				h, label, sum = citus, "Citus", &sumCitus
			}
			r, err := measureCitusRound(ctx, h, log, fmt.Sprintf("%s (round %d)", label, round+1), distributed, backlog, d, last)
			if err != nil {
				return fmt.Errorf("%s: %w", label, err)
			}
			*sum = sum.plus(r)
		}
	}
	p, c := sumPlain.over(citusRounds), sumCitus.over(citusRounds)
	fmt.Printf("\nmeans of %d alternating rounds:\n", citusRounds)
	fmt.Printf("%-30s %10s %10s %14s %22s %16s\n", "", "plain", "Citus", "Citus ÷ plain", "statements/op plain", "Citus (workers)")
	for _, r := range []struct {
		name                  string
		p, c                  float64
		pStmts, cStmts, tasks float64
		unit                  string
	}{
		{"ingestion, batches of 1,000", p.ingest, c.ingest, p.ingestStmts, c.ingestStmts, c.ingestTasks, "events/s; statements per batch"},
		{"engine draining the backlog", p.drain, c.drain, p.drainStmts, c.drainStmts, c.drainTasks, "deliveries/s"},
		{"Voucherify PUT", p.put, c.put, p.putStmts, c.putStmts, c.putTasks, "requests/s (8 clients)"},
	} {
		fmt.Printf("%-30s %10.0f %10.0f %14.2f %22.3f %9.3f (%.3f)  %s\n", r.name, r.p, r.c, r.c/r.p, r.pStmts, r.cStmts, r.tasks, r.unit)
	}
	return nil
}

// measureCitusRound measures the three rates on fresh accounts of h; on Citus it also counts
// the statements the workers ran. detail prints where the coordinator's time went.
func measureCitusRound(ctx context.Context, h *historyDB, log *slog.Logger, round string, distributed bool, backlog int, d time.Duration, detail bool) (citusRates, error) {
	var r citusRates
	c, conn := h.c, h.conn
	if detail {
		fmt.Printf("%s:\n", round)
	}
	// measure runs f (which returns a rate and how many operations it made) between resets of
	// the workers' statistics and returns its rate, statements per operation and worker
	// statements per operation.
	measure := func(label string, f func() (float64, int, error)) (rate, stmts, tasks float64, _ error) {
		if distributed {
			if err := onWorkers(ctx, conn, `SELECT pg_stat_statements_reset()`, nil); err != nil {
				return 0, 0, 0, err
			}
		}
		var ops int
		p, err := profiled(ctx, conn, label, detail, func() (float64, int, error) {
			rate, n, err := f()
			ops = n
			return rate, n, err
		})
		if err != nil {
			return 0, 0, 0, err
		}
		rate, stmts = p.rate, p.statements
		if distributed {
			var ran int64
			if err := onWorkers(ctx, conn, `SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
				WHERE toplevel AND query NOT LIKE '%pg_stat_statements%' AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`, &ran); err != nil {
				return 0, 0, 0, err
			}
			tasks = float64(ran) / float64(max(ops, 1))
		}
		return rate, stmts, tasks, nil
	}

	drain := newReceiver(nil)
	defer drain.Close()
	a, err := c.account(ctx, "drain-"+round, drain.URL+"/hook")
	if err != nil {
		return r, err
	}
	if r.ingest, r.ingestStmts, r.ingestTasks, err = measure("ingestion, batches of 1,000", func() (float64, int, error) {
		rate, err := c.ingestBatches(ctx, a, backlog, 1000)
		return rate, backlog, err
	}); err != nil {
		return r, err
	}
	// Per batch, not per event.
	r.ingestStmts, r.ingestTasks = r.ingestStmts*1000, r.ingestTasks*1000
	if r.drain, r.drainStmts, r.drainTasks, err = measure("drain", func() (float64, int, error) {
		rate, err := drainRate(ctx, conn, h.dsn, log, drain, backlog)
		return rate, backlog, err
	}); err != nil {
		return r, err
	}
	if r.put, r.putStmts, r.putTasks, err = measure("Voucherify PUT", func() (float64, int, error) {
		rate, err := c.putRate(ctx, "put-"+round, 100, 8, d)
		return rate, int(rate * d.Seconds()), err
	}); err != nil {
		return r, err
	}
	return r, nil
}

// onWorkers runs query on every worker of the coordinator conn is connected to; with sum set,
// it adds up their one-number results.
func onWorkers(ctx context.Context, conn *sql.DB, query string, sum *int64) error {
	rows, err := conn.QueryContext(ctx, `SELECT success, result FROM run_command_on_workers($1)`, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ok bool
		var result string
		if err := rows.Scan(&ok, &result); err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("on a worker: %s", result)
		}
		if sum != nil {
			var n int64
			if _, err := fmt.Sscan(result, &n); err != nil {
				return fmt.Errorf("on a worker: %q: %w", result, err)
			}
			*sum += n
		}
	}
	return rows.Err()
}
