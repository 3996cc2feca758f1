// Package bird delivers events as Bird's webhooks: signed with messagebird-signature when the
// subscription has a key (during a rotation's window, by the previous key, and
// messagebird-signature-next by the new one), retried with doubling delays for eight hours, then deactivated.
package bird

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"strconv"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
)

// Name is the dialect as subscriptions store it.
const Name = "bird"

// RetryWindow is how long Bird keeps retrying a delivery.
const RetryWindow = 8 * time.Hour

// Format is Bird's delivery format.
type Format struct{}

func (Format) Name() string { return Name }

func (Format) Request(m format.Message) (format.Request, error) {
	sub := m.Subscription
	body, err := format.Marshal(map[string]any{"service": sub.Service, "event": m.Event.Type, "payload": json.RawMessage(m.Event.Data)})
	if err != nil {
		return format.Request{}, err
	}
	r := format.JSONRequest(sub.Url, body)
	secrets := m.SubscriptionSecrets()
	if secrets.Current != "" {
		ts := strconv.FormatInt(m.Now.Unix(), 10)
		r.Header.Set("messagebird-request-timestamp", ts)
		r.Header.Set("messagebird-request-id", m.RequestID)
		format.SignHeader(r.Header, "messagebird-signature", secrets, func(key string) string { return Signature(key, ts, sub.Url, body) })
	}
	return r, format.SignStandard(&r, m, secrets)
}

// Retry doubles from 30 s, capped at an hour, while the next attempt falls within the window.
func (Format) Retry(failures int, elapsed time.Duration) (time.Duration, bool) {
	d := min(30*time.Second<<min(failures-1, 7), time.Hour)
	if elapsed+d > RetryWindow {
		return 0, false
	}
	return d, true
}

func (Format) GiveUp(_, _ int, lastError string) (string, string) {
	return "inactive", "deliveries kept failing for 8 hours; last error: " + lastError
}

// Matches holds when the subscription's one event is the event's and every filter holds.
func (Format) Matches(s db.Subscription, ev format.Event) bool {
	if len(s.Events) == 0 || s.Events[0] != ev.Type {
		return false
	}
	var filters []struct{ Key, Value string }
	if err := json.Unmarshal(s.Filters, &filters); err != nil {
		return false
	}
	for _, f := range filters {
		if v, ok := ev.Attributes[f.Key]; !ok || v != f.Value {
			return false
		}
	}
	return true
}

// Signature is Bird's messagebird-signature: base64 HMAC-SHA256 over the timestamp, the
// request URL and the SHA-256 of the body, newline-separated.
func Signature(key, timestamp, url string, body []byte) string {
	sum := sha256.Sum256(body)
	var msg bytes.Buffer
	msg.WriteString(timestamp + "\n" + url + "\n")
	msg.Write(sum[:])
	return format.Base64HMAC(key, msg.Bytes())
}
