package erasure

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

// withoutAccountID are the tables that hold an account's rows without an account_id column,
// and how its rows are found there (nil: the schema's own, no tenant's). A new table of
// neither kind fails the tests.
var withoutAccountID = map[string]func(tenant) (string, any){
	"accounts":           func(tn tenant) (string, any) { return "id = $1", tn.Id },
	"rate_limit_windows": func(tn tenant) (string, any) { return "key_sha256 = ANY($1)", pq.Array(tn.digests) },
	"goose_db_version":   nil,
}

// tenant is an account with a row in every table, and what finds its rows where they carry
// no account_id.
type tenant struct {
	gen.AccountCreated
	deliveryIDs []uuid.UUID
	digests     [][]byte
}

// populate gives an account rows in every table through the API: subscriptions of every
// dialect, an Arkyn session and traffic source, a portal session, Shipping's request counter, ingested events
// with their deliveries, and (standing in for the delivery engine) an attempt per delivery.
func populate(t *testing.T, env *apitest.Env, name string) tenant {
	t.Helper()
	a := env.CreateAccount(t, name)
	created := func(resp *apitest.Response) {
		t.Helper()
		if resp.Status >= 300 {
			t.Fatalf("populate %s: %d %s", name, resp.Status, resp.Body)
		}
	}
	created(env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(a), Header: apitest.Voucherify(a),
		Body: `{"target_url": "https://hooks.example.com/v", "events": ["voucher.created"]}`}))
	apitest.CreateBirdSubscription(t, env, a, `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/b"}`)
	apitest.CreateShipping(t, env, a, `{"name": "n", "url": "https://hooks.example.com/s", "events": ["tracking_parcel.created"]}`)
	apitest.CreateSuperOfficeWebhook(t, env, a, `{"Name": "n", "Events": ["sale.changed"], "TargetUrl": "https://hooks.example.com/so"}`)
	arkyn := apitest.ArkynLogin(t, env, a)
	created(env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/traffic-source", Header: arkyn,
		Body: `{"name": "site", "trafficDomain": "shop.` + name + `.example.net"}`}))
	created(env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/admin/v1/accounts/" + a.Id.String() + "/portal-sessions",
		Header: apitest.Admin()}))
	created(env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/event-batches", Header: ingestKey(a),
		Body: `{"events": [{"type": "voucher.created"}, {"type": "voucher.created"}, {"type": "voucher.created"}]}`}))

	tn := tenant{AccountCreated: a}
	for _, secret := range []string{a.Shipping.ApiKey, a.Shipping.ReadOnlyApiKey} {
		d := sha256.Sum256([]byte(secret))
		tn.digests = append(tn.digests, d[:])
	}
	rows, err := env.DB.Query(`INSERT INTO delivery_attempts (account_id, delivery_id, slice_at, attempt, request_id)
		SELECT account_id, id, slice_at, 1, 'req' FROM deliveries WHERE account_id = $1 RETURNING delivery_id`, a.Id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		tn.deliveryIDs = append(tn.deliveryIDs, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return tn
}

func ingestKey(a gen.AccountCreated) http.Header {
	return apitest.Header("Authorization", "Bearer "+a.Ingest.Key)
}

// rowsOf counts an account's rows in every table of the schema: by account_id where a table
// has one (information_schema tells which), and as withoutAccountID says elsewhere.
// Partitions are counted through their parent.
func rowsOf(t *testing.T, conn *sql.DB, tn tenant) map[string]int {
	t.Helper()
	rows, err := conn.Query(`
		SELECT c.relname, EXISTS (SELECT 1 FROM information_schema.columns col
		                          WHERE col.table_schema = n.nspname AND col.table_name = c.relname
		                            AND col.column_name = 'account_id')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]bool{}
	for rows.Next() {
		var table string
		var hasAccountID bool
		if err := rows.Scan(&table, &hasAccountID); err != nil {
			t.Fatal(err)
		}
		tables[table] = hasAccountID
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for table, hasAccountID := range tables {
		where, arg := "account_id = $1", any(tn.Id)
		if !hasAccountID {
			find, known := withoutAccountID[table]
			if !known {
				t.Fatalf("table %s has no account_id and the erasure tests do not know how to find an account's rows in it", table)
			}
			if find == nil {
				continue
			}
			where, arg = find(tn)
		}
		var n int
		q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", pq.QuoteIdentifier(table), where)
		if err := conn.QueryRow(q, arg).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		counts[table] = n
	}
	return counts
}

// expectRows fails unless every table holds rows of the account (want > 0) or none (want 0).
func expectRows(t *testing.T, counts map[string]int, some bool) {
	t.Helper()
	var wrong []string
	for table, n := range counts {
		if (n > 0) != some {
			wrong = append(wrong, fmt.Sprintf("%s: %d", table, n))
		}
	}
	slices.Sort(wrong)
	if len(wrong) > 0 {
		t.Errorf("rows per table (want some in each: %v): %v (all: %v)", some, wrong, counts)
	}
}
