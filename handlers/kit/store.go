package kit

import (
	"context"
	"database/sql"
	"net/url"
	"slices"
	"time"

	"github.com/webhookd/webhookd/db"
)

// Store is what every dialect needs from the database.
type Store struct {
	Conn *sql.DB
	Q    *db.Queries
	// Credentials tells whose a presented secret is; every security scheme asks it.
	Credentials *Credentials
	// Targets vets webhook URLs at registration.
	Targets TargetPolicy
	// Audit records the actions that steer deliveries or grant access.
	Audit *Auditor
}

// NewStore returns the store of conn with targets as its registration policy.
func NewStore(conn *sql.DB, targets TargetPolicy) Store {
	q := db.New(conn)
	return Store{Conn: conn, Q: q, Credentials: NewCredentials(q), Targets: targets}
}

// InTx runs fn in one transaction, so that a failure leaves no partial write.
func (s Store) InTx(ctx context.Context, fn func(q *db.Queries) error) error {
	tx, err := s.Conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(s.Q.WithTx(tx)); err != nil {
		return err
	}
	return tx.Commit()
}

// Subscription statuses as stored in the core table.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
)

// ActiveStatus is the stored status of an active flag.
func ActiveStatus(active bool) string {
	if active {
		return StatusActive
	}
	return StatusInactive
}

// EventNames returns the distinct non-empty event names, in their first order: every dialect
// stores an event once however often a request lists it.
func EventNames[E ~string](events []E) []string {
	out := make([]string, 0, len(events))
	for _, e := range events {
		if e != "" && !slices.Contains(out, string(e)) {
			out = append(out, string(e))
		}
	}
	return out
}

// NullString is SQL NULL for an absent member (a string or an enum of the spec).
func NullString[S ~string](s *S) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: string(*s), Valid: true}
}

// NullTime is SQL NULL for an absent timestamp.
func NullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}

// SQLTime is a present timestamp.
func SQLTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: true} }

// AbsoluteURL tells whether raw is an absolute URL with a host and one of the schemes.
func AbsoluteURL(raw string, schemes ...string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Host != "" && slices.Contains(schemes, u.Scheme)
}
