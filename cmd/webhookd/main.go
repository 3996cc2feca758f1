// Command webhookd serves the webhook-subscription APIs of every dialect in openapi.yaml.
//
// Configuration comes from the environment; see README.md.
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/handlers/system"
	"github.com/webhookd/webhookd/internal/dbconn"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/delivery/formats"
	"github.com/webhookd/webhookd/internal/egress"
	"github.com/webhookd/webhookd/internal/erasure"
	"github.com/webhookd/webhookd/internal/pgcluster"
	"github.com/webhookd/webhookd/internal/retention"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s, err := parseSettings(os.Getenv)
	if err == nil {
		err = run(log, s)
	}
	if err != nil {
		log.Error("webhookd stopped", "error", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, s Settings) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if s.StopWithParent {
		stopWithParent()
	}
	log.Info("webhookd starting", "pid", os.Getpid(), "role", s.Role)

	databaseURL := s.DatabaseURL
	if databaseURL == "" {
		dir := filepath.Join(s.DataDir, "postgres")
		cluster, err := pgcluster.Start(ctx, dir, pgcluster.Options{Logger: log, BinDir: s.PGBinDir})
		if err != nil {
			return fmt.Errorf("local PostgreSQL in WEBHOOKS_DATA_DIR=%s: %w", s.DataDir, err)
		}
		defer cluster.Stop()
		if err := cluster.CreateDatabase(ctx, "webhookd"); err != nil {
			return err
		}
		databaseURL = cluster.URL("webhookd")
	}

	conn, err := dbconn.Open(databaseURL, dbconn.Defaults)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(s.DatabaseMaxConns)
	conn.SetMaxIdleConns(s.DatabaseMaxConns)
	conn.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.Migrate(ctx, conn); err != nil {
		return err
	}
	keeper, err := retention.New(conn, retention.Config{Retention: s.Retention, Logger: log})
	if err != nil {
		return err
	}
	// Ingestion finds the slices of history it writes to from the first request on.
	if err := keeper.Prepare(ctx); err != nil {
		return fmt.Errorf("creating the slices of history: %w", err)
	}

	ops, err := newOperations(s.Port, s.Inspector)
	if err != nil {
		return err
	}
	policy := egress.Policy{Allowed: s.AllowedTargets, Exact: ops.exactTargets}
	// A worker serves no API: it needs no admin token, so none is generated and no demo made.
	var handler http.Handler
	adminToken, demo := "", false
	if s.Role.servesAPI() {
		if adminToken, demo, err = loadAdminToken(s.DataDir, s.AdminToken); err != nil {
			return err
		}
		handler, err = handlers.New(handlers.Config{DB: conn, AdminToken: adminToken, Logger: log, ShippingRateLimit: s.ShippingRateLimit,
			Egress: policy, Operator: ops.Operator})
	} else {
		handler, err = system.NewStandalone(conn, ops.Registry, log)
	}
	if err != nil {
		return err
	}

	// Jobs beside the HTTP server. Upkeep jobs go in every role's list: each takes its turn
	// across instances by itself, so it runs once however the instances are split.
	var background []job
	erasureCfg := erasure.Defaults
	erasureCfg.Logger = log
	eraser, err := erasure.New(conn, erasureCfg)
	if err != nil {
		return err
	}
	// An erasure under way when the service stops is handed back for another instance.
	background = append(background, job{"eraser", eraser.Run}, job{"history upkeep", keeper.Run})
	// The delivery engine runs only where the role delivers.
	if s.Role.delivers() {
		engine, err := newEngine(conn, databaseURL, s, ops, policy, log)
		if err != nil {
			return err
		}
		background = append(background, job{"delivery engine", engine.Run})
	}
	running := startJobs(log, background)
	// After the HTTP server has drained: in-flight deliveries finish or are handed back.
	defer running.stop()

	stopProfiling, err := startProfiling(s.PprofAddr, log)
	if err != nil {
		return err
	}
	defer stopProfiling()

	server := newHTTPServer(handler, log, s.ReadHeaderTimeout, s.ShutdownGrace)
	listener, err := net.Listen("tcp", ":"+strconv.Itoa(s.Port))
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	log.Info("webhookd listening", "addr", listener.Addr().String())

	if demo {
		base := "http://localhost:" + strconv.Itoa(s.Port)
		if err := runDemo(ctx, os.Stdout, base, adminToken, s.DataDir, ops.inspectorURL); err != nil {
			log.Error("creating the demo account", "error", err)
		}
	}

	var failed error
	select {
	case err := <-served:
		return err
	case failed = <-running.failed:
	case <-ctx.Done():
	}
	log.Info("shutting down")
	return errors.Join(failed, server.shutdown(log))
}

// newEngine builds the delivery engine. It shares the metrics registry and the egress policy
// with the API, and listens for ingestion's notifications on a connection of its own.
func newEngine(conn *sql.DB, databaseURL string, s Settings, ops operations, policy egress.Policy, log *slog.Logger) (*delivery.Engine, error) {
	cfg := s.deliveryConfig()
	cfg.ListenDSN, cfg.Transport, cfg.Logger, cfg.Metrics = databaseURL, policy.Transport(nil), log, ops.delivery
	cfg.Formats = formats.New(formats.Settings{Arkyn: s.arkynSettings()})
	return delivery.New(conn, cfg)
}

// stopWithParent asks the kernel for SIGTERM when the parent process dies
// (WEBHOOKS_STOP_WITH_PARENT, which `go tool task run` sets): killing go-task then stops the
// service and its PostgreSQL in order instead of orphaning them.
func stopWithParent() {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
	if os.Getppid() == 1 {
		// The parent died before the request took effect.
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}
