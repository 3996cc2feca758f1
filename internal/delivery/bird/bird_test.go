package bird

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
)

func TestRetryDoublesWithinTheWindow(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		failures int
		elapsed  time.Duration
		want     time.Duration
		retry    bool
	}{
		{1, 0, 30 * time.Second, true},
		{2, time.Minute, time.Minute, true},
		{4, 10 * time.Minute, 4 * time.Minute, true},
		{8, time.Hour, time.Hour, true}, // 30 s << 7 is capped at an hour
		{20, 6 * time.Hour, time.Hour, true},
		{20, 7*time.Hour + time.Second, 0, false}, // the next attempt would fall after 8 hours
	} {
		got, retry := Format{}.Retry(c.failures, c.elapsed)
		if got != c.want || retry != c.retry {
			t.Errorf("Retry(%d, %v) = %v, %v; want %v, %v", c.failures, c.elapsed, got, retry, c.want, c.retry)
		}
	}
}

func TestMatchesItsEventAndEveryFilter(t *testing.T) {
	t.Parallel()
	s := db.Subscription{Events: []string{"sms.outbound"}, Filters: db.JSON(`[{"key":"channelId","value":"c1"}]`)}
	for _, c := range []struct {
		ev   format.Event
		want bool
	}{
		{format.Event{Type: "sms.outbound", Attributes: map[string]string{"channelId": "c1"}}, true},
		{format.Event{Type: "sms.outbound", Attributes: map[string]string{"channelId": "c2"}}, false},
		{format.Event{Type: "sms.outbound"}, false},
		{format.Event{Type: "sms.inbound", Attributes: map[string]string{"channelId": "c1"}}, false},
	} {
		if got := (Format{}).Matches(s, c.ev); got != c.want {
			t.Errorf("Matches(%+v) = %v", c.ev, got)
		}
	}
}

func TestSignature(t *testing.T) {
	t.Parallel()
	// Independently: base64(HMAC-SHA256(key, "1700000000\nhttps://x/h\n" + sha256(body))).
	const want = "8gOYhUwtM5TsXWI0r6Vjtb+/dmcgoQlWudxGJBJFBcs="
	if got := Signature("key", "1700000000", "https://x/h", []byte(`{}`)); got != want {
		t.Errorf("Signature = %s, want %s", got, want)
	}
}

// The envelope is {service, event, payload}; only a subscription with a signingKey is signed,
// with messagebird-signature over the timestamp, the URL and the body's SHA-256.
func TestRequestIsSignedOnlyWithAKey(t *testing.T) {
	t.Parallel()
	const body = `{"event":"sms.outbound","payload":{"to":"+31"},"service":"channels"}`
	for _, c := range []struct {
		key, signature string
	}{
		// Computed independently from the documented algorithm.
		{"bird-key", "LigYzNHe9g7g9lP/vXwkn44Jv4Wxl3e6SzgxaZQbx84="},
		{"", ""},
	} {
		m := format.Message{
			Event:        db.Event{Type: "sms.outbound", Data: db.JSON(`{"to": "+31"}`)},
			Subscription: db.Subscription{Service: "channels", Url: "https://example.com/hook?x=1", Secret: c.key},
			DeliveryID:   uuid.New(), RequestID: "req-1", Now: time.Unix(1700000000, 0),
		}
		r, err := Format{}.Request(m)
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Body) != body || r.URL != m.Subscription.Url {
			t.Errorf("key %q: %s %s", c.key, r.URL, r.Body)
		}
		want := map[string]string{"Messagebird-Signature": c.signature, "Messagebird-Request-Timestamp": "", "Messagebird-Request-Id": ""}
		if c.key != "" {
			want["Messagebird-Request-Timestamp"], want["Messagebird-Request-Id"] = "1700000000", "req-1"
		}
		for k, v := range want {
			if got := r.Header.Get(k); got != v {
				t.Errorf("key %q: %s = %q, want %q", c.key, k, got, v)
			}
		}
		if signed := r.Header.Get("Webhook-Signature") != ""; signed != (c.key != "") {
			t.Errorf("key %q: webhook-signature %q", c.key, r.Header.Get("Webhook-Signature"))
		}
	}
}

func TestGiveUpDeactivatesWithTheLastError(t *testing.T) {
	t.Parallel()
	status, reason := Format{}.GiveUp(12, 1, "answered 503")
	if status != "inactive" || !strings.HasSuffix(reason, "last error: answered 503") {
		t.Errorf("GiveUp = %q, %q", status, reason)
	}
}
