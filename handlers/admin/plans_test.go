package admin_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/dbconn"
	"github.com/webhookd/webhookd/internal/pgtest"
	"github.com/webhookd/webhookd/internal/retention"
	"github.com/webhookd/webhookd/internal/tools/sqlfile"
)

// planRows, when set, makes TestListPlans load that many deliveries (each with one attempt,
// two per event) for one account and print the plan and time of the first page of each
// listing statement; not part of the usual run, it takes minutes:
//
//	go test ./handlers/admin/ -run TestListPlans -list.plans 1000000 -v -timeout 30m
var planRows = flag.Int("list.plans", 0, "deliveries to load before printing the listing statements' plans (0: skip)")

func TestListPlans(t *testing.T) {
	if *planRows == 0 {
		t.Skip("set -list.plans to load a history and print the listing statements' plans")
	}
	ctx := context.Background()
	url := pgtest.NewURL(t)
	service, err := dbconn.Open(url, dbconn.Defaults)
	if err != nil {
		t.Fatal(err)
	}
	defer service.Close()
	env := apitest.NewWithDB(t, service)
	acme := env.CreateAccount(t, "acme")
	for _, hook := range []string{"a", "b"} {
		if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: apitest.Shipping(acme),
			Body: `{"name": "` + hook + `", "url": "https://hooks.example.com/` + hook + `", "events": ["shipment.created"]}`}); resp.Status != 201 {
			t.Fatalf("subscription: %d %s", resp.Status, resp.Body)
		}
	}
	// Loading and explaining run longer than the service's statements may: a plain connection.
	plain, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	loader, err := plain.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer loader.Close()
	// A month-old service's slices (on the upkeep's grid, in place of the empty catch-up
	// slice), the rows spread over them.
	began := time.Now()
	now := time.Now().UTC()
	current, err := retention.List(ctx, loader)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range current {
		for table, name := range s.Partitions {
			if s.From.IsZero() {
				if _, err := loader.ExecContext(ctx, `DROP TABLE `+pq.QuoteIdentifier(name)); err != nil {
					t.Fatalf("%s: %v", table, err)
				}
			}
		}
	}
	w := retention.Width(retention.DefaultRetention)
	grid := func(t time.Time) time.Time { return time.Unix(0, t.UnixNano()-t.UnixNano()%int64(w)).UTC() }
	var slices []time.Time
	for from := grid(now.Add(-retention.DefaultRetention).Add(w - 1)); from.Before(grid(now)); from = from.Add(w) {
		slices = append(slices, from)
		for _, table := range retention.Tables {
			name := pq.QuoteIdentifier(fmt.Sprintf("%s_plans_%s", table, from.Format("20060102_150405")))
			if _, err := loader.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%s) TO (%s)`, name, table,
				pq.QuoteLiteral(from.Format(time.RFC3339)), pq.QuoteLiteral(from.Add(w).Format(time.RFC3339)))); err != nil {
				t.Fatal(err)
			}
		}
	}
	perSlice := *planRows / 2 / len(slices)
	for _, from := range slices {
		for done := 0; done < perSlice; done += 50_000 {
			part := min(perSlice-done, 50_000)
			start := from.Add(time.Duration(float64(w) * float64(done) / float64(perSlice)))
			span := w.Seconds() * float64(part) / float64(perSlice)
			if _, err := loader.ExecContext(ctx, loadPart, acme.Id, start, part, span-1); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, table := range retention.Tables {
		if _, err := loader.ExecContext(ctx, `VACUUM ANALYZE `+table); err != nil {
			t.Fatal(err)
		}
	}
	var deliveries, attempts, events, partitions int
	if err := loader.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM deliveries), (SELECT count(*) FROM delivery_attempts),
		(SELECT count(*) FROM events), (SELECT count(*) FROM pg_inherits WHERE inhparent = 'deliveries'::regclass)`).Scan(&deliveries, &attempts, &events, &partitions); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("loaded %d deliveries, %d attempts, %d events of one account in %d slices in %s\n\n",
		deliveries, attempts, events, partitions, time.Since(began).Round(time.Second))

	var sub, failedID, eventID, newest string
	if err := loader.QueryRowContext(ctx, `SELECT subscription_id, id, event_id FROM deliveries WHERE status = 'failed' LIMIT 1`).Scan(&sub, &failedID, &eventID); err != nil {
		t.Fatal(err)
	}
	if err := loader.QueryRowContext(ctx, `SELECT max(created_at)::text FROM deliveries`).Scan(&newest); err != nil {
		t.Fatal(err)
	}
	var page string
	if err := loader.QueryRowContext(ctx, `SELECT quote_literal(array_agg(id)::text) || '::uuid[]' FROM (SELECT id FROM deliveries ORDER BY created_at DESC, id DESC LIMIT 20) x`).Scan(&page); err != nil {
		t.Fatal(err)
	}
	lit := pq.QuoteLiteral
	account := lit(acme.Id.String())
	none := map[string]string{"before_created_at": "NULL", "before_id": "NULL", "since": "NULL", "until": "NULL",
		"status": "NULL", "dialect": "NULL", "subscription_id": "NULL", "event_type": "NULL", "type": "NULL"}
	with := func(values map[string]string) map[string]string {
		out := map[string]string{"account_id": account, "max_rows": "21"}
		for k, v := range none {
			out[k] = v
		}
		for k, v := range values {
			out[k] = v
		}
		return out
	}
	dayBefore := lit(now.Add(-36 * time.Hour).Format(time.RFC3339))
	dayAfter := lit(now.Add(-12 * time.Hour).Format(time.RFC3339))
	for _, c := range []struct {
		name, file, query string
		values            map[string]string
	}{
		{"deliveries, first page", "delivery.sql", "ListAccountDeliveries", with(nil)},
		{"deliveries, status=failed (1 in 100)", "delivery.sql", "ListAccountDeliveries", with(map[string]string{"status": lit("failed")})},
		{"deliveries, status=pending (none)", "delivery.sql", "ListAccountDeliveries", with(map[string]string{"status": lit("pending")})},
		{"deliveries, status=succeeded", "delivery.sql", "ListAccountDeliveries", with(map[string]string{"status": lit("succeeded")})},
		{"deliveries, subscriptionUuid (half)", "delivery.sql", "ListAccountDeliveries", with(map[string]string{"subscription_id": lit(sub)})},
		{"deliveries, subscriptionUuid and status=failed", "delivery.sql", "ListAccountDeliveries", with(map[string]string{"subscription_id": lit(sub), "status": lit("failed")})},
		{"deliveries, eventType (1 in 4)", "delivery.sql", "ListAccountDeliveriesOfType", with(map[string]string{"event_type": lit("shipment.updated")})},
		{"deliveries, eventType (1 in 1000)", "delivery.sql", "ListAccountDeliveriesOfType", with(map[string]string{"event_type": lit("shipment.rare")})},
		{"deliveries, eventType (1 in 1000) and status=failed", "delivery.sql", "ListAccountDeliveriesOfType", with(map[string]string{"event_type": lit("shipment.rare"), "status": lit("failed")})},
		{"deliveries, a day's window", "delivery.sql", "ListAccountDeliveries", with(map[string]string{"since": dayBefore, "until": dayAfter})},
		{"deliveries, second page", "delivery.sql", "ListAccountDeliveries", with(map[string]string{"before_created_at": lit(newest), "before_id": lit("00000000-0000-0000-0000-000000000000")})},
		{"a page's attempts (20 deliveries)", "delivery.sql", "ListDeliveryAttempts", map[string]string{"account_id": account, "delivery_ids": page}},
		{"one delivery", "record.sql", "GetAccountDelivery", map[string]string{"account_id": account, "id": lit(failedID)}},
		{"events, first page", "record.sql", "ListAccountEvents", with(nil)},
		{"events, type (1 in 4)", "record.sql", "ListAccountEvents", with(map[string]string{"type": lit("shipment.updated")})},
		{"events, type (1 in 1000)", "record.sql", "ListAccountEvents", with(map[string]string{"type": lit("shipment.rare")})},
		{"one event", "record.sql", "GetAccountEvent", map[string]string{"account_id": account, "id": lit(eventID)}},
		{"recover a subscription's last day (rolled back)", "record.sql", "RecoverSubscriptionDeliveries", map[string]string{"account_id": account,
			"subscription_id": lit(sub), "since": dayAfter, "until": "NULL", "max_rows": "10000"}},
	} {
		explain(t, loader, c.name, c.file, c.query, c.values)
	}

	// The same first pages through the API.
	for _, query := range []string{"", "?status=failed", "?subscriptionUuid=" + sub, "?eventType=shipment.rare"} {
		start := time.Now()
		resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/" + acme.Id.String() + "/deliveries" + query, Header: apitest.Admin()})
		var list gen.DeliveryList
		resp.Decode(t, &list)
		fmt.Printf("GET …/deliveries%s: %d deliveries in %s\n", query, len(list.Results), time.Since(start).Round(100*time.Microsecond))
	}
	start := time.Now()
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/" + acme.Id.String() + "/events", Header: apitest.Admin()})
	fmt.Printf("GET …/events: %s\n", time.Since(start).Round(100*time.Microsecond))
}

// explain prints the plan of one statement of queries/file with values, executed and rolled back.
func explain(t *testing.T, conn *sql.Conn, name, file, query string, values map[string]string) {
	t.Helper()
	stmt, err := sqlfile.Named("../../queries/"+file, query)
	if err != nil {
		t.Fatal(err)
	}
	if stmt, err = sqlfile.Bind(stmt, values); err != nil {
		t.Fatal(err)
	}
	tx, err := conn.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	rows, err := tx.Query("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + strings.TrimSuffix(stmt, ";"))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer rows.Close()
	fmt.Printf("== %s (%s)\n", name, query)
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		fmt.Println("  " + line)
	}
	fmt.Println()
}

// loadPart writes $3 events of account $1 over the $4 seconds from $2: types round-robin over
// three (and one in a thousand a rare one), each delivered to both of the account's
// subscriptions with one attempt; one delivery in a hundred failed, one in two hundred dropped.
const loadPart = `
WITH ev AS (
    INSERT INTO events (account_id, external_id, type, data, created_at, slice_at)
    SELECT $1::uuid, 'plans-' || extract(epoch FROM $2::timestamptz)::numeric || '-' || g,
           CASE WHEN g % 1000 = 0 THEN 'shipment.rare' ELSE (ARRAY['shipment.created', 'shipment.updated', 'shipment.deleted', 'shipment.status_changed'])[1 + g % 4] END,
           '{"parcel": 1, "carrier": "PostNL", "status": "delivered"}', t, t
    FROM generate_series(1, $3::int) AS g, LATERAL (SELECT $2::timestamptz + make_interval(secs => g * $4::float8 / $3::int) AS t) AS x
    RETURNING account_id, id, slice_at
), dl AS (
    INSERT INTO deliveries (account_id, event_id, subscription_id, dialect, status, attempts, last_status,
                            created_at, updated_at, next_attempt_at, slice_at)
    SELECT ev.account_id, ev.id, s.id, s.dialect,
           CASE WHEN random() < 0.01 THEN 'failed' WHEN random() < 0.005 THEN 'dropped' ELSE 'succeeded' END,
           1, 200, ev.slice_at, ev.slice_at, ev.slice_at, ev.slice_at
    FROM ev JOIN subscriptions s ON s.account_id = ev.account_id
    RETURNING account_id, id, slice_at
)
INSERT INTO delivery_attempts (account_id, delivery_id, attempt, request_id, status_code, duration_ms, created_at, slice_at,
                               error_class, request_url, request_headers, request_body_bytes, response_headers, response_body)
SELECT account_id, id, 1, 'plans', 200, 12, slice_at, slice_at, 'none', 'https://hooks.example.com/a',
       '{"Content-Type": "application/json", "Webhook-Signature": "v1,LO+4EwuGHbApWzzODIkcF8U40F3Ydbuv2D3Mxkg2N1U="}', 112,
       '{"Content-Type": "application/json"}', '\x7b7d'::bytea
FROM dl`
