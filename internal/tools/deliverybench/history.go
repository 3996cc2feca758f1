package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/dbconn"
	"github.com/webhookd/webhookd/internal/egress"
	"github.com/webhookd/webhookd/internal/pgcluster"
	"github.com/webhookd/webhookd/internal/pgtest"
	"github.com/webhookd/webhookd/internal/retention"
	"github.com/webhookd/webhookd/internal/tools/sqlfile"
)

// pastSlices are the slices of the default retention before the current one, oldest first:
// what a service as old as its retention keeps.
func pastSlices(now time.Time) []time.Time {
	w := retention.Width(retention.DefaultRetention)
	current := time.Unix(0, now.UnixNano()-now.UnixNano()%int64(w)).UTC() // the slices' grid
	var out []time.Time
	for from := current.Add(-retention.DefaultRetention).Add(w - 1).Truncate(time.Nanosecond); from.Before(current); from = from.Add(w) {
		out = append(out, time.Unix(0, from.UnixNano()-from.UnixNano()%int64(w)).UTC())
	}
	return out
}

// rates are the figures measured on an empty history and again beside a large one, each with
// what the database did per operation. serial is ingestion from one client: with nothing else
// running, its database time is the statements' own cost, which eight clients on two cores
// blur with waiting for a core.
type rates struct{ drain, single, serial, put profile }

// figures names the rates in the order they are printed, with their units.
var figures = []struct {
	name, unit string
	get        func(rates) profile
}{
	{"engine draining the backlog", "deliveries/s", func(r rates) profile { return r.drain }},
	{"ingestion, one per request", "events/s (8 clients)", func(r rates) profile { return r.single }},
	{"ingestion, one client", "events/s", func(r rates) profile { return r.serial }},
	{"Voucherify PUT", "requests/s", func(r rates) profile { return r.put }},
}

// medianBy is one measure's median over rounds: a round that the shared machine slowed (by two
// to five times, measured) moves a mean, not a median.
func medianBy(rounds []rates, get func(rates) profile, of func(profile) float64) float64 {
	v := make([]float64, len(rounds))
	for i, r := range rounds {
		v[i] = of(get(r))
	}
	return medianOf(v)
}

func medianOf(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// historyRounds is how many times each of the two aged databases is measured, alternately.
const historyRounds = 9

// historyPairs is how many pairs of short windows measure the drain, ingestion and the PUT once
// more.
const historyPairs = 15

// pairedDrain is the backlog of a new account that a paired window drains.
const pairedDrain = 3000

// paired measures op on the empty and on the full database in adjacent windows, pairs times,
// alternating which goes first. It returns each one's median rate and the median of the pairs'
// ratios (full ÷ empty): a pair's windows are seconds apart, so the shared machine's drift,
// which moves whole rounds by a quarter or more, falls on both of them.
func paired(pairs int, empty, full *historyDB, op func(*historyDB) (float64, error)) (e, f, ratio float64, err error) {
	var es, fs, ratios []float64
	for i := range pairs {
		order := []*historyDB{empty, full}
		if i%2 == 1 {
			order = []*historyDB{full, empty}
		}
		got := map[*historyDB]float64{}
		for _, h := range order {
			if got[h], err = op(h); err != nil {
				return 0, 0, 0, err
			}
		}
		es, fs, ratios = append(es, got[empty]), append(fs, got[full]), append(ratios, got[full]/got[empty])
	}
	return medianOf(es), medianOf(fs), medianOf(ratios), nil
}

// measurePairs measures the engine's drain, single-event ingestion (8 clients and one) and the
// Voucherify PUT on both aged databases in pairs of windows of a second or two, and prints the
// medians.
func measurePairs(ctx context.Context, empty, full *historyDB, log *slog.Logger) error {
	receiver := newReceiver(nil)
	defer receiver.Close()
	accounts := map[*historyDB]gen.AccountCreated{}
	for _, h := range []*historyDB{empty, full} {
		a, err := h.c.account(ctx, "paired", receiver.URL+"/paired")
		if err != nil {
			return err
		}
		accounts[h] = a
	}
	puts, drains := 0, 0
	ops := []struct {
		name, unit string
		op         func(h *historyDB) (float64, error)
	}{
		{fmt.Sprintf("engine draining %d", pairedDrain), "deliveries/s (a new account's backlog a window)", func(h *historyDB) (float64, error) {
			drains++
			a, err := h.c.account(ctx, fmt.Sprintf("drain-pair-%d", drains), receiver.URL+"/drain")
			if err != nil {
				return 0, err
			}
			if _, err := h.c.ingestBatches(ctx, a, pairedDrain, 1000); err != nil {
				return 0, err
			}
			return drainRate(ctx, h.conn, h.dsn, log, receiver, pairedDrain)
		}},
		{"ingestion, one per request", "events/s (8 clients, 1,000 a window)", func(h *historyDB) (float64, error) {
			return h.c.ingestSingly(ctx, accounts[h], 1000, 8)
		}},
		{"ingestion, one client", "events/s (300 a window)", func(h *historyDB) (float64, error) {
			return h.c.ingestSingly(ctx, accounts[h], 300, 1)
		}},
		{"Voucherify PUT", "requests/s (8 clients, 2 s windows)", func(h *historyDB) (float64, error) {
			puts++
			return h.c.putRate(ctx, fmt.Sprintf("put-pair-%d", puts), 100, 8, 2*time.Second)
		}},
	}
	fmt.Printf("\nmedians of %d pairs of adjacent windows (alternating which goes first):\n", historyPairs)
	fmt.Printf("%-30s %10s %10s %13s\n", "", "aged empty", "aged full", "full ÷ empty")
	for _, o := range ops {
		e, f, ratio, err := paired(historyPairs, empty, full, o.op)
		if err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
		fmt.Printf("%-30s %10.0f %10.0f %13.2f  %s\n", o.name, e, f, ratio, o.unit)
	}
	// Their deliveries are settled, so that they are no backlog of what follows.
	for _, h := range []*historyDB{empty, full} {
		if _, err := h.conn.ExecContext(ctx, `UPDATE deliveries SET status = 'succeeded' WHERE account_id = $1`, accounts[h].Id); err != nil {
			return err
		}
	}
	return nil
}

// historyDB is one database of the comparison with its own API in front of it.
type historyDB struct {
	conn *sql.DB
	dsn  string
	c    *client
	srv  *httptest.Server
}

func openHistoryDB(ctx context.Context, cluster *pgcluster.Cluster, name string, log *slog.Logger) (*historyDB, error) {
	if err := cluster.CreateDatabase(ctx, name); err != nil {
		return nil, err
	}
	return openBenchDB(ctx, cluster.URL(name), log)
}

// openBenchDB migrates the database dsn names, prepares its slices and serves the API on it.
func openBenchDB(ctx context.Context, dsn string, log *slog.Logger) (*historyDB, error) {
	h := &historyDB{dsn: dsn}
	conn, err := dbconn.Open(h.dsn, dbconn.Defaults)
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(20) // the service's default pool
	conn.SetMaxIdleConns(20)
	h.conn = conn
	if err := db.Migrate(ctx, conn); err != nil {
		return nil, err
	}
	// On Citus, the extension is created on the workers too.
	if _, err := conn.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		return nil, err
	}
	keeper, err := retention.New(conn, retention.Config{})
	if err != nil {
		return nil, err
	}
	if err := keeper.Prepare(ctx); err != nil {
		return nil, err
	}
	api, err := handlers.New(handlers.Config{DB: conn, AdminToken: adminToken, Logger: log, Egress: egress.Policy{Allowed: loopback}})
	if err != nil {
		return nil, err
	}
	h.srv = httptest.NewServer(api)
	h.c = &client{base: h.srv.URL, http: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	return h, nil
}

func (h *historyDB) Close() {
	h.srv.Close()
	h.conn.Close()
}

// runHistory measures the engine draining a backlog, single-event ingestion and the Voucherify
// PUT on a new database; then on two databases of the same cluster aged by the slices of a
// month-old service, one empty and one holding n settled deliveries (half as many events, one
// attempt each), measured in alternating rounds so that the shared machine's noise falls on
// both alike. The two aged databases differ only by that history: both are vacuumed and
// analysed once it is loaded, and neither served anything before. It prints the ratios, the
// database time per operation, and the claim's plan.
func runHistory(ctx context.Context, cluster *pgcluster.Cluster, log *slog.Logger, n, backlog int, d time.Duration) error {
	fmt.Printf("history: %d settled deliveries (%d events, %d attempts) in the slices of %s before the current one, %s wide\n",
		n, n/2, n, retention.DefaultRetention, retention.Width(retention.DefaultRetention))
	// A new database has only the current slice and two ahead; a service as old as its
	// retention has the past ones too, which every statement that cannot prune them plans and
	// locks. The slices and the rows in them are measured apart.
	newDB, err := openHistoryDB(ctx, cluster, "history_new", log)
	if err != nil {
		return err
	}
	fresh, err := measureHistoryRound(ctx, newDB, log, "new database", backlog, d, true)
	newDB.Close()
	if err != nil {
		return err
	}
	empty, err := openHistoryDB(ctx, cluster, "history_empty", log)
	if err != nil {
		return err
	}
	defer empty.Close()
	full, err := openHistoryDB(ctx, cluster, "history_full", log)
	if err != nil {
		return err
	}
	defer full.Close()
	for _, h := range []*historyDB{empty, full} {
		if err := historySlices(ctx, h.conn); err != nil {
			return err
		}
	}
	began := time.Now()
	// Loading runs statements far longer than the service's timeouts allow: a plain connection.
	loader, err := sql.Open("postgres", full.dsn)
	if err != nil {
		return err
	}
	defer loader.Close()
	if err := loadHistory(ctx, loader, full.c, n); err != nil {
		return fmt.Errorf("loading history: %w", err)
	}
	for _, h := range []*historyDB{empty, full} {
		if err := settle(ctx, h.dsn); err != nil {
			return err
		}
	}
	fmt.Printf("history loaded and analysed in %s\n\n", time.Since(began).Round(time.Second))

	var emptyRounds, fullRounds []rates
	for round := range historyRounds {
		last := round == historyRounds-1
		order := []bool{false, true}
		if round%2 == 1 {
			order = []bool{true, false}
		}
		for _, withHistory := range order {
			if withHistory {
				r, err := measureHistoryRound(ctx, full, log, fmt.Sprintf("aged, full (round %d)", round+1), backlog, d, last)
				if err != nil {
					return err
				}
				fullRounds = append(fullRounds, r)
				continue
			}
			r, err := measureHistoryRound(ctx, empty, log, fmt.Sprintf("aged, empty (round %d)", round+1), backlog, d, last)
			if err != nil {
				return err
			}
			emptyRounds = append(emptyRounds, r)
		}
	}
	// A round's two halves are adjacent: the median of the rounds' own ratios leaves out more of
	// the machine's drift than the ratio of the medians does.
	fmt.Printf("\nmedians of %d alternating rounds, a backlog of %d (the last column: the work itself, shared buffers read per operation):\n", historyRounds, backlog)
	fmt.Printf("%-28s %7s %10s %10s %13s %15s %11s %22s %22s\n", "", "new", "aged empty", "aged full", "full ÷ empty",
		"round's ratio", "aged ÷ new", "db ms/op empty → full", "buffers/op empty → full")
	for _, fig := range figures {
		rate := func(p profile) float64 { return p.rate }
		e, f := medianBy(emptyRounds, fig.get, rate), medianBy(fullRounds, fig.get, rate)
		ratios := make([]float64, len(fullRounds))
		for i := range fullRounds {
			ratios[i] = fig.get(fullRounds[i]).rate / fig.get(emptyRounds[i]).rate
		}
		fmt.Printf("%-28s %7.0f %10.0f %10.0f %13.2f %5.2f %4.2f–%.2f %11.2f %10.3f → %-9.3f %10.1f → %-9.1f %s\n",
			fig.name, fig.get(fresh).rate, e, f, f/e, medianOf(ratios), slices.Min(ratios), slices.Max(ratios), e/fig.get(fresh).rate,
			medianBy(emptyRounds, fig.get, func(p profile) float64 { return p.dbMs }), medianBy(fullRounds, fig.get, func(p profile) float64 { return p.dbMs }),
			medianBy(emptyRounds, fig.get, func(p profile) float64 { return p.buffers }), medianBy(fullRounds, fig.get, func(p profile) float64 { return p.buffers }),
			fig.unit)
	}
	if err := measurePairs(ctx, empty, full, log); err != nil {
		return err
	}
	return explainClaim(ctx, full.conn)
}

// measureHistoryRound measures the three rates on fresh accounts of h; detail prints where
// the database's time went.
func measureHistoryRound(ctx context.Context, h *historyDB, log *slog.Logger, round string, backlog int, d time.Duration, detail bool) (rates, error) {
	var r rates
	c, conn := h.c, h.conn
	drain := newReceiver(nil)
	defer drain.Close()
	a, err := c.account(ctx, "drain-"+round, drain.URL+"/hook")
	if err != nil {
		return r, err
	}
	if _, err := c.ingestBatches(ctx, a, backlog, 1000); err != nil {
		return r, err
	}
	if detail {
		fmt.Printf("%s:\n", round)
	}
	if r.drain, err = profiled(ctx, conn, "drain", detail, func() (float64, int, error) {
		rate, err := drainRate(ctx, conn, h.dsn, log, drain, backlog)
		return rate, backlog, err
	}); err != nil {
		return r, err
	}
	single, err := c.account(ctx, "single-"+round, drain.URL+"/single")
	if err != nil {
		return r, err
	}
	if r.single, err = profiled(ctx, conn, "single ingestion", detail, func() (float64, int, error) {
		rate, err := c.ingestSingly(ctx, single, 3000, 8)
		return rate, 3000, err
	}); err != nil {
		return r, err
	}
	if r.serial, err = profiled(ctx, conn, "single ingestion, one client", detail, func() (float64, int, error) {
		rate, err := c.ingestSingly(ctx, single, 1000, 1)
		return rate, 1000, err
	}); err != nil {
		return r, err
	}
	// Their deliveries are settled, so that they are no backlog of the next measurement.
	if _, err := conn.ExecContext(ctx, `UPDATE deliveries SET status = 'succeeded' WHERE account_id = $1`, single.Id); err != nil {
		return r, err
	}
	if r.put, err = profiled(ctx, conn, "Voucherify PUT", detail, func() (float64, int, error) {
		rate, err := c.putRate(ctx, "put-"+round, 100, 8, d)
		return rate, int(rate * d.Seconds()), err
	}); err != nil {
		return r, err
	}
	if !detail {
		fmt.Printf("%s: drain %.0f/s, ingestion %.0f/s (one client %.0f/s), PUT %.0f/s\n", round, r.drain.rate, r.single.rate, r.serial.rate, r.put.rate)
	}
	return r, nil
}

// putRate creates an account with hooks Voucherify webhooks and replaces them from workers
// clients for d; it returns requests per second.
func (c *client) putRate(ctx context.Context, name string, hooks, workers int, d time.Duration) (float64, error) {
	var a gen.AccountCreated
	if err := c.do(ctx, "/admin/v1/accounts", adminToken, map[string]any{"name": name}, http.StatusCreated, &a); err != nil {
		return 0, err
	}
	v := a.Voucherify
	path := "/management/v1/projects/" + v.ProjectId + "/webhooks"
	send := func(method, url, body string, want int, out any) error {
		req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("X-Management-Id", v.ManagementId)
		req.Header.Set("X-Management-Token", v.ManagementToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.http.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != want {
			return fmt.Errorf("%s %s: %d", method, url, resp.StatusCode)
		}
		if out != nil {
			return json.NewDecoder(resp.Body).Decode(out)
		}
		return nil
	}
	ids := make([]string, hooks)
	for i := range ids {
		var hook struct{ Id string }
		if err := send(http.MethodPost, c.base+path, `{"target_url":"https://example.com/a","events":["voucher.created"]}`, http.StatusOK, &hook); err != nil {
			return 0, err
		}
		ids[i] = hook.Id
	}
	var done atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for i := w; time.Now().Before(deadline); i += workers {
				body := `{"target_url":"https://example.com/b","events":["voucher.created","voucher.updated"]}`
				if err := send(http.MethodPut, c.base+path+"/"+ids[i%len(ids)], body, http.StatusOK, nil); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds(), firstErr
}

// historySlices replaces the empty catch-up slice by the slices of a retention before the
// current one, made as the service makes its slices.
func historySlices(ctx context.Context, conn *sql.DB) error {
	now, err := dbNow(ctx, conn)
	if err != nil {
		return err
	}
	slices, err := retention.List(ctx, conn)
	if err != nil {
		return err
	}
	for _, s := range slices {
		if !s.From.IsZero() {
			continue
		}
		for _, table := range retention.Tables { // the catch-up slice, empty in a new database
			if name, ok := s.Partitions[table]; ok {
				if _, err := conn.ExecContext(ctx, `DROP TABLE `+pq.QuoteIdentifier(name)); err != nil {
					return err
				}
			}
		}
	}
	w := retention.Width(retention.DefaultRetention)
	for _, from := range pastSlices(now) {
		if err := retention.CreateSlice(ctx, conn, from, from.Add(w)); err != nil {
			return err
		}
	}
	return nil
}

// loadHistory fills the slices before the current one with n settled deliveries of ten
// accounts, half as many events, each delivered to its account's two subscriptions with one
// attempt.
func loadHistory(ctx context.Context, conn *sql.DB, c *client, n int) error {
	now, err := dbNow(ctx, conn)
	if err != nil {
		return err
	}
	// Ten accounts, each with two subscriptions that every one of its events was delivered to.
	var accounts []string
	for i := range 10 {
		a, err := c.account(ctx, fmt.Sprintf("history-%d", i), "https://example.com/history")
		if err != nil {
			return err
		}
		if err := c.do(ctx, "/v1/webhook-subscriptions", a.Shipping.ApiKey,
			map[string]any{"name": "second", "url": "https://example.com/history2", "events": []string{"shipment.created"}}, http.StatusCreated, nil); err != nil {
			return err
		}
		accounts = append(accounts, a.Id.String())
	}
	past := pastSlices(now)
	w := retention.Width(retention.DefaultRetention)
	// Each slice in parts of at most 100,000 events, spread over the slice's width.
	perSlice := n / 2 / len(past)
	for _, from := range past {
		for done := 0; done < perSlice; {
			part := min(perSlice-done, 100_000)
			span := w.Seconds() * float64(part) / float64(perSlice)
			start := from.Add(time.Duration(float64(w) * float64(done) / float64(perSlice)))
			if _, err := conn.ExecContext(ctx, pgtest.SettledHistory, pq.Array(accounts), start, part, span-1); err != nil {
				return fmt.Errorf("slice from %s: %w", from, err)
			}
			done += part
		}
	}
	return nil
}

// settle vacuums and analyses the history's tables of the database dsn names, on a connection
// without the service's timeouts, and writes the dirty pages now rather than by a checkpoint
// during the measurement.
func settle(ctx context.Context, dsn string) error {
	conn, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, table := range retention.Tables {
		if _, err := conn.ExecContext(ctx, `VACUUM ANALYZE `+table); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, `CHECKPOINT`)
	return err
}

func dbNow(ctx context.Context, conn *sql.DB) (time.Time, error) {
	var now time.Time
	err := conn.QueryRowContext(ctx, `SELECT now()`).Scan(&now)
	return now.UTC(), err
}

// explainClaim prints the plan of the engine's claim with the history in place, executed and
// rolled back.
func explainClaim(ctx context.Context, conn *sql.DB) error {
	claim, err := sqlfile.Named("queries/delivery.sql", "ClaimDeliveryBatch")
	if err != nil {
		return err
	}
	// The claim is per account: one of the accounts whose deliveries fill the history.
	var account string
	if err := conn.QueryRowContext(ctx, `SELECT id FROM accounts WHERE name = 'history-0'`).Scan(&account); err != nil {
		return err
	}
	claim, err = sqlfile.Bind(claim, map[string]string{"lease_seconds": "60", "worker": "'deliverybench'",
		"account_id": pq.QuoteLiteral(account) + "::uuid", "cover_grid": "7.5",
		"full_subscriptions": "'{}'", "max_rows": "128"})
	if err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "+strings.TrimSuffix(claim, ";"))
	if err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	defer rows.Close()
	fmt.Println("\nthe claim statement with the history in place (EXPLAIN ANALYZE, rolled back):")
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		fmt.Println("  " + line)
	}
	return rows.Err()
}
