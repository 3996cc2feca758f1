package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// benchSettings size the cluster as a server holding 10⁷ rows would be: the default 128 MB of
// shared buffers leaves the history's indexes to the OS cache, which measures the page copies,
// not the service. pg_stat_statements says where each measurement's time went.
var benchSettings = map[string]string{
	"shared_buffers":                    "2GB",
	"shared_preload_libraries":          "pg_stat_statements",
	"pg_stat_statements.track":          "all",
	"pg_stat_statements.track_planning": "on",
	"pg_stat_statements.max":            "1000",
	"pg_stat_statements.save":           "off",
	"track_activity_query_size":         "4096",
}

// profile is a measured rate with what the database did per operation: its time, the
// statements the service sent and the shared buffers they read. The buffers are the work
// itself, which the shared machine's noise leaves alone.
type profile struct{ rate, dbMs, statements, buffers float64 }

// profiled runs measure with pg_stat_statements reset before it and returns its rate and what
// the database did per operation (ops is how many operations measure performed); detail prints
// the statements that took most of that time.
func profiled(ctx context.Context, conn *sql.DB, label string, detail bool, measure func() (float64, int, error)) (profile, error) {
	var p profile
	if _, err := conn.ExecContext(ctx, `SELECT pg_stat_statements_reset()`); err != nil {
		return p, err
	}
	rate, ops, err := measure()
	if err != nil {
		return p, err
	}
	p.rate = rate
	perOp := func(v float64) float64 { return v / float64(max(ops, 1)) }
	// Nested statements (a function's, a foreign key's check) are listed too, marked ↳; the
	// totals count the statements the service sent.
	rows, err := conn.QueryContext(ctx, `
		SELECT calls, total_exec_time, total_plan_time, shared_blks_hit, shared_blks_read, query, toplevel,
		       sum(calls) FILTER (WHERE toplevel) OVER (), sum(total_exec_time + total_plan_time) FILTER (WHERE toplevel) OVER (),
		       sum(shared_blks_hit + shared_blks_read) FILTER (WHERE toplevel) OVER ()
		FROM pg_stat_statements
		WHERE query NOT LIKE '%pg_stat_statements%'
		  AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		ORDER BY total_exec_time + total_plan_time DESC`)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	printed := 0
	for rows.Next() {
		var calls, hit, read, allCalls, allBuffers int64
		var exec, plan, allTime float64
		var query string
		var toplevel bool
		if err := rows.Scan(&calls, &exec, &plan, &hit, &read, &query, &toplevel, &allCalls, &allTime, &allBuffers); err != nil {
			return p, err
		}
		p.dbMs, p.statements, p.buffers = perOp(allTime), perOp(float64(allCalls)), perOp(float64(allBuffers))
		if !detail {
			break
		}
		if printed == 0 {
			fmt.Printf("  %s: %.0f/s; %.2f statements, %.3f ms of database time and %.1f buffers per operation\n",
				label, rate, p.statements, p.dbMs, p.buffers)
		}
		if printed < 7 {
			nested := "  "
			if !toplevel {
				nested = "↳ "
			}
			fmt.Printf("    %5.1f%% %8d calls %8.3f ms exec %6.3f ms plan %7.1f hit %6.1f read  %s%s\n",
				100*(exec+plan)/allTime, calls, exec/float64(calls), plan/float64(calls),
				float64(hit)/float64(calls), float64(read)/float64(calls), nested, oneLine(query, 90))
		}
		printed++
	}
	return p, rows.Err()
}

func oneLine(q string, n int) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > n {
		q = q[:n] + "…"
	}
	return q
}
