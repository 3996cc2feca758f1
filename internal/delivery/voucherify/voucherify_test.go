package voucherify

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
)

func TestRetryFollowsTheDocumentedSchedule(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		failures int
		want     time.Duration
		retry    bool
	}{
		{1, time.Minute, true}, {2, 2 * time.Minute, true}, {5, 16 * time.Minute, true},
		{11, 1024 * time.Minute, true}, {12, 24 * time.Hour, true}, {13, 0, false},
	} {
		got, retry := Format{}.Retry(c.failures, 0)
		if got != c.want || retry != c.retry {
			t.Errorf("Retry(%d) = %v, %v; want %v, %v", c.failures, got, retry, c.want, c.retry)
		}
	}
	if status, reason := (Format{}).GiveUp(13, 1, "boom"); status != "inactive" || reason != "deactivated after 12 failed retries" {
		t.Errorf("GiveUp = %q, %q", status, reason)
	}
}

func TestRequestIsSignedWithTheProjectSecret(t *testing.T) {
	t.Parallel()
	m := format.Message{
		Event:        db.Event{ID: uuid.New(), Type: "voucher.created", Data: db.JSON(`{"code":"A<B"}`), CreatedAt: time.Unix(1700000000, 0)},
		Subscription: db.Subscription{Url: "https://example.com/h", Secret: "unused"},
		Scope:        db.Scope{ExternalID: "proj_1", Secret: "project-secret"},
		DeliveryID:   uuid.New(), Now: time.Unix(1700000001, 0),
	}
	r, err := Format{}.Request(m, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Header.Get("x-voucherify-signature") != format.HexHMAC("project-secret", r.Body) || r.URL != "https://example.com/h" {
		t.Errorf("request %s %v", r.URL, r.Header)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil || body["project_id"] != "proj_1" || body["event"] != "voucher.created" {
		t.Errorf("body %s: %v", r.Body, err)
	}
	if r.Header.Get("webhook-signature") == "" {
		t.Error("no Standard Webhooks signature")
	}
}

func TestMatchesListedEvents(t *testing.T) {
	t.Parallel()
	s := db.Subscription{Events: []string{"voucher.created", "voucher.deleted"}}
	for typ, want := range map[string]bool{"voucher.created": true, "voucher.deleted": true, "voucher.updated": false, "": false} {
		if got := (Format{}).Matches(s, format.Event{Type: typ}); got != want {
			t.Errorf("Matches(%q) = %v", typ, got)
		}
	}
}
