package delivery

import (
	"context"
	"database/sql"
	"strings"
	"sync"

	"github.com/webhookd/webhookd/db"
)

// Statements counts the statements an engine sends, by their sqlc name.
type Statements struct {
	mu     sync.Mutex
	byName map[string]int
}

// Count is how many statements named name were sent; "" counts them all.
func (s *Statements) Count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name != "" {
		return s.byName[name]
	}
	n := 0
	for _, c := range s.byName {
		n += c
	}
	return n
}

func (s *Statements) add(query string) {
	// sqlc's statements begin with "-- name: <Name> :<kind>".
	name, _, _ := strings.Cut(strings.TrimPrefix(query, "-- name: "), " ")
	s.mu.Lock()
	s.byName[name]++
	s.mu.Unlock()
}

// CountStatements makes e count the statements it sends to the database, so tests can hold
// the engine to its round trips per delivery.
func CountStatements(e *Engine) *Statements {
	c := &countingDB{DBTX: e.conn, s: &Statements{byName: map[string]int{}}}
	e.q = db.New(c)
	return c.s
}

type countingDB struct {
	db.DBTX
	s *Statements
}

func (c *countingDB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	c.s.add(q)
	return c.DBTX.ExecContext(ctx, q, args...)
}

func (c *countingDB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c.s.add(q)
	return c.DBTX.QueryContext(ctx, q, args...)
}

func (c *countingDB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	c.s.add(q)
	return c.DBTX.QueryRowContext(ctx, q, args...)
}
