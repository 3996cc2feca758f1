// Command soak runs the real webhookd binary under a steady mix of API calls, ingestion and
// deliveries (some of which fail and are retried) for a bounded time, with a short retention,
// and reports once a minute what could grow: the history's size on disk, the service's memory,
// goroutines and database connections, deliveries per second and the API's p99. It ends with
// each series' slope after the first retention period: a flat service shows slopes near zero.
// Traffic goes only to loopback: the service, and a receiver this command runs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/webhookd/webhookd/internal/pgcluster"
)

func main() {
	binary := flag.String("binary", "bin/webhookd", "the webhookd binary to soak")
	duration := flag.Duration("d", 30*time.Minute, "how long the soak runs")
	retention := flag.Duration("retention", 5*time.Minute, "WEBHOOKS_RETENTION of the service")
	rate := flag.Int("rate", 100, "events ingested per second, half one by one and half in batches")
	every := flag.Duration("every", time.Minute, "how often a row is reported")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *binary, *duration, *retention, *rate, *every); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, binary string, duration, retention time.Duration, rate int, every time.Duration) error {
	if duration <= retention {
		return errors.New("the soak must outlast the retention, or nothing ever expires")
	}
	cluster, stopCluster, err := pgcluster.StartScratchWith(ctx, "soak", pgcluster.Options{Ephemeral: true, BinDir: os.Getenv("PG_BINDIR")})
	if err != nil {
		return err
	}
	defer stopCluster()
	if err := cluster.CreateDatabase(ctx, "soak"); err != nil {
		return err
	}
	recv := newReceiver()
	defer recv.Close()
	svc, err := startService(ctx, binary, cluster.URL("soak"), retention)
	if err != nil {
		return err
	}
	defer svc.stop()
	tenants, err := svc.provision(ctx, recv.URL, 4)
	if err != nil {
		return err
	}
	probe, err := newProbe(cluster.URL("soak"), svc)
	if err != nil {
		return err
	}
	defer probe.Close()

	fmt.Printf("soak: %s, retention %s, %d events/s over %d tenants, receiver fails 1 call in 10\n\n", duration, retention, rate, len(tenants))
	runCtx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	load := newLoad(svc, tenants)
	go load.ingest(runCtx, rate)
	go load.calls(runCtx, 20)

	var rows []sample
	printHeader()
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-runCtx.Done():
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := load.err(); err != nil {
				return err
			}
			printSlopes(rows, start.Add(retention))
			return probe.summary(context.Background())
		case now := <-tick.C:
			s, err := probe.sample(runCtx, now, recv, load)
			if err != nil {
				if runCtx.Err() != nil {
					continue
				}
				return err
			}
			rows = append(rows, s)
			printRow(s, start)
		}
	}
}
