package delivery

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
)

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

// Ingested is the outcome of Ingest.
type Ingested struct {
	EventID    uuid.UUID
	ExternalID string
	Deliveries int
	// Duplicate is true when the event had been ingested before; nothing was queued again.
	Duplicate bool
}

// Ingest records an event and queues one delivery per matching subscription, in one
// transaction: an event is either fully fanned out or not recorded at all.
func Ingest(ctx context.Context, conn *sql.DB, accountID uuid.UUID, ev Event) (Ingested, error) {
	if ev.ExternalID == "" {
		ev.ExternalID = uuid.NewString()
	}
	attributes, err := json.Marshal(nonNil(ev.Attributes))
	if err != nil {
		return Ingested{}, err
	}
	data := ev.Data
	if len(data) == 0 {
		data = json.RawMessage(`{}`)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return Ingested{}, err
	}
	defer tx.Rollback()
	q := db.New(tx)
	row, err := q.CreateEvent(ctx, db.CreateEventParams{
		AccountID: accountID, ExternalID: ev.ExternalID, Type: ev.Type, Data: db.JSON(data), Attributes: db.JSON(attributes), ScopeID: ev.ScopeID,
	})
	if errors.Is(err, sql.ErrNoRows) {
		existing, err := q.GetEventByExternalID(ctx, db.GetEventByExternalIDParams{AccountID: accountID, ExternalID: ev.ExternalID})
		if err != nil {
			return Ingested{}, fmt.Errorf("duplicate event: %w", err)
		}
		n, err := q.CountEventDeliveries(ctx, existing.ID)
		if err != nil {
			return Ingested{}, err
		}
		return Ingested{EventID: existing.ID, ExternalID: existing.ExternalID, Deliveries: int(n), Duplicate: true}, tx.Commit()
	}
	if err != nil {
		return Ingested{}, err
	}
	subs, err := q.ListActiveSubscriptions(ctx, db.ListActiveSubscriptionsParams{AccountID: accountID, ScopeID: ev.ScopeID})
	if err != nil {
		return Ingested{}, err
	}
	n := 0
	for _, s := range subs {
		// Arkyn webhooks hear only the events of their own traffic source.
		if s.Dialect == DialectArkyn && (!ev.ScopeID.Valid || ev.ScopeID.UUID != s.ScopeID) {
			continue
		}
		if !Matches(s, ev.Type, ev.Attributes) {
			continue
		}
		if err := q.CreateDelivery(ctx, db.CreateDeliveryParams{AccountID: accountID, EventID: row.ID, SubscriptionID: s.ID, Dialect: s.Dialect}); err != nil {
			return Ingested{}, err
		}
		n++
	}
	if err := tx.Commit(); err != nil {
		return Ingested{}, err
	}
	return Ingested{EventID: row.ID, ExternalID: row.ExternalID, Deliveries: n}, nil
}

// Matches tells whether an active subscription wants an event.
func Matches(s db.Subscription, eventType string, attributes map[string]string) bool {
	switch s.Dialect {
	case DialectBird:
		// One event per subscription, and every filter must hold.
		if len(s.Events) == 0 || s.Events[0] != eventType {
			return false
		}
		var filters []struct{ Key, Value string }
		if err := json.Unmarshal(s.Filters, &filters); err != nil {
			return false
		}
		for _, f := range filters {
			if v, ok := attributes[f.Key]; !ok || v != f.Value {
				return false
			}
		}
		return true
	case DialectArkyn:
		// Every event of the traffic source goes to its Discord channel, when it has one.
		return strings.HasPrefix(s.Url, DiscordURLPrefix)
	default:
		return slices.Contains(s.Events, eventType)
	}
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
