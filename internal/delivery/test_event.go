package delivery

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/retention"
)

// TestEventType is a test event's type when its subscription names none.
const TestEventType = "webhook.test"

// ErrNotQueued is a test event that was not queued: the subscription is not an active one of a
// live account (it changed since it was looked at).
var ErrNotQueued = errors.New("the subscription is not active")

// TestEvent is a queued test event.
type TestEvent struct {
	EventID, DeliveryID uuid.UUID
}

// QueueTestEvent records an event of type eventType with a small example payload and queues
// its delivery to one subscription of the account, whatever the subscription matches, in one
// statement. It returns ErrNotQueued when the subscription is not active.
func QueueTestEvent(ctx context.Context, conn *sql.DB, accountID, subscriptionID uuid.UUID, eventType string) (TestEvent, error) {
	data, err := json.Marshal(map[string]any{
		"test":        true,
		"description": "A test event sent from webhookd to check this webhook.",
		"sentAt":      time.Now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		return TestEvent{}, err
	}
	p := db.QueueTestEventParams{AccountID: accountID, SubscriptionID: subscriptionID,
		ExternalID: "test_" + uuid.NewString(), Type: eventType, Data: data}
	q := db.New(conn)
	row, err := q.QueueTestEvent(ctx, p)
	if noSlice(err) {
		// As in ingestion: the current slice is missing; the statement wrote nothing.
		if err := retention.Cover(ctx, conn); err != nil {
			return TestEvent{}, fmt.Errorf("creating the current slice of history: %w", err)
		}
		row, err = q.QueueTestEvent(ctx, p)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return TestEvent{}, ErrNotQueued
	}
	if err != nil {
		return TestEvent{}, err
	}
	return TestEvent{EventID: row.EventID, DeliveryID: row.DeliveryID}, nil
}
