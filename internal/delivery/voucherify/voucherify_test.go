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
	// As the documentation lists them: 1, 2, 4, 8, 16, 32 min, 1h4m, 2h8m, 4h16m, 8h32m,
	// 17h4m, 24h, and no thirteenth retry.
	documented := []string{"1m", "2m", "4m", "8m", "16m", "32m", "1h4m", "2h8m", "4h16m", "8h32m", "17h4m", "24h"}
	for i, d := range documented {
		want, _ := time.ParseDuration(d)
		if got, retry := (Format{}).Retry(i+1, 0); got != want || !retry {
			t.Errorf("Retry(%d) = %v, %v; want %v, true", i+1, got, retry, want)
		}
	}
	for _, failures := range []int{0, len(documented) + 1} {
		if got, retry := (Format{}).Retry(failures, 0); retry {
			t.Errorf("Retry(%d) = %v, true; want no retry", failures, got)
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
	r, err := Format{}.Request(m)
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

// The envelope is {id, project_id, created_at, type, data, source, event}, and
// x-voucherify-signature the hex HMAC-SHA256 of those exact bytes with the project's secret.
func TestEnvelopeAndSignature(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("7d2c4e8a-3b1f-4c6d-9e0a-1b2c3d4e5f60")
	for _, c := range []struct {
		typ, data       string
		created         time.Time
		project, secret string
		body, signature string
	}{
		{"voucher.created", `{"code":"A<B"}`, time.Unix(1700000000, 0), "proj_1", "project-secret",
			`{"created_at":"2023-11-14T22:13:20Z","data":{"code":"A<B"},"event":"voucher.created","id":"7d2c4e8a-3b1f-4c6d-9e0a-1b2c3d4e5f60","project_id":"proj_1","source":{"channel":"API"},"type":"voucher.created"}`,
			"14cfb95c526eb5b3e4f494a7918f944d6efaf4b39ff5bec9592aca6d10e23aae"},
		{"voucher.deleted", `{"code": "X", "n": [1, 2]}`, time.Unix(1700000000, 5e8), "proj_2", "other-secret",
			`{"created_at":"2023-11-14T22:13:20.5Z","data":{"code":"X","n":[1,2]},"event":"voucher.deleted","id":"7d2c4e8a-3b1f-4c6d-9e0a-1b2c3d4e5f60","project_id":"proj_2","source":{"channel":"API"},"type":"voucher.deleted"}`,
			"75e846a6467773e09ce78212c34308c4c03de2c3a74e033ef3ae8b0117144db0"},
	} {
		r, err := Format{}.Request(format.Message{
			Event:        db.Event{ID: id, Type: c.typ, Data: db.JSON(c.data), CreatedAt: c.created},
			Subscription: db.Subscription{Url: "https://example.com/h"},
			Scope:        db.Scope{ExternalID: c.project, Secret: c.secret},
			DeliveryID:   uuid.New(), Now: time.Now(),
		})
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Body) != c.body {
			t.Errorf("%s body\n%s\nwant\n%s", c.typ, r.Body, c.body)
		}
		if got := r.Header.Get("X-Voucherify-Signature"); got != c.signature {
			t.Errorf("%s: x-voucherify-signature = %s, want %s", c.typ, got, c.signature)
		}
	}
}
