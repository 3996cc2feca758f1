package dbconn

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/lib/pq"
)

// maxPreparedPerConn bounds the statements one connection keeps prepared. The service's
// queries are a fixed set well under it; text beyond it runs unprepared.
const maxPreparedPerConn = 256

// preparing is a connector whose connections keep every parameterised query prepared on the
// server, keyed by its text. Without it, each call makes PostgreSQL parse, analyse and plan
// the statement again, which costs more than running a single-row statement; with it, the
// first call on a connection prepares (one extra round trip) and every later call is one
// Bind/Execute round trip. This is what database/sql's *Stmt would do, kept per connection
// so that callers (sqlc's generated code) need not manage statements.
type preparing struct{ driver.Connector }

func (p preparing) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := p.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := conn.(pqConn)
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("dbconn: the driver's connection (%T) lacks what preparing needs", conn)
	}
	return &preparedConn{pqConn: pc, stmts: map[string]driver.Stmt{}}, nil
}

// pqConn is what database/sql uses of a lib/pq connection; preparedConn passes it all on.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// preparedConn is used by one goroutine at a time, as database/sql guarantees for a driver
// connection, so its map needs no lock.
type preparedConn struct {
	pqConn
	stmts map[string]driver.Stmt
	inTx  bool
}

func (c *preparedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.pqConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.inTx = true
	return preparedTx{tx, c}, nil
}

type preparedTx struct {
	driver.Tx
	c *preparedConn
}

func (t preparedTx) Commit() error   { t.c.inTx = false; return t.Tx.Commit() }
func (t preparedTx) Rollback() error { t.c.inTx = false; return t.Tx.Rollback() }

// statement returns the connection's prepared statement for query, preparing it on first
// use; nil when the query is better run as the driver would: it has no parameters (the simple
// protocol is one round trip with nothing to plan twice), or the connection already holds as
// many statements as it may.
func (c *preparedConn) statement(ctx context.Context, query string, args []driver.NamedValue) (driver.Stmt, error) {
	if len(args) == 0 {
		return nil, nil
	}
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	if len(c.stmts) >= maxPreparedPerConn {
		return nil, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

func (c *preparedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	st, err := c.statement(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if st != nil {
		rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
		if !c.stalePlan(query, err) {
			return rows, err
		}
	}
	return c.pqConn.QueryContext(ctx, query, args)
}

func (c *preparedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, err := c.statement(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if st != nil {
		res, err := st.(driver.StmtExecContext).ExecContext(ctx, args)
		if !c.stalePlan(query, err) {
			return res, err
		}
	}
	return c.pqConn.ExecContext(ctx, query, args)
}

// stalePlan reports PostgreSQL refusing a prepared statement whose result columns changed
// under it (another instance migrated the schema), and forgets the statement so that the next
// call prepares it afresh. The caller then retries unprepared, which is safe only outside a
// transaction: nothing ran. Inside one, the transaction is aborted and the error stands.
func (c *preparedConn) stalePlan(query string, err error) (retry bool) {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "0A000" || pqErr.Message != "cached plan must not change result type" {
		return false
	}
	delete(c.stmts, query)
	return !c.inTx
}
