// Command apibench measures the update API against the physical limit of its database, in one
// run on one private PostgreSQL cluster, all at the same concurrency: pgbench's prepared
// single-row UPDATE by primary key; pgbench running the very statements Voucherify's PUT and
// GET run; a bare Go HTTP server under the same PUTs; then those PUTs and GETs through the real
// webhookd binary, driven by vegeta. It
// prints requests per second, latency percentiles and the ratios to pgbench. The machine is
// shared and noisy: only the ratios compare between runs.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/webhookd/webhookd/internal/pgcluster"
	"github.com/webhookd/webhookd/internal/tools/process"
)

func main() {
	binary := flag.String("binary", "bin/webhookd", "the webhookd binary to measure")
	connections := flag.Int("c", 8, "concurrency: pgbench clients, vegeta workers and the service's pool size")
	duration := flag.Duration("d", 10*time.Second, "how long each measurement runs")
	durable := flag.Bool("durable", false, "run PostgreSQL with fsync on, as in production: commits then wait for the disk")
	flag.Parse()
	if err := run(*binary, *connections, *duration, *durable); err != nil {
		fmt.Fprintln(os.Stderr, "apibench:", err)
		os.Exit(1)
	}
}

func run(binary string, connections int, duration time.Duration, durable bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// fsync off by default, as in the tests: the figures then measure round trips and CPU, not
	// the disk.
	cluster, stop, err := pgcluster.StartScratchWith(ctx, "apibench", pgcluster.Options{Ephemeral: !durable, BinDir: os.Getenv("PG_BINDIR")})
	if err != nil {
		return err
	}
	defer stop()
	dir, err := os.MkdirTemp("", "webhookd-apibench-files-") // vegeta's targets and the service's log
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := cluster.CreateDatabase(ctx, "bench"); err != nil {
		return err
	}
	fsync := "off"
	if durable {
		fsync = "on"
	}
	fmt.Printf("one PostgreSQL cluster (fsync %s), %d connections, %s per measurement\n\n", fsync, connections, duration)

	limit, err := pgbench(ctx, cluster.URL("bench"), connections, duration)
	if err != nil {
		return fmt.Errorf("pgbench: %w", err)
	}
	fmt.Printf("%-34s %9.0f/s  latency avg %.2f ms\n", "pgbench UPDATE … WHERE pk", limit.rate, limit.avgMs)

	service, err := startService(ctx, binary, cluster.URL("bench"), connections, dir)
	if err != nil {
		return err
	}
	defer service.stop()
	fx, err := service.voucherifyFixture(ctx, 100)
	if err != nil {
		return err
	}
	targets := fx.targets
	own := map[string]pgbenchResult{}
	for _, method := range []string{http.MethodPut, http.MethodGet} {
		r, err := pgbenchStatement(ctx, cluster.URL("bench"), method, fx, connections, duration)
		if err != nil {
			return fmt.Errorf("pgbench, the %s's statement: %w", method, err)
		}
		own[method] = r
		fmt.Printf("%-34s %9.0f/s  latency avg %.2f ms  ratio to pgbench %.0f%%\n", "pgbench, the "+method+"'s own statement", r.rate, r.avgMs, 100*r.rate/limit.rate)
	}
	bareBase, stopBare, err := startBare()
	if err != nil {
		return err
	}
	bare, err := attack(ctx, filepath.Join(dir, "targets-bare"), strings.ReplaceAll(targets[http.MethodPut], service.Base, bareBase), connections, 0, duration)
	stopBare()
	if err != nil {
		return fmt.Errorf("bare HTTP: %w", err)
	}
	fmt.Printf("%-34s %9.0f/s  p50 %.2f ms  p99 %.2f ms\n", "bare Go HTTP server, same PUTs", bare.Throughput, ms(bare.Latencies.P50), ms(bare.Latencies.P99))
	fmt.Println()

	var put attackResult
	for _, m := range []struct {
		name, method string
		rate         float64
	}{
		{"Voucherify PUT", http.MethodPut, 0},
		{"Voucherify GET", http.MethodGet, 0},
		{"Voucherify PUT at half that rate", http.MethodPut, -0.5},
	} {
		rate := m.rate
		if rate < 0 {
			rate = -rate * put.Throughput
		}
		r, err := attack(ctx, filepath.Join(dir, "targets-"+m.method), targets[m.method], connections, rate, duration)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		if m.method == http.MethodPut && m.rate == 0 {
			put = r
		}
		// HTTP and the statement share the CPUs: their costs per request add up.
		ceiling := 1 / (1/bare.Throughput + 1/own[m.method].rate)
		fmt.Printf("%-34s %9.0f/s  p50 %.2f ms  p99 %.2f ms  success %.1f%%\n", m.name, r.Throughput, ms(r.Latencies.P50), ms(r.Latencies.P99), 100*r.Success)
		fmt.Printf("%-34s ratio to pgbench %.0f%%, to its own statement %.0f%%, to bare HTTP plus its statement (%.0f/s) %.0f%%\n",
			"", 100*r.Throughput/limit.rate, 100*r.Throughput/own[m.method].rate, ceiling, 100*r.Throughput/ceiling)
	}
	return nil
}

type pgbenchResult struct{ rate, avgMs float64 }

var (
	tpsLine     = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	latencyLine = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
)

// pgbench runs the standard single-row UPDATE by primary key, prepared, on pgbench's own table.
func pgbench(ctx context.Context, url string, connections int, duration time.Duration) (pgbenchResult, error) {
	bin := filepath.Join(pgcluster.BinDir(os.Getenv("PG_BINDIR")), "pgbench")
	if out, err := exec.CommandContext(ctx, bin, "-i", "-q", "-s", "1", url).CombinedOutput(); err != nil {
		return pgbenchResult{}, fmt.Errorf("init: %v: %s", err, out)
	}
	script := filepath.Join(os.TempDir(), fmt.Sprintf("apibench-%d.sql", os.Getpid()))
	if err := os.WriteFile(script, []byte("\\set aid random(1, 100000)\nUPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n"), 0o644); err != nil {
		return pgbenchResult{}, err
	}
	defer os.Remove(script)
	return runPgbench(ctx, url, connections, duration, "-f", script)
}

// runPgbench runs pgbench's prepared mode at the given concurrency for duration with the
// given scripts and variables, and reads the rate and average latency from its report.
func runPgbench(ctx context.Context, url string, connections int, duration time.Duration, scripts ...string) (pgbenchResult, error) {
	args := append([]string{"-n", "-M", "prepared", "-c", strconv.Itoa(connections), "-j", strconv.Itoa(min(connections, 2)),
		"-T", strconv.Itoa(int(duration.Seconds()))}, scripts...)
	out, err := exec.CommandContext(ctx, filepath.Join(pgcluster.BinDir(os.Getenv("PG_BINDIR")), "pgbench"), append(args, url)...).CombinedOutput()
	if err != nil {
		return pgbenchResult{}, fmt.Errorf("%v: %s", err, out)
	}
	tps, lat := tpsLine.FindSubmatch(out), latencyLine.FindSubmatch(out)
	if tps == nil || lat == nil {
		return pgbenchResult{}, fmt.Errorf("unexpected output: %s", out)
	}
	rate, _ := strconv.ParseFloat(string(tps[1]), 64)
	avg, _ := strconv.ParseFloat(string(lat[1]), 64)
	return pgbenchResult{rate: rate, avgMs: avg}, nil
}

// service is the webhookd under measurement, with its admin token.
type service struct {
	*process.Service
	token string
}

func startService(ctx context.Context, binary, databaseURL string, connections int, dir string) (*service, error) {
	logFile, err := os.Create(filepath.Join(dir, "webhookd.log"))
	if err != nil {
		return nil, err
	}
	s := &service{token: "apibench-admin-token"}
	s.Service, err = process.Start(ctx, binary, []string{"DATABASE_URL=" + databaseURL,
		"WEBHOOKS_ADMIN_TOKEN=" + s.token, "DATABASE_MAX_CONNS=" + strconv.Itoa(connections)}, logFile)
	return s, err
}

func (s *service) stop() { s.Stop() }

// fixture is the account and webhooks the service is measured on.
type fixture struct {
	accountID, projectID string
	hookIDs              []string
	// targets are vegeta's, by method (HTTP format).
	targets map[string]string
}

// voucherifyFixture creates an account and n webhooks, and vegeta targets that spread PUTs and
// GETs over them, as many clients of many webhooks would.
func (s *service) voucherifyFixture(ctx context.Context, n int) (fixture, error) {
	var account struct {
		Id         string
		Voucherify struct{ ProjectId, ManagementId, ManagementToken string }
	}
	if err := s.Call(ctx, http.MethodPost, "/admin/v1/accounts", http.Header{"Authorization": {"Bearer " + s.token}},
		`{"name":"bench","features":{"managementApi":true}}`, &account); err != nil {
		return fixture{}, err
	}
	v := account.Voucherify
	auth := http.Header{"X-Management-Id": {v.ManagementId}, "X-Management-Token": {v.ManagementToken}}
	path := "/management/v1/projects/" + v.ProjectId + "/webhooks"
	fx := fixture{accountID: account.Id, projectID: v.ProjectId}
	var put, get strings.Builder
	for range n {
		var hook struct{ Id string }
		if err := s.Call(ctx, http.MethodPost, path, auth, `{"target_url":"https://example.com/hooks/a","events":["voucher.created"]}`, &hook); err != nil {
			return fixture{}, err
		}
		fx.hookIDs = append(fx.hookIDs, hook.Id)
		fmt.Fprintf(&put, "PUT %s%s/%s\nX-Management-Id: %s\nX-Management-Token: %s\nContent-Type: application/json\n@BODY\n\n",
			s.Base, path, hook.Id, v.ManagementId, v.ManagementToken)
		fmt.Fprintf(&get, "GET %s%s/%s\nX-Management-Id: %s\nX-Management-Token: %s\n\n", s.Base, path, hook.Id, v.ManagementId, v.ManagementToken)
	}
	fx.targets = map[string]string{http.MethodPut: put.String(), http.MethodGet: get.String()}
	return fx, nil
}

// attackResult is the part of `vegeta report -type=json` that is printed.
type attackResult struct {
	Throughput float64 `json:"throughput"`
	Success    float64 `json:"success"`
	Latencies  struct {
		P50 int64 `json:"50th"`
		P99 int64 `json:"99th"`
	} `json:"latencies"`
}

// attack runs vegeta (pinned in go.mod as a tool) as its own process: at the highest rate the
// workers sustain when rate is 0, or at a fixed rate.
func attack(ctx context.Context, file, targets string, workers int, rate float64, duration time.Duration) (attackResult, error) {
	body := file + ".body"
	if err := os.WriteFile(body, []byte(`{"target_url":"https://example.com/hooks/b","events":["voucher.created","voucher.updated"]}`), 0o644); err != nil {
		return attackResult{}, err
	}
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(targets, "@BODY", "@"+body)), 0o644); err != nil {
		return attackResult{}, err
	}
	args := []string{"tool", "vegeta", "attack", "-targets", file, "-duration", duration.String(), "-keepalive", "-timeout", "10s"}
	if rate == 0 {
		args = append(args, "-rate", "0", "-workers", strconv.Itoa(workers), "-max-workers", strconv.Itoa(workers))
	} else {
		args = append(args, "-rate", fmt.Sprintf("%.0f/1s", rate), "-workers", strconv.Itoa(workers))
	}
	attackCmd := exec.CommandContext(ctx, "go", args...)
	results, err := attackCmd.Output()
	if err != nil {
		return attackResult{}, fmt.Errorf("vegeta attack: %w", err)
	}
	report := exec.CommandContext(ctx, "go", "tool", "vegeta", "report", "-type", "json")
	report.Stdin = bytes.NewReader(results)
	out, err := report.Output()
	if err != nil {
		return attackResult{}, fmt.Errorf("vegeta report: %w", err)
	}
	var r attackResult
	return r, json.Unmarshal(out, &r)
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }
