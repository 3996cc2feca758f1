package bird

import (
	"testing"
	"time"

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
