// Command pgrun runs a command with DATABASE_URL naming a throw-away PostgreSQL cluster that it
// starts first and stops when the command ends, however it ends; it exits with the command's
// status. go tool task test runs the tests under it so that every package shares one server
// rather than each starting its own (see internal/pgtest). With DATABASE_URL already set, the
// command runs against that server and no cluster is started.
//
//	go run ./internal/tools/pgrun -- go test ./...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/webhookd/webhookd/internal/pgcluster"
)

func main() {
	// go test runs up to GOMAXPROCS test binaries at once, and each may hold as many
	// connections as the cluster it would otherwise start allows (200).
	maxConns := flag.Int("max-connections", min(200*max(runtime.GOMAXPROCS(0), 2), 1000), "PostgreSQL's max_connections")
	citus := flag.Int("citus", 0, "start a Citus coordinator with this many workers instead of one plain server")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: pgrun [-max-connections N] [-citus WORKERS] [--] command [args...]")
		flag.PrintDefaults()
	}
	installed := flag.Bool("citus-installed", false, "only tell, by the exit status, whether the Citus extension is installed")
	flag.Parse()
	if *installed {
		if !pgcluster.CitusInstalled(os.Getenv("PG_BINDIR")) {
			os.Exit(1)
		}
		os.Exit(0)
	}
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run(flag.Args(), *maxConns, *citus))
}

func run(args []string, maxConns, citusWorkers int) int {
	// Ctrl-C reaches the command as well (one process group), and the cluster, in a group of
	// its own, is stopped only once the command has ended. A signal sent to pgrun alone is
	// passed on to the command.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)

	env := os.Environ()
	if os.Getenv("DATABASE_URL") == "" {
		log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("cmd", "pgrun")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		opts := pgcluster.Options{Ephemeral: true, Logger: log, MaxConnections: maxConns, BinDir: os.Getenv("PG_BINDIR")}
		var url string
		stop := func() {}
		var err error
		if citusWorkers > 0 {
			var c *pgcluster.Citus
			if c, stop, err = pgcluster.StartCitusScratch(ctx, "tests", citusWorkers, opts); err == nil {
				url = c.Coordinator.URL("postgres")
			}
		} else {
			var c *pgcluster.Cluster
			if c, stop, err = pgcluster.StartScratchWith(ctx, "tests", opts); err == nil {
				url = c.URL("postgres")
			}
		}
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgrun:", err)
			return 1
		}
		defer stop()
		env = append(env, "DATABASE_URL="+url)
	}
	select {
	case sig := <-signals:
		fmt.Fprintln(os.Stderr, "pgrun: stopped by", sig)
		return 128 + int(sig.(syscall.Signal))
	default:
	}

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "pgrun:", err)
		return 127
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-signals:
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			return exitStatus(err)
		}
	}
}

// exitStatus is the status a shell would report for a command that ended with err.
func exitStatus(err error) int {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgrun:", err)
			return 1
		}
		return 0
	}
	if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.Signaled() {
		return 128 + int(status.Signal())
	}
	return exit.ExitCode()
}
