package admin_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/apitest"
)

// openPortal opens a portal session of account through the admin API.
func openPortal(t *testing.T, env *apitest.Env, account uuid.UUID, body any) gen.PortalSession {
	t.Helper()
	resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: accountPath(account) + "/portal-sessions", Header: apitest.Admin(), Body: body})
	if resp.Status != http.StatusCreated {
		t.Fatalf("open portal session: %d %s", resp.Status, resp.Body)
	}
	var s gen.PortalSession
	resp.Decode(t, &s)
	if s.Token == nil || s.Url == nil {
		t.Fatalf("opened session %s has no token or url", resp.Body)
	}
	return s
}

// portal is the Authorization header of a portal session.
func portal(s gen.PortalSession) http.Header {
	return apitest.Header("Authorization", "Bearer "+*s.Token)
}

func accountPath(id uuid.UUID) string { return "/admin/v1/accounts/" + id.String() }

// withRegistry gives the test server a registry the test can read the audit counters from.
func withRegistry(reg *prometheus.Registry) apitest.Option {
	return func(c *handlers.Config) { c.Registry = reg }
}

// audited counts the audited action taken by callers of a kind (admin, portal).
func audited(t *testing.T, reg *prometheus.Registry, action, caller string) int {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "webhookd_audit_actions_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["action"] == action && labels["caller"] == caller {
				return int(m.GetCounter().GetValue())
			}
		}
	}
	return 0
}

// tenantState is a digest of every row of the account in every table of the schema (by
// account_id where a table has one, and the account's own row), so that a test can tell
// whether anything of the account changed.
func tenantState(t *testing.T, conn *sql.DB, account uuid.UUID) map[string]string {
	t.Helper()
	rows, err := conn.Query(`
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND EXISTS (SELECT 1 FROM information_schema.columns col
		              WHERE col.table_schema = n.nspname AND col.table_name = c.relname AND col.column_name = 'account_id')`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var table string
		if err := rows.Scan(&table); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, table)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	state := map[string]string{}
	digest := func(name, query string) {
		var d sql.NullString
		if err := conn.QueryRow(query, account).Scan(&d); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		state[name] = d.String
	}
	for _, table := range tables {
		digest(table, fmt.Sprintf(`SELECT count(*) || ':' || COALESCE(md5(string_agg(t::text, '|' ORDER BY t::text)), '')
			FROM %s t WHERE account_id = $1`, pq.QuoteIdentifier(table)))
	}
	digest("accounts", `SELECT md5(a::text) FROM accounts a WHERE id = $1`)
	return state
}
