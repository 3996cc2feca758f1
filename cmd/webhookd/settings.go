package main

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/webhookd/webhookd/handlers/shipping"
	"github.com/webhookd/webhookd/internal/dbconn"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/delivery/arkyn"
	"github.com/webhookd/webhookd/internal/egress"
	"github.com/webhookd/webhookd/internal/retention"
)

// ErrSetting marks a start-up failure caused by a setting's value.
var ErrSetting = errors.New("bad setting")

// Settings are every setting of the service, one field per environment variable (the env tag);
// README.md's configuration table lists the same variables. parseSettings fills each one,
// with its documented default when the variable is unset.
type Settings struct {
	Port             int    `env:"PORT"`
	DatabaseURL      string `env:"DATABASE_URL"` // empty: the private cluster
	DatabaseMaxConns int    `env:"DATABASE_MAX_CONNS"`
	AdminToken       string `env:"WEBHOOKS_ADMIN_TOKEN"` // empty: generated and kept in DataDir
	DataDir          string `env:"WEBHOOKS_DATA_DIR"`
	Inspector        bool   `env:"WEBHOOKS_INSPECTOR"`
	StopWithParent   bool   `env:"WEBHOOKS_STOP_WITH_PARENT"`
	PGBinDir         string `env:"PG_BINDIR"` // empty: pgcluster looks for the newest
	Role             Role   `env:"WEBHOOKS_ROLE"`

	AllowedTargets []netip.Prefix `env:"WEBHOOKS_ALLOWED_TARGETS"`
	RetryScale     float64        `env:"WEBHOOKS_RETRY_SCALE"`
	Concurrency    int            `env:"WEBHOOKS_DELIVERY_CONCURRENCY"`
	Batch          int            `env:"WEBHOOKS_DELIVERY_BATCH"`
	PerTarget      int            `env:"WEBHOOKS_DELIVERY_PER_TARGET"`
	PerAccount     int            `env:"WEBHOOKS_DELIVERY_PER_ACCOUNT"`
	BreakAfter     int            `env:"WEBHOOKS_DELIVERY_BREAK_AFTER"`
	BreakFor       time.Duration  `env:"WEBHOOKS_DELIVERY_BREAK_FOR"`
	Poll           time.Duration  `env:"WEBHOOKS_DELIVERY_POLL"`
	Lease          time.Duration  `env:"WEBHOOKS_DELIVERY_LEASE"`
	AttemptTimeout time.Duration  `env:"WEBHOOKS_DELIVERY_TIMEOUT"`
	WorkerID       string         `env:"WEBHOOKS_WORKER_ID"`

	Retention time.Duration `env:"WEBHOOKS_RETENTION"` // how long events, deliveries and attempts are kept

	DiscordBaseURL    string             `env:"WEBHOOKS_DISCORD_BASE_URL"`
	DiscordBotToken   string             `env:"WEBHOOKS_DISCORD_BOT_TOKEN"`
	ShippingRateLimit shipping.RateLimit `env:"WEBHOOKS_SHIPPING_RATE_LIMIT"`

	ReadHeaderTimeout time.Duration `env:"WEBHOOKS_READ_HEADER_TIMEOUT"`
	ShutdownGrace     time.Duration `env:"WEBHOOKS_SHUTDOWN_GRACE"`
	PprofAddr         string        `env:"WEBHOOKS_PPROF_ADDR"` // empty: no profiles
}

// parseSettings reads and checks every setting before anything starts, so that a bad value
// stops the service with one line naming it; nothing falls back to a default silently.
// Secrets are never repeated in the message.
func parseSettings(getenv func(string) string) (Settings, error) {
	r := &reader{getenv: getenv}
	d := delivery.DefaultConfig()
	s := Settings{
		Port:             r.integer("PORT", 8080, 1, math.MaxUint16),
		DatabaseURL:      r.databaseURL("DATABASE_URL"),
		DatabaseMaxConns: r.integer("DATABASE_MAX_CONNS", 20, 1, math.MaxInt32),
		AdminToken:       r.token("WEBHOOKS_ADMIN_TOKEN"),
		DataDir:          r.dataDir("WEBHOOKS_DATA_DIR", ".data"),
		StopWithParent:   r.choice("WEBHOOKS_STOP_WITH_PARENT", "0", "1", "0") == "1",
		PGBinDir:         r.binDir("PG_BINDIR"),
		Role:             Role(r.choice("WEBHOOKS_ROLE", string(RoleAll), string(RoleAPI), string(RoleWorker), string(RoleAll))),

		AllowedTargets: r.prefixes("WEBHOOKS_ALLOWED_TARGETS"),
		RetryScale:     r.scale("WEBHOOKS_RETRY_SCALE", d.ScheduleScale),
		Concurrency:    r.integer("WEBHOOKS_DELIVERY_CONCURRENCY", d.Concurrency, 1, math.MaxInt32),
		Batch:          r.integer("WEBHOOKS_DELIVERY_BATCH", d.Batch, 1, math.MaxInt32),
		PerTarget:      r.integer("WEBHOOKS_DELIVERY_PER_TARGET", d.PerTarget, 1, math.MaxInt32),
		BreakAfter:     r.integer("WEBHOOKS_DELIVERY_BREAK_AFTER", d.BreakAfter, 1, math.MaxInt32),
		BreakFor:       r.duration("WEBHOOKS_DELIVERY_BREAK_FOR", d.BreakFor),
		Poll:           r.duration("WEBHOOKS_DELIVERY_POLL", d.PollInterval),
		AttemptTimeout: r.duration("WEBHOOKS_DELIVERY_TIMEOUT", d.AttemptTimeout),
		WorkerID:       r.text("WEBHOOKS_WORKER_ID", d.WorkerID),

		Retention: r.duration("WEBHOOKS_RETENTION", retention.DefaultRetention),

		DiscordBaseURL:  r.baseURL("WEBHOOKS_DISCORD_BASE_URL", arkyn.DefaultDiscordBaseURL),
		DiscordBotToken: r.token("WEBHOOKS_DISCORD_BOT_TOKEN"),

		ReadHeaderTimeout: r.duration("WEBHOOKS_READ_HEADER_TIMEOUT", readHeaderTimeout),
		ShutdownGrace:     r.duration("WEBHOOKS_SHUTDOWN_GRACE", shutdownGrace),
		PprofAddr:         r.profilingAddr("WEBHOOKS_PPROF_ADDR"),
	}
	// Defaults that follow other settings.
	// The inspector is on for a try-out, which `go tool task run` starts without an admin token.
	// A worker serves no API, so it has no inspector to receive deliveries at.
	inspector := "off"
	if s.AdminToken == "" && s.Role.servesAPI() {
		inspector = "on"
	}
	s.Inspector = r.choice("WEBHOOKS_INSPECTOR", inspector, "on", "off") == "on"
	if s.Inspector && !s.Role.servesAPI() {
		r.fail("WEBHOOKS_INSPECTOR", true, "off with WEBHOOKS_ROLE=worker, which serves only /healthz and /metrics")
	}
	s.PerAccount = r.integer("WEBHOOKS_DELIVERY_PER_ACCOUNT", delivery.DefaultPerAccount(s.Concurrency), 1, math.MaxInt32)
	s.Lease = r.duration("WEBHOOKS_DELIVERY_LEASE", delivery.DefaultLease(s.AttemptTimeout))
	if r.err == nil && s.Lease <= s.AttemptTimeout {
		r.fail("WEBHOOKS_DELIVERY_LEASE", true, fmt.Sprintf("a duration longer than WEBHOOKS_DELIVERY_TIMEOUT (%s), or the delivery is claimed again while its call runs", s.AttemptTimeout))
	}
	s.ShippingRateLimit = r.rateLimit("WEBHOOKS_SHIPPING_RATE_LIMIT")
	return s, r.err
}

// deliveryConfig is the engine's part of the settings.
func (s Settings) deliveryConfig() delivery.Config {
	return delivery.Config{
		WorkerID: s.WorkerID, Concurrency: s.Concurrency, Batch: s.Batch, PerTarget: s.PerTarget, PerAccount: s.PerAccount,
		BreakAfter: s.BreakAfter, BreakFor: s.BreakFor, PollInterval: s.Poll, Lease: s.Lease, AttemptTimeout: s.AttemptTimeout,
		ScheduleScale: s.RetryScale, DrainTimeout: delivery.DefaultDrainTimeout,
	}
}

// arkynSettings are Arkyn's format's part of the settings.
func (s Settings) arkynSettings() arkyn.Settings {
	return arkyn.Settings{DiscordBaseURL: s.DiscordBaseURL, BotToken: s.DiscordBotToken}
}

// reader reads variables and keeps the first bad one's message.
type reader struct {
	getenv func(string) string
	err    error
}

// value returns the variable's value; "" when it is unset or empty, which means its default.
func (r *reader) value(name string) string { return r.getenv(name) }

// fail records that name wants want; shown says whether its value may appear in the message.
func (r *reader) fail(name string, shown bool, want string) {
	if r.err != nil {
		return
	}
	if shown {
		r.err = fmt.Errorf("%w: %s=%q: want %s", ErrSetting, name, r.value(name), want)
	} else {
		r.err = fmt.Errorf("%w: %s: want %s", ErrSetting, name, want)
	}
}

func (r *reader) integer(name string, def, low, high int) int {
	v := r.value(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < low || n > high {
		want := fmt.Sprintf("an integer from %d to %d", low, high)
		if low == 1 && high == math.MaxInt32 {
			want = "a positive integer"
		}
		r.fail(name, true, want)
		return def
	}
	return n
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.value(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, true, "a positive Go duration, such as 500ms, 10s or 1m")
		return def
	}
	return d
}

func (r *reader) scale(name string, def float64) float64 {
	v := r.value(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		r.fail(name, true, "a positive number, such as 1 or 0.001")
		return def
	}
	return f
}

func (r *reader) choice(name, def string, allowed ...string) string {
	v := r.value(name)
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, true, strings.Join(allowed, " or "))
	return def
}

// text is free text without control characters (it is logged and stored).
func (r *reader) text(name, def string) string {
	v := r.value(name)
	if v == "" {
		return def
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		r.fail(name, true, "text without control characters")
	}
	return v
}

// token is a secret sent in an Authorization header, so it can hold no space or control
// character.
func (r *reader) token(name string) string {
	v := r.value(name)
	if strings.IndexFunc(v, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }) >= 0 {
		r.fail(name, false, "a token without spaces or control characters")
	}
	return v
}

// databaseURL is checked as the driver reads it, without connecting. Its parse errors may
// quote the password, so they are not shown.
func (r *reader) databaseURL(name string) string {
	v := r.value(name)
	if v == "" {
		return ""
	}
	if _, err := dbconn.NewConnector(v, dbconn.Defaults); err != nil {
		r.fail(name, false, "a PostgreSQL URL such as postgres://user:pass@host/db?sslmode=disable (with a valid statement_timeout, if any)")
	}
	return v
}

// dataDir may not exist yet, but may not be something other than a directory.
func (r *reader) dataDir(name, def string) string {
	v := r.value(name)
	if v == "" {
		return def
	}
	if fi, err := os.Stat(v); err == nil && !fi.IsDir() {
		r.fail(name, true, "a directory, or a path where one can be created")
	}
	return v
}

func (r *reader) binDir(name string) string {
	v := r.value(name)
	if v == "" {
		return ""
	}
	if fi, err := os.Stat(filepath.Join(v, "postgres")); err != nil || fi.IsDir() {
		r.fail(name, true, "the directory of PostgreSQL's initdb and postgres, such as /usr/lib/postgresql/17/bin")
	}
	return v
}

func (r *reader) prefixes(name string) []netip.Prefix {
	p, err := egress.ParsePrefixes(r.value(name))
	if err != nil {
		r.fail(name, true, "comma-separated CIDRs such as 10.0.0.0/8,fd00::/8 ("+err.Error()+")")
	}
	return p
}

// baseURL is an absolute http or https URL.
func (r *reader) baseURL(name, def string) string {
	v := r.value(name)
	if v == "" {
		return def
	}
	if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		r.fail(name, true, "an http or https URL without credentials, such as "+def)
	}
	return v
}

func (r *reader) rateLimit(name string) shipping.RateLimit {
	v := r.value(name)
	if v == "" {
		return shipping.DefaultRateLimit
	}
	l, err := shipping.ParseRateLimit(v)
	if err != nil {
		r.fail(name, true, "<requests>/<Go duration of 1s or more>, such as 100/1h")
	}
	return l
}

// profilingAddr is a loopback host:port: profiles show request internals, so they are never
// served to the network the API listens on.
func (r *reader) profilingAddr(name string) string {
	v := r.value(name)
	if v == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(v)
	ip, ipErr := netip.ParseAddr(host)
	if _, portErr := strconv.ParseUint(port, 10, 16); err != nil || ipErr != nil || portErr != nil || !ip.IsLoopback() {
		r.fail(name, true, "a loopback host:port, such as 127.0.0.1:6060")
	}
	return v
}
