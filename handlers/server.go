// Package handlers implements the generated strict server: one type per dialect, composed into
// Server, plus the request validation, authentication and error rendering they share.
package handlers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// Server answers every operation of openapi.yaml.
type Server struct {
	Health
	Docs
	Admin
	Voucherify
	Bird
	Arkyn
	Shipping
	SuperOffice
	Ingest
	Metrics
	Inspector
}

var _ gen.StrictServerInterface = (*Server)(nil)

// store is what every dialect needs from the database.
type store struct {
	conn *sql.DB
	q    *db.Queries
	// targets vets webhook URLs at registration.
	targets targetPolicy
}

func newStore(conn *sql.DB) store { return store{conn: conn, q: db.New(conn)} }

// inTx runs fn in one transaction, so that a failure leaves no partial write.
func (s store) inTx(ctx context.Context, fn func(q *db.Queries) error) error {
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(s.q.WithTx(tx)); err != nil {
		return err
	}
	return tx.Commit()
}

// errNotFound is returned by lookups of resources that do not exist or belong to another account.
var errNotFound = errors.New("not found")

// notFound turns sql.ErrNoRows into errNotFound and wraps anything else.
func notFound(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	return fmt.Errorf("%s: %w", what, err)
}

// absoluteURL tells whether raw is an absolute URL with a host and one of the schemes.
func absoluteURL(raw string, schemes ...string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Host != "" && slices.Contains(schemes, u.Scheme)
}
