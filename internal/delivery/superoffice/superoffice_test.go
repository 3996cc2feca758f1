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
	r, err := Format{}.Request(format.Message{Event: ev, Subscription: sub, Attempt: 2, DeliveryID: uuid.New(), Now: time.Now()}, format.Options{})
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
