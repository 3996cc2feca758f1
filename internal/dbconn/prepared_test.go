package dbconn_test

import (
	"context"
	"testing"

	"github.com/webhookd/webhookd/internal/dbconn"
)

// A parameterised query is prepared once per connection and reused.
func TestQueriesArePreparedOncePerConnection(t *testing.T) {
	ctx := context.Background()
	pool, err := dbconn.Open(cluster.URL("postgres"), fast)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	conn, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const query = "SELECT $1::int + 1"
	for i := range 3 {
		var got int
		if err := conn.QueryRowContext(ctx, query, i).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("call %d: %d, %v", i, got, err)
		}
	}
	var prepared int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM pg_prepared_statements WHERE statement = '"+query+"'").Scan(&prepared); err != nil {
		t.Fatal(err)
	}
	if prepared != 1 {
		t.Fatalf("%d prepared statements for one query text; want 1", prepared)
	}
}

// A schema change that alters a prepared statement's result columns (another instance
// migrating) does not fail the next call outside a transaction.
func TestPreparedStatementSurvivesSchemaChange(t *testing.T) {
	ctx := context.Background()
	pool, err := dbconn.Open(cluster.URL("postgres"), fast)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pool.SetMaxOpenConns(1)
	if _, err := pool.ExecContext(ctx, "DROP TABLE IF EXISTS evolving; CREATE TABLE evolving (id int PRIMARY KEY, a text); INSERT INTO evolving VALUES (1, 'x')"); err != nil {
		t.Fatal(err)
	}
	defer pool.ExecContext(ctx, "DROP TABLE evolving")
	count := func() int {
		rows, err := pool.QueryContext(ctx, "SELECT * FROM evolving WHERE id = $1", 1)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		return len(cols)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d columns before the change", n)
	}
	if _, err := pool.ExecContext(ctx, "ALTER TABLE evolving ADD COLUMN b text"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d columns after the change; want 3", n)
	}
}
