// Command webhookd serves the webhook-subscription APIs of every dialect in openapi.yaml.
//
// Configuration comes from the environment; see README.md.
package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/dbconn"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/delivery/arkyn"
	"github.com/webhookd/webhookd/internal/delivery/formats"
	"github.com/webhookd/webhookd/internal/egress"
	"github.com/webhookd/webhookd/internal/pgcluster"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("webhookd stopped", "error", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	stopWithParent()
	if err := checkSettings(); err != nil {
		return err
	}
	log.Info("webhookd starting", "pid", os.Getpid())

	port := envOr("PORT", "8080")
	dataDir := envOr("WEBHOOKS_DATA_DIR", ".data")
	databaseURL := os.Getenv("DATABASE_URL")
	if databaseURL == "" {
		dir := filepath.Join(dataDir, "postgres")
		cluster, err := pgcluster.Start(ctx, dir, pgcluster.Options{Logger: log, BinDir: os.Getenv("PG_BINDIR")})
		if err != nil {
			return fmt.Errorf("local PostgreSQL in WEBHOOKS_DATA_DIR=%s: %w", dataDir, err)
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
	conn.SetMaxOpenConns(envInt("DATABASE_MAX_CONNS", 20))
	conn.SetMaxIdleConns(envInt("DATABASE_MAX_CONNS", 20))
	conn.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.Migrate(ctx, conn); err != nil {
		return err
	}

	allowed, err := egress.ParsePrefixes(os.Getenv("WEBHOOKS_ALLOWED_TARGETS"))
	if err != nil {
		return err
	}
	adminToken, demo, err := loadAdminToken(dataDir)
	if err != nil {
		return err
	}
	ops, err := newOperations(port)
	if err != nil {
		return err
	}
	shippingLimit := handlers.ShippingDefaultRateLimit
	if v := os.Getenv("WEBHOOKS_SHIPPING_RATE_LIMIT"); v != "" {
		if shippingLimit, err = handlers.ParseRateLimit(v); err != nil {
			return err
		}
	}
	api, err := handlers.New(handlers.Config{DB: conn, AdminToken: adminToken, Logger: log, ShippingRateLimit: shippingLimit, AllowedTargets: allowed, AllowedExactTargets: ops.exactTargets, Operator: ops.Operator})
	if err != nil {
		return err
	}
	engine, err := deliveryEngine(conn, databaseURL, log, allowed, ops)
	if err != nil {
		return err
	}
	engineCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	engineDone := make(chan error, 1)
	go func() { engineDone <- engine.Run(engineCtx) }()
	defer func() {
		// After the HTTP server has drained: in-flight deliveries finish or are handed back.
		stopEngine()
		<-engineDone
	}()

	stopProfiling, err := startProfiling(os.Getenv("WEBHOOKS_PPROF_ADDR"), log)
	if err != nil {
		return err
	}
	defer stopProfiling()

	server, err := newHTTPServer(api, log)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	log.Info("webhookd listening", "addr", listener.Addr().String())

	if demo {
		base := "http://localhost:" + port
		if err := runDemo(ctx, os.Stdout, base, adminToken, dataDir, ops.inspectorURL); err != nil {
			log.Error("creating the demo account", "error", err)
		}
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	return server.shutdown(log)
}

// deliveryEngine configures the delivery engine from the environment.
func deliveryEngine(conn *sql.DB, databaseURL string, log *slog.Logger, allowed []netip.Prefix, ops operations) (*delivery.Engine, error) {
	var err error
	scale := 1.0
	if v := os.Getenv("WEBHOOKS_RETRY_SCALE"); v != "" {
		if scale, err = strconv.ParseFloat(v, 64); err != nil || scale <= 0 {
			return nil, fmt.Errorf("WEBHOOKS_RETRY_SCALE=%q: want a positive number", v)
		}
	}
	cfg := delivery.Config{
		WorkerID:      os.Getenv("WEBHOOKS_WORKER_ID"),
		Concurrency:   envInt("WEBHOOKS_DELIVERY_CONCURRENCY", 0),
		Batch:         envInt("WEBHOOKS_DELIVERY_BATCH", 0),
		PerTarget:     envInt("WEBHOOKS_DELIVERY_PER_TARGET", 0),
		PerAccount:    envInt("WEBHOOKS_DELIVERY_PER_ACCOUNT", 0),
		BreakAfter:    envInt("WEBHOOKS_DELIVERY_BREAK_AFTER", 0),
		ListenDSN:     databaseURL,
		ScheduleScale: scale,
		Transport:     egress.Policy{Allowed: allowed, Exact: ops.exactTargets}.Transport(nil),
		Formats: formats.New(formats.Settings{Arkyn: arkyn.Settings{
			DiscordBaseURL: os.Getenv("WEBHOOKS_DISCORD_BASE_URL"),
			BotToken:       os.Getenv("WEBHOOKS_DISCORD_BOT_TOKEN"),
		}}),
		Logger:  log,
		Metrics: ops.delivery,
	}
	for name, d := range map[string]*time.Duration{"WEBHOOKS_DELIVERY_POLL": &cfg.PollInterval, "WEBHOOKS_DELIVERY_LEASE": &cfg.Lease, "WEBHOOKS_DELIVERY_TIMEOUT": &cfg.AttemptTimeout, "WEBHOOKS_DELIVERY_BREAK_FOR": &cfg.BreakFor} {
		if v := os.Getenv(name); v != "" {
			if *d, err = time.ParseDuration(v); err != nil {
				return nil, fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	}
	return delivery.New(conn, cfg)
}
