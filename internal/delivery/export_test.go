package delivery

import (
	"context"
	"database/sql"
	"sync/atomic"

	"github.com/webhookd/webhookd/db"
)

// CountStatements makes e count the statements it sends to the database, so tests can hold
// the engine to its round trips per delivery.
func CountStatements(e *Engine) *atomic.Int64 {
	c := &countingDB{DBTX: e.conn}
	e.q = db.New(c)
	return &c.n
}

type countingDB struct {
	db.DBTX
	n atomic.Int64
}

func (c *countingDB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	c.n.Add(1)
	return c.DBTX.ExecContext(ctx, q, args...)
}

func (c *countingDB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c.n.Add(1)
	return c.DBTX.QueryContext(ctx, q, args...)
}

func (c *countingDB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	c.n.Add(1)
	return c.DBTX.QueryRowContext(ctx, q, args...)
}
