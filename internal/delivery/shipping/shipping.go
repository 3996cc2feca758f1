// Package shipping delivers events as 2LM Shipping's Standard Webhooks messages (during a
// rotation's window signed by both secrets, "v1,<new> v1,<old>"), retried on the Standard
// Webhooks schedule.
package shipping

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
)

// Name is the dialect as subscriptions store it.
const Name = "shipping"

// Retries is Standard Webhooks' schedule.
var Retries = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// Format is Shipping's delivery format.
type Format struct{}

func (Format) Name() string { return Name }

func (Format) Request(m format.Message) (format.Request, error) {
	ev := m.Event
	body, err := format.Marshal(map[string]any{"type": ev.Type, "timestamp": ev.CreatedAt.UTC().Format(time.RFC3339Nano), "data": json.RawMessage(ev.Data)})
	if err != nil {
		return format.Request{}, err
	}
	r := format.JSONRequest(m.Subscription.Url, body)
	return r, format.SignStandard(&r, m, m.SubscriptionSecrets())
}

func (Format) Retry(failures int, _ time.Duration) (time.Duration, bool) {
	return format.FromSchedule(Retries, failures)
}

// GiveUp leaves the subscription active: Shipping marks only the message failed.
func (Format) GiveUp(int, int, string) (string, string) { return "", "" }

func (Format) Matches(s db.Subscription, ev format.Event) bool {
	return slices.Contains(s.Events, ev.Type)
}
