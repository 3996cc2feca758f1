package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq"
)

// probe reads what could grow, from outside the service as an operator would.
type probe struct {
	db  *sql.DB
	svc *service
	// last is the receiver's call count and time at the previous sample.
	lastCalls int64
	lastAt    time.Time
}

func newProbe(databaseURL string, svc *service) (*probe, error) {
	conn, err := sql.Open("postgres", databaseURL)
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	return &probe{db: conn, svc: svc, lastAt: time.Now()}, nil
}

func (p *probe) Close() error { return p.db.Close() }

// sample is one row of the report.
type sample struct {
	at                  time.Time
	historyMiB, rssMiB  float64
	goroutines, conns   float64
	deliveriesPerSecond float64
	pending             float64
	p99ms               float64
	calls, faults       int
}

func (p *probe) sample(ctx context.Context, now time.Time, recv *receiver, l *load) (sample, error) {
	s := sample{at: now}
	// Every table of history's, attached or not: a slice detached and never dropped counts.
	var bytes int64
	if err := p.db.QueryRowContext(ctx, `SELECT coalesce(sum(pg_total_relation_size(oid)), 0) FROM pg_class
		WHERE relkind = 'r' AND relname ~ '^(events|deliveries|delivery_attempts)(_|$)'`).Scan(&bytes); err != nil {
		return s, fmt.Errorf("size of history: %w", err)
	}
	s.historyMiB = float64(bytes) / (1 << 20)
	if err := p.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE status = 'pending'`).Scan(&s.pending); err != nil {
		return s, err
	}
	// The probe's own connection is not the service's.
	if err := p.db.QueryRowContext(ctx, `SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = current_database()`).Scan(&s.conns); err != nil {
		return s, err
	}
	rss, err := residentMiB(p.svc.Cmd.Process.Pid)
	if err != nil {
		return s, err
	}
	s.rssMiB = rss
	if s.goroutines, err = p.goroutines(ctx); err != nil {
		return s, err
	}
	calls := recv.calls.Load()
	s.deliveriesPerSecond = float64(calls-p.lastCalls) / now.Sub(p.lastAt).Seconds()
	p.lastCalls, p.lastAt = calls, now
	p99, n, faults := l.take()
	s.p99ms, s.calls, s.faults = float64(p99)/float64(time.Millisecond), n, faults
	return s, nil
}

// residentMiB is a process's resident set, from /proc.
func residentMiB(pid int) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for process %d", pid)
}

// goroutines reads go_goroutines from the service's /metrics.
func (p *probe) goroutines(ctx context.Context) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.svc.Base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := p.svc.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			return strconv.ParseFloat(rest, 64)
		}
	}
	return 0, fmt.Errorf("/metrics has no go_goroutines")
}

// summary prints how the deliveries ended and how many are still pending.
func (p *probe) summary(ctx context.Context) error {
	rows, err := p.db.QueryContext(ctx, `SELECT status, count(*) FROM deliveries GROUP BY status ORDER BY status`)
	if err != nil {
		return err
	}
	defer rows.Close()
	fmt.Print("deliveries retained at the end:")
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return err
		}
		fmt.Printf(" %s %d", status, n)
	}
	fmt.Println()
	return rows.Err()
}
