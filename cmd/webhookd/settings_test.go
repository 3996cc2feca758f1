package main

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/handlers/shipping"
)

// settingCase is one variable: what unset gives, values that parse to what, values refused.
type settingCase struct {
	name    string
	def     any // a func(any) bool checks a default that is not a constant
	valid   map[string]any
	invalid []string
	secret  bool // never repeated in an error
}

func settingCases(t *testing.T) []settingCase {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "postgres"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	prefixes := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, p := range s {
			out = append(out, netip.MustParsePrefix(p))
		}
		return out
	}
	return []settingCase{
		{"PORT", 8080, map[string]any{"1": 1, "65535": 65535}, []string{"http", "0", "-1", "65536", "80.5"}, false},
		{"DATABASE_URL", "", map[string]any{"postgres://u:p@db.internal/webhookd?sslmode=disable": "postgres://u:p@db.internal/webhookd?sslmode=disable",
			"host=db user=u dbname=webhookd": "host=db user=u dbname=webhookd"},
			[]string{"postgres://u:secret@db:port/webhookd", "postgres://u:secret@db/webhookd?statement_timeout=soon", "secret"}, true},
		{"DATABASE_MAX_CONNS", 20, map[string]any{"1": 1, "200": 200}, []string{"twenty", "0", "-3"}, false},
		{"WEBHOOKS_ADMIN_TOKEN", "", map[string]any{"adm_0123": "adm_0123"}, []string{"secret token", "secret\n", "\tsecret"}, true},
		{"WEBHOOKS_DATA_DIR", ".data", map[string]any{bin: bin, "/nonexistent/yet": "/nonexistent/yet"}, []string{file}, false},
		{"WEBHOOKS_INSPECTOR", true, map[string]any{"on": true, "off": false}, []string{"maybe", "1", "ON"}, false},
		{"WEBHOOKS_STOP_WITH_PARENT", false, map[string]any{"1": true, "0": false}, []string{"yes", "true", "2"}, false},
		{"PG_BINDIR", "", map[string]any{bin: bin}, []string{"/nonexistent", t.TempDir()}, false},
		{"WEBHOOKS_ROLE", RoleAll, map[string]any{"api": RoleAPI, "worker": RoleWorker, "all": RoleAll}, []string{"both", "API", " worker", "workers"}, false},
		{"WEBHOOKS_ALLOWED_TARGETS", []netip.Prefix(nil), map[string]any{"127.0.0.0/8": prefixes("127.0.0.0/8"),
			"10.1.2.3/8, fd00::/8": prefixes("10.0.0.0/8", "fd00::/8")}, []string{"127.0.0.1", "loopback", "10.0.0.0/8,x"}, false},
		{"WEBHOOKS_RETRY_SCALE", 1.0, map[string]any{"0.001": 0.001, "2": 2.0}, []string{"fast", "0", "-1", "NaN", "Inf"}, false},
		{"WEBHOOKS_DELIVERY_CONCURRENCY", 128, map[string]any{"8": 8}, []string{"many", "0", "-1"}, false},
		{"WEBHOOKS_DELIVERY_BATCH", 128, map[string]any{"1": 1, "500": 500}, []string{"abc", "0", "-1"}, false},
		{"WEBHOOKS_DELIVERY_PER_TARGET", 16, map[string]any{"4": 4}, []string{"abc", "0", "-1"}, false},
		{"WEBHOOKS_DELIVERY_PER_ACCOUNT", 96, map[string]any{"10": 10}, []string{"abc", "0", "-1"}, false},
		{"WEBHOOKS_DELIVERY_BREAK_AFTER", 5, map[string]any{"1": 1}, []string{"abc", "0", "-1"}, false},
		{"WEBHOOKS_DELIVERY_BREAK_FOR", 30 * time.Second, map[string]any{"1m": time.Minute}, []string{"30", "0s", "-1s", "soon"}, false},
		{"WEBHOOKS_DELIVERY_POLL", 500 * time.Millisecond, map[string]any{"20ms": 20 * time.Millisecond}, []string{"500", "0s", "-1ms"}, false},
		{"WEBHOOKS_DELIVERY_LEASE", time.Minute, map[string]any{"2m": 2 * time.Minute}, []string{"60", "0s", "-1m", "10s"}, false},
		{"WEBHOOKS_DELIVERY_TIMEOUT", 10 * time.Second, map[string]any{"1500ms": 1500 * time.Millisecond}, []string{"10", "0s", "-1s"}, false},
		{"WEBHOOKS_RETENTION", 720 * time.Hour, map[string]any{"5m": 5 * time.Minute, "2160h": 2160 * time.Hour}, []string{"30d", "0s", "-1h", "720"}, false},
		{"WEBHOOKS_WORKER_ID", func(v any) bool { return v.(string) != "" }, map[string]any{"one": "one", "host a:1": "host a:1"}, []string{"bad\nid"}, false},
		{"WEBHOOKS_DISCORD_BASE_URL", "https://discord.com/api/v10", map[string]any{"http://127.0.0.1:9/api": "http://127.0.0.1:9/api"},
			[]string{"discord.com/api", "ftp://discord.com", "https://u:p@discord.com", "https://"}, false},
		{"WEBHOOKS_DISCORD_BOT_TOKEN", "", map[string]any{"MTA.x-y_z": "MTA.x-y_z"}, []string{"secret token", "secret\r\n"}, true},
		{"WEBHOOKS_SHIPPING_RATE_LIMIT", shipping.DefaultRateLimit, map[string]any{"3/1h": shipping.RateLimit{Requests: 3, Window: time.Hour}},
			[]string{"lots", "0/1h", "10/1ms", "10/"}, false},
		{"WEBHOOKS_READ_HEADER_TIMEOUT", readHeaderTimeout, map[string]any{"1s": time.Second}, []string{"10", "0s", "-1s"}, false},
		{"WEBHOOKS_SHUTDOWN_GRACE", shutdownGrace, map[string]any{"1s": time.Second}, []string{"20", "0s", "-1s"}, false},
		{"WEBHOOKS_PPROF_ADDR", "", map[string]any{"127.0.0.1:6060": "127.0.0.1:6060", "[::1]:6060": "[::1]:6060"},
			[]string{"0.0.0.0:6060", ":6060", "localhost:6060", "127.0.0.1", "127.0.0.1:99999", "10.0.0.1:6060"}, false},
	}
}

// field is the Settings field of an environment variable.
func field(s Settings, name string) any {
	v, typ := reflect.ValueOf(s), reflect.TypeFor[Settings]()
	for i := range typ.NumField() {
		if typ.Field(i).Tag.Get("env") == name {
			return v.Field(i).Interface()
		}
	}
	panic("no setting " + name)
}

// envNames are the variables the Settings fields are read from.
func envNames() []string {
	var names []string
	typ := reflect.TypeFor[Settings]()
	for i := range typ.NumField() {
		names = append(names, typ.Field(i).Tag.Get("env"))
	}
	return names
}

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestEverySettingHasItsDefaultAndRefusesBadValues(t *testing.T) {
	t.Parallel()
	cases := settingCases(t)
	var covered []string
	for _, c := range cases {
		covered = append(covered, c.name)
		t.Run(c.name, func(t *testing.T) {
			s, err := parseSettings(env(nil))
			if err != nil {
				t.Fatalf("nothing set: %v", err)
			}
			got := field(s, c.name)
			if check, ok := c.def.(func(any) bool); ok && !check(got) || !ok && !reflect.DeepEqual(got, c.def) {
				t.Errorf("unset: %#v, want %#v", got, c.def)
			}
			for value, want := range c.valid {
				s, err := parseSettings(env(map[string]string{c.name: value}))
				if got := field(s, c.name); err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("%s=%q: %#v, %v; want %#v", c.name, value, got, err, want)
				}
			}
			for _, value := range c.invalid {
				_, err := parseSettings(env(map[string]string{c.name: value}))
				if err == nil {
					t.Errorf("%s=%q accepted", c.name, value)
					continue
				}
				msg := err.Error()
				if !errors.Is(err, ErrSetting) || !strings.Contains(msg, c.name) || !strings.Contains(msg, "want ") || strings.ContainsAny(msg, "\r\n") {
					t.Errorf("%s=%q: %q; want one line naming %s and what it wants", c.name, value, msg, c.name)
				}
				if c.secret && strings.Contains(msg, "secret") {
					t.Errorf("%s=%q: the error repeats the secret: %q", c.name, value, msg)
				}
			}
		})
	}
	slices.Sort(covered)
	names := envNames()
	slices.Sort(names)
	if !slices.Equal(covered, names) {
		t.Errorf("cases cover %v\nsettings are %v", covered, names)
	}
}

func TestDefaultsThatFollowOtherSettings(t *testing.T) {
	t.Parallel()
	s, err := parseSettings(env(map[string]string{"WEBHOOKS_ADMIN_TOKEN": "adm", "WEBHOOKS_DELIVERY_CONCURRENCY": "8", "WEBHOOKS_DELIVERY_TIMEOUT": "2m"}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Inspector || s.PerAccount != 6 || s.Lease != 4*time.Minute {
		t.Errorf("inspector %v, per account %d, lease %s; want off with an admin token, ¾ of 8, twice the timeout", s.Inspector, s.PerAccount, s.Lease)
	}
	s, err = parseSettings(env(map[string]string{"WEBHOOKS_ADMIN_TOKEN": "adm", "WEBHOOKS_INSPECTOR": "on"}))
	if err != nil || !s.Inspector {
		t.Errorf("WEBHOOKS_INSPECTOR=on with an admin token: %v, %v", s.Inspector, err)
	}
	// A worker has no inspector to turn on.
	s, err = parseSettings(env(map[string]string{"WEBHOOKS_ROLE": "worker"}))
	if err != nil || s.Inspector {
		t.Errorf("WEBHOOKS_ROLE=worker without an admin token: inspector %v, %v; want off", s.Inspector, err)
	}
	_, err = parseSettings(env(map[string]string{"WEBHOOKS_ROLE": "worker", "WEBHOOKS_INSPECTOR": "on"}))
	if err == nil || !strings.Contains(err.Error(), "WEBHOOKS_INSPECTOR") || !strings.Contains(err.Error(), "WEBHOOKS_ROLE=worker") {
		t.Errorf("WEBHOOKS_INSPECTOR=on with WEBHOOKS_ROLE=worker: %v; want it refused", err)
	}
	if s, err := parseSettings(env(map[string]string{"WEBHOOKS_ROLE": "api"})); err != nil || !s.Inspector {
		t.Errorf("WEBHOOKS_ROLE=api without an admin token: inspector %v, %v; want on, as with all", s.Inspector, err)
	}
	for _, lease := range []string{"10s", "5s"} {
		_, err := parseSettings(env(map[string]string{"WEBHOOKS_DELIVERY_LEASE": lease}))
		if err == nil || !strings.Contains(err.Error(), "WEBHOOKS_DELIVERY_LEASE") {
			t.Errorf("a lease of %s with the default 10s timeout: %v; want it refused", lease, err)
		}
	}
}

func TestTheEngineGetsItsSettings(t *testing.T) {
	t.Parallel()
	s, err := parseSettings(env(map[string]string{"WEBHOOKS_DELIVERY_BATCH": "7", "WEBHOOKS_RETRY_SCALE": "0.5", "WEBHOOKS_WORKER_ID": "w1",
		"WEBHOOKS_DISCORD_BASE_URL": "https://discord.test/api", "WEBHOOKS_DISCORD_BOT_TOKEN": "tok"}))
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.deliveryConfig()
	if cfg.Batch != 7 || cfg.ScheduleScale != 0.5 || cfg.WorkerID != "w1" || cfg.Concurrency != 128 || cfg.Lease != time.Minute || cfg.PollInterval != 500*time.Millisecond {
		t.Errorf("delivery config %+v", cfg)
	}
	if a := s.arkynSettings(); a.DiscordBaseURL != "https://discord.test/api" || a.BotToken != "tok" {
		t.Errorf("arkyn settings %+v", a)
	}
}

// README.md's configuration table documents exactly the variables Settings reads.
func TestTheREADMEListsEverySetting(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Configuration\n")
	if !ok {
		t.Fatal("README.md has no Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	name := regexp.MustCompile("`([A-Z][A-Z0-9_]*)`")
	var documented []string
	for line := range strings.SplitSeq(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.HasPrefix(line, "|") {
			continue
		}
		for _, m := range name.FindAllStringSubmatch(cells[1], -1) {
			documented = append(documented, m[1])
		}
	}
	slices.Sort(documented)
	names := envNames()
	slices.Sort(names)
	if !slices.Equal(documented, names) {
		t.Errorf("README.md's table lists %v\nSettings reads %v", documented, names)
	}
}
