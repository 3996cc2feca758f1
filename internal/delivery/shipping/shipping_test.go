package shipping

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
)

func TestRetryFollowsStandardWebhooks(t *testing.T) {
	t.Parallel()
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	for i, w := range want {
		if got, ok := (Format{}).Retry(i+1, 0); got != w || !ok {
			t.Errorf("Retry(%d) = %v, %v; want %v", i+1, got, ok, w)
		}
	}
	if _, ok := (Format{}).Retry(len(want)+1, 0); ok {
		t.Error("retries after the schedule ends")
	}
	if status, _ := (Format{}).GiveUp(8, 100, "x"); status != "" {
		t.Errorf("a Shipping endpoint was stopped: %q", status)
	}
}

func TestMatchesListedEvents(t *testing.T) {
	t.Parallel()
	s := db.Subscription{Events: []string{"shipment.created", "shipment.status_changed"}}
	for typ, want := range map[string]bool{"shipment.created": true, "shipment.status_changed": true, "shipment.deleted": false, "shipment": false, "": false} {
		if got := (Format{}).Matches(s, format.Event{Type: typ}); got != want {
			t.Errorf("Matches(%q) = %v", typ, got)
		}
	}
}

// A Standard Webhooks message: {type, timestamp, data}, webhook-id "msg_" and the delivery's
// id (the same on every attempt), and a signature only when the subscription has a secret.
func TestStandardWebhooksMessage(t *testing.T) {
	t.Parallel()
	const body = `{"data":{"parcel":7},"timestamp":"2023-11-14T22:13:20Z","type":"shipment.created"}`
	for _, c := range []struct{ secret, signature string }{
		// Computed independently from the specification's formula.
		{"shipping-secret", "v1,zSD+Y8MglawhakHwLaEErr/7TdtiHmIYbZ21vg/nHho="},
		{"", ""},
	} {
		r, err := Format{}.Request(format.Message{
			Event:        db.Event{Type: "shipment.created", Data: db.JSON(`{"parcel": 7}`), CreatedAt: time.Unix(1700000000, 0)},
			Subscription: db.Subscription{Url: "https://example.com/s", Secret: c.secret},
			DeliveryID:   uuid.MustParse("0f8fad5b-d9cb-469f-a165-70867728950e"), Now: time.Unix(1700000005, 0),
		})
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Body) != body || r.URL != "https://example.com/s" {
			t.Errorf("secret %q: %s %s", c.secret, r.URL, r.Body)
		}
		for k, want := range map[string]string{"Webhook-Id": "msg_0f8fad5b-d9cb-469f-a165-70867728950e", "Webhook-Timestamp": "1700000005",
			"Webhook-Signature": c.signature, "Content-Type": "application/json"} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("secret %q: %s = %q, want %q", c.secret, k, got, want)
			}
		}
	}
}
