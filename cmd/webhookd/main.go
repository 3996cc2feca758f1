// Command webhookd serves the webhook-subscription APIs of every dialect in openapi.yaml.
//
// Configuration comes from the environment; see README.md.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/dbconn"
	"github.com/webhookd/webhookd/internal/delivery"
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

	port := envOr("PORT", "8080")
	databaseURL := os.Getenv("DATABASE_URL")
	if databaseURL == "" {
		dir := filepath.Join(envOr("WEBHOOKS_DATA_DIR", ".data"), "postgres")
		cluster, err := pgcluster.Start(ctx, dir, pgcluster.Options{Logger: log})
		if err != nil {
			return fmt.Errorf("local PostgreSQL: %w", err)
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

	allowed, err := delivery.ParsePrefixes(strings.Split(os.Getenv("WEBHOOKS_ALLOWED_TARGETS"), ","))
	if err != nil {
		return err
	}
	adminToken := os.Getenv("WEBHOOKS_ADMIN_TOKEN")
	demo := adminToken == ""
	if demo {
		adminToken = "adm_" + randomHex(24)
	}
	shippingLimit := handlers.ShippingDefaultRateLimit
	if v := os.Getenv("WEBHOOKS_SHIPPING_RATE_LIMIT"); v != "" {
		if shippingLimit, err = handlers.ParseRateLimit(v); err != nil {
			return err
		}
	}
	api, err := handlers.New(handlers.Config{DB: conn, AdminToken: adminToken, Logger: log, ShippingRateLimit: shippingLimit, AllowedTargets: allowed})
	if err != nil {
		return err
	}
	engine, err := deliveryEngine(conn, databaseURL, log, allowed)
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
		if err := printDemo(ctx, os.Stdout, base, adminToken); err != nil {
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

// printDemo creates a demo account through the admin API, as an operator would, and prints
// what a new user needs to try every dialect.
func printDemo(ctx context.Context, out io.Writer, base, adminToken string) error {
	body, _ := json.Marshal(gen.AccountCreate{Name: "demo"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/admin/v1/accounts", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST /admin/v1/accounts: %d %s", resp.StatusCode, b)
	}
	var a gen.AccountCreated
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return err
	}
	fmt.Fprintf(out, `
webhookd is running on %[1]s
No WEBHOOKS_ADMIN_TOKEN was set, so one was generated for this run:

  WEBHOOKS_ADMIN_TOKEN=%[2]s

Demo account %[3]s:
  Voucherify  project %[4]s  X-Management-Id: %[5]s  X-Management-Token: %[6]s
  Bird        workspace %[7]s  Authorization: AccessKey %[8]s
  SuperOffice Basic %[14]s:%[15]s  or  Authorization: SOTicket %[16]s  or  Bearer %[17]s
  Shipping    Authorization: Bearer %[9]s  (read-only: %[10]s)
  Arkyn       email %[11]s  password %[12]s  traffic source %[13]s
  Events in   Authorization: Bearer %[18]s  (Voucherify deliveries are signed with %[19]s)

Try it:
  curl -s %[1]s/admin/v1/accounts/%[3]s -H 'Authorization: Bearer %[2]s'
  curl -s %[1]s/management/v1/projects/%[4]s/webhooks -H 'X-Management-Id: %[5]s' -H 'X-Management-Token: %[6]s' -H 'Content-Type: application/json' -d '{"target_url":"https://example.com/hooks","events":["voucher.created"]}'
  curl -s %[1]s/workspaces/%[7]s/webhook-subscriptions -H 'Authorization: AccessKey %[8]s' -H 'Content-Type: application/json' -d '{"service":"channels","event":"sms.outbound","url":"https://example.com/hooks"}'
  curl -s %[1]s/api/v1/Webhook -u '%[14]s:%[15]s' -H 'Content-Type: application/json' -d '{"Name":"orders","Events":["sale.changed"],"TargetUrl":"https://example.com/hooks"}'
  curl -s %[1]s/v1/webhook-subscriptions -H 'Authorization: Bearer %[9]s' -H 'Content-Type: application/json' -d '{"name":"parcels","url":"https://example.com/hooks","events":["tracking_parcel.status_changed"]}'
  TOKEN=$(curl -s %[1]s/user/auth -H 'Content-Type: application/json' -d '{"email":"%[11]s","password":"%[12]s"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
  curl -s %[1]s/ingest/v1/events -H 'Authorization: Bearer %[18]s' -H 'Content-Type: application/json' -d '{"type":"voucher.created","data":{"code":"SPRING"}}'
  curl -s -X PUT %[1]s/webhooks/%[13]s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"discordChannelId":"987654321098765432"}'

`, base, adminToken, a.Id, a.Voucherify.ProjectId, a.Voucherify.ManagementId, a.Voucherify.ManagementToken, a.Bird.WorkspaceId, a.Bird.AccessKey,
		a.Shipping.ApiKey, a.Shipping.ReadOnlyApiKey, a.Arkyn.Email, a.Arkyn.Password, a.Arkyn.TrafficSourceId,
		a.Superoffice.Username, a.Superoffice.Password, a.Superoffice.Ticket, a.Superoffice.BearerToken,
		a.Ingest.Key, a.Voucherify.WebhookSecret)
	return nil
}

// deliveryEngine configures the delivery engine from the environment.
func deliveryEngine(conn *sql.DB, databaseURL string, log *slog.Logger, allowed []netip.Prefix) (*delivery.Engine, error) {
	var err error
	scale := 1.0
	if v := os.Getenv("WEBHOOKS_RETRY_SCALE"); v != "" {
		if scale, err = strconv.ParseFloat(v, 64); err != nil || scale <= 0 {
			return nil, fmt.Errorf("WEBHOOKS_RETRY_SCALE=%q: want a positive number", v)
		}
	}
	cfg := delivery.Config{
		WorkerID:        os.Getenv("WEBHOOKS_WORKER_ID"),
		Concurrency:     envInt("WEBHOOKS_DELIVERY_CONCURRENCY", 0),
		Batch:           envInt("WEBHOOKS_DELIVERY_BATCH", 0),
		PerTarget:       envInt("WEBHOOKS_DELIVERY_PER_TARGET", 0),
		PerAccount:      envInt("WEBHOOKS_DELIVERY_PER_ACCOUNT", 0),
		BreakAfter:      envInt("WEBHOOKS_DELIVERY_BREAK_AFTER", 0),
		ListenDSN:       databaseURL,
		ScheduleScale:   scale,
		Transport:       delivery.NewTransport(allowed, nil),
		DiscordBaseURL:  os.Getenv("WEBHOOKS_DISCORD_BASE_URL"),
		DiscordBotToken: os.Getenv("WEBHOOKS_DISCORD_BOT_TOKEN"),
		Logger:          log,
	}
	for name, d := range map[string]*time.Duration{"WEBHOOKS_DELIVERY_POLL": &cfg.PollInterval, "WEBHOOKS_DELIVERY_LEASE": &cfg.Lease, "WEBHOOKS_DELIVERY_TIMEOUT": &cfg.AttemptTimeout, "WEBHOOKS_DELIVERY_BREAK_FOR": &cfg.BreakFor} {
		if v := os.Getenv(name); v != "" {
			if *d, err = time.ParseDuration(v); err != nil {
				return nil, fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	}
	return delivery.New(conn, cfg), nil
}
