package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/webhookd/webhookd/internal/tools/sqlfile"
)

// ownQueries are the statements Voucherify's PUT and GET run, as queries/subscriptions.sql
// declares them.
var ownQueries = map[string]string{http.MethodPut: "ReplaceScopedSubscriptionTarget", http.MethodGet: "GetScopedSubscription"}

var (
	nullableArg = regexp.MustCompile(`sqlc\.narg\((\w+)\)`)
	arg         = regexp.MustCompile(`sqlc\.arg\((\w+)\)`)
)

// pgbenchStatement runs the statement of method's operation through pgbench, prepared, over
// the fixture's webhooks: what PostgreSQL can do for the operation with nothing in front of it.
// One script per webhook, picked at random, names it literally (pgbench variables cannot be
// text drawn at random).
func pgbenchStatement(ctx context.Context, url, method string, fx fixture, connections int, duration time.Duration) (pgbenchResult, error) {
	query, err := sqlfile.Named(filepath.Join("queries", "subscriptions.sql"), ownQueries[method])
	if err != nil {
		return pgbenchResult{}, err
	}
	query = nullableArg.ReplaceAllString(query, "NULL") // the PUT leaves the status as it is
	dir, err := os.MkdirTemp("", "apibench-statement-")
	if err != nil {
		return pgbenchResult{}, err
	}
	defer os.RemoveAll(dir)
	values := map[string]string{
		"url": "https://example.com/hooks/b", "events": "{voucher.created,voucher.updated}",
		"scope_dialect": "voucherify", "scope_external_id": fx.projectID, "account_id": fx.accountID, "dialect": "voucherify",
	}
	var args []string
	for name, v := range values {
		args = append(args, "-D", name+"="+v)
	}
	for i, id := range fx.hookIDs {
		script := arg.ReplaceAllStringFunc(query, func(m string) string {
			name := arg.FindStringSubmatch(m)[1]
			if name == "external_id" {
				return "'" + strings.ReplaceAll(id, "'", "''") + "'"
			}
			return ":" + name
		})
		file := filepath.Join(dir, fmt.Sprintf("hook-%d.sql", i))
		if err := os.WriteFile(file, []byte(script+"\n"), 0o644); err != nil {
			return pgbenchResult{}, err
		}
		args = append(args, "-f", file+"@1")
	}
	return runPgbench(ctx, url, connections, duration, args...)
}
