package delivery

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
	"github.com/webhookd/webhookd/internal/delivery/formats"
	"github.com/webhookd/webhookd/internal/retention"
)

// NotifyChannel is the PostgreSQL channel ingestion (and test events, resend and recover)
// notifies when it queues deliveries, with the account's id as the payload.
const NotifyChannel = "webhookd_deliveries"

// Event is what an account's backend reports.
type Event struct {
	// ExternalID makes ingestion idempotent; empty means "make one up".
	ExternalID string
	Type       string
	Data       json.RawMessage
	Attributes map[string]string
	// ScopeID narrows the fan-out to one Voucherify project, Bird workspace, Arkyn traffic
	// source or SuperOffice installation.
	ScopeID uuid.NullUUID
}

// Ingested is the outcome of ingesting one event.
type Ingested struct {
	EventID    uuid.UUID
	ExternalID string
	Deliveries int
	// Duplicate is true when the event had been ingested before; nothing was queued again.
	Duplicate bool
}

// ErrDuplicateInBatch is a batch naming one external id twice.
var ErrDuplicateInBatch = errors.New("an event id occurs twice in the batch")

// ErrAccountErasing is ingestion for an account whose erasure has begun: nothing was stored.
var ErrAccountErasing = errors.New("the account is being erased")

// Ingest records an event and queues one delivery per matching subscription, atomically: an
// event is either fully fanned out or not recorded at all.
func Ingest(ctx context.Context, conn *sql.DB, accountID uuid.UUID, ev Event) (Ingested, error) {
	out, err := IngestBatch(ctx, conn, accountID, []Event{ev})
	if err != nil {
		return Ingested{}, err
	}
	return out[0], nil
}

// IngestBatch records events and queues their deliveries in two round trips whatever their
// number: one reads the account's active subscriptions, one statement writes every event and
// delivery (all or nothing). Each event is idempotent by its external id for as long as it is
// kept; the results are in the events' order. Duplicates cost one more round trip, to read the
// earlier events. For an account being erased it stores nothing and returns ErrAccountErasing.
func IngestBatch(ctx context.Context, conn *sql.DB, accountID uuid.UUID, events []Event) ([]Ingested, error) {
	q := db.New(conn)
	subs, err := q.ListActiveSubscriptions(ctx, db.ListActiveSubscriptionsParams{AccountID: accountID})
	if err != nil {
		return nil, err
	}
	p := db.IngestEventsParams{AccountID: accountID, PairSubscriptionIds: []uuid.UUID{}, PairExternalIds: []string{}}
	seen := make(map[string]bool, len(events))
	for i := range events {
		ev := &events[i]
		if ev.ExternalID == "" {
			ev.ExternalID = uuid.NewString()
		}
		if seen[ev.ExternalID] {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateInBatch, ev.ExternalID)
		}
		seen[ev.ExternalID] = true
		attributes, err := json.Marshal(nonNil(ev.Attributes))
		if err != nil {
			return nil, err
		}
		data := ev.Data
		if len(data) == 0 {
			data = json.RawMessage(`{}`)
		}
		scope := ""
		if ev.ScopeID.Valid {
			scope = ev.ScopeID.UUID.String()
		}
		p.ExternalIds = append(p.ExternalIds, ev.ExternalID)
		p.Types = append(p.Types, ev.Type)
		p.Datas = append(p.Datas, string(data))
		p.Attributes = append(p.Attributes, string(attributes))
		p.ScopeIds = append(p.ScopeIds, scope)
		for _, s := range subs {
			if ev.ScopeID.Valid && s.ScopeID != ev.ScopeID.UUID {
				continue
			}
			if Matches(s, ev.Type, ev.Attributes, ev.ScopeID) {
				p.PairExternalIds = append(p.PairExternalIds, ev.ExternalID)
				p.PairSubscriptionIds = append(p.PairSubscriptionIds, s.ID)
			}
		}
	}
	rows, err := q.IngestEvents(ctx, p)
	if noSlice(err) {
		// The upkeep has not created the current time's slice (see internal/retention):
		// create it and try again; the statement wrote nothing.
		if err := retention.Cover(ctx, conn); err != nil {
			return nil, fmt.Errorf("creating the current slice of history: %w", err)
		}
		rows, err = q.IngestEvents(ctx, p)
	}
	if err != nil {
		return nil, err
	}
	got := make(map[string]Ingested, len(rows))
	for _, r := range rows {
		got[r.ExternalID] = Ingested{EventID: r.ID, ExternalID: r.ExternalID, Deliveries: int(r.Deliveries)}
	}
	if len(rows) == 0 {
		// Every event a duplicate, or an account being erased, for which nothing is recorded.
		if err := refuseErased(ctx, q, accountID, nil); err != nil {
			return nil, err
		}
	}
	if len(got) < len(events) {
		var dups []string
		for _, ev := range events {
			if _, ok := got[ev.ExternalID]; !ok {
				dups = append(dups, ev.ExternalID)
			}
		}
		earlier, err := q.ListEventsByExternalID(ctx, db.ListEventsByExternalIDParams{AccountID: accountID, ExternalIds: dups})
		if err != nil {
			return nil, err
		}
		for _, r := range earlier {
			got[r.ExternalID] = Ingested{EventID: r.ID, ExternalID: r.ExternalID, Deliveries: int(r.Deliveries), Duplicate: true}
		}
	}
	out := make([]Ingested, len(events))
	for i, ev := range events {
		r, ok := got[ev.ExternalID]
		if !ok {
			// The eraser may have taken the duplicates since the statement ran.
			return nil, refuseErased(ctx, q, accountID, fmt.Errorf("event %q was neither recorded nor found", ev.ExternalID))
		}
		out[i] = r
	}
	return out, nil
}

// refuseErased returns ErrAccountErasing when the account is being erased (or gone), and
// otherwise err.
func refuseErased(ctx context.Context, q *db.Queries, accountID uuid.UUID, err error) error {
	live, lookupErr := q.AccountIsLive(ctx, accountID)
	switch {
	case lookupErr != nil:
		return lookupErr
	case !live:
		return ErrAccountErasing
	}
	return err
}

// Matches tells whether an active subscription wants an event, by its dialect's rule (which
// depends on no setting).
func Matches(s db.Subscription, eventType string, attributes map[string]string, scope uuid.NullUUID) bool {
	f, ok := formats.Default.Lookup(s.Dialect)
	return ok && f.Matches(s, format.Event{Type: eventType, Attributes: attributes, ScopeID: scope})
}

// noSlice tells whether err is PostgreSQL finding no partition for a row.
func noSlice(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23514" && strings.HasPrefix(pqErr.Message, "no partition of relation")
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
