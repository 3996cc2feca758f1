package superoffice

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
)

func TestThreeAttemptsThenNineInARowStop(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		failures int
		want     time.Duration
		retry    bool
	}{{1, time.Second, true}, {2, 4 * time.Second, true}, {3, 0, false}} {
		got, retry := Format{}.Retry(c.failures, 0)
		if got != c.want || retry != c.retry {
			t.Errorf("Retry(%d) = %v, %v", c.failures, got, retry)
		}
	}
	for streak, want := range map[int]string{1: "", 8: "", 9: "too_many_errors", 12: "too_many_errors"} {
		if status, _ := (Format{}).GiveUp(3, streak, "x"); status != want {
			t.Errorf("GiveUp(streak %d) = %q, want %q", streak, status, want)
		}
	}
}

func TestRequestCarriesNetServerHeaders(t *testing.T) {
	t.Parallel()
	ev := db.Event{ID: uuid.New(), Type: "contact.created", Data: db.JSON(`{"PrimaryKey": 7}`), CreatedAt: time.Unix(1700000000, 0)}
	sub := db.Subscription{Url: "https://example.com/so", Secret: "s", Headers: db.JSON(`{"X-Custom":"1"}`), Properties: db.JSON(`{"tag":"t"}`)}
	r, err := Format{}.Request(format.Message{Event: ev, Subscription: sub, Attempt: 2, DeliveryID: uuid.New(), Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"X-SuperOffice-Event": "contact.created", "X-SuperOffice-Retry": "2", "X-Custom": "1",
		"X-SuperOffice-Signature": format.Base64HMAC("s", r.Body), "User-Agent": "NetServer-Webhook/1.0",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestMatchesListedEvents(t *testing.T) {
	t.Parallel()
	s := db.Subscription{Events: []string{"contact.created", "order.shipped"}}
	for typ, want := range map[string]bool{"contact.created": true, "order.shipped": true, "contact.deleted": false, "contact": false, "": false} {
		if got := (Format{}).Matches(s, format.Event{Type: typ}); got != want {
			t.Errorf("Matches(%q) = %v", typ, got)
		}
	}
}

// NetServer's body: EventId, Timestamp, Changes, Event, PrimaryKey, Entity (the event name's
// first part unless the data names one), ContextIdentifier, ChangedByAssociateId and
// WebhookName, the event's values for five of them, then the webhook's Properties;
// X-SuperOffice-Signature is the base64 HMAC-SHA256 of those bytes with the Secret.
func TestPayloadAndSignature(t *testing.T) {
	t.Parallel()
	id, account := uuid.MustParse("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), uuid.MustParse("9b2e6f7a-1c3d-4e5f-8a9b-0c1d2e3f4a5b")
	for _, c := range []struct {
		typ, data, properties, secret string
		body, signature               string
	}{
		{"contact.created", `{}`, ``, "so-secret",
			`{"ChangedByAssociateId":0,"Changes":[],"ContextIdentifier":"9b2e6f7a-1c3d-4e5f-8a9b-0c1d2e3f4a5b","Entity":"contact","Event":"contact.created","EventId":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","PrimaryKey":0,"Timestamp":"2023-11-14T22:13:20Z","WebhookName":"so"}`,
			"JSoEdBLxDf0JHqCageewWFTN1f+yDtFFgQrBNty10VQ="},
		{"contact.changed", `{"PrimaryKey": 7, "Entity": "person", "Changes": ["name"], "ContextIdentifier": "ctx-1", "ChangedByAssociateId": 3, "Extra": true}`, `{"tier": "gold"}`, "so-secret",
			`{"ChangedByAssociateId":3,"Changes":["name"],"ContextIdentifier":"ctx-1","Entity":"person","Event":"contact.changed","EventId":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","PrimaryKey":7,"Timestamp":"2023-11-14T22:13:20Z","WebhookName":"so","tier":"gold"}`,
			"20nxtqMFJakdqqU1rik40F7IMYMnxmBlRXHnTbInkbo="},
		{"ping", `{}`, ``, "",
			`{"ChangedByAssociateId":0,"Changes":[],"ContextIdentifier":"9b2e6f7a-1c3d-4e5f-8a9b-0c1d2e3f4a5b","Entity":"ping","Event":"ping","EventId":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","PrimaryKey":0,"Timestamp":"2023-11-14T22:13:20Z","WebhookName":"so"}`,
			""},
	} {
		ev := db.Event{ID: id, AccountID: account, Type: c.typ, Data: db.JSON(c.data), CreatedAt: time.Unix(1700000000, 0)}
		sub := db.Subscription{Name: "so", Secret: c.secret, Properties: db.JSON(c.properties)}
		header, body, err := Request(ev, sub, 0, format.Secrets{Current: c.secret})
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != c.body {
			t.Errorf("%s body\n%s\nwant\n%s", c.typ, body, c.body)
		}
		if got := header.Get("X-SuperOffice-Signature"); got != c.signature {
			t.Errorf("%s: X-SuperOffice-Signature = %q, want %q", c.typ, got, c.signature)
		}
	}
}

func TestGiveUpNamesTheStreak(t *testing.T) {
	t.Parallel()
	if status, reason := (Format{}).GiveUp(3, 9, "x"); status != "too_many_errors" || reason != "9 deliveries in a row failed" {
		t.Errorf("GiveUp = %q, %q", status, reason)
	}
}
