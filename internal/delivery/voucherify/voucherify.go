// Package voucherify delivers events as Voucherify's webhooks: signed with the project's
// secret (during a rotation's window, x-voucherify-signature by the previous secret and
// x-voucherify-signature-next by the new one), retried twelve times over about two days, then the webhook is deactivated.
package voucherify

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
)

// Name is the dialect as subscriptions store it.
const Name = "voucherify"

// Retries are the delays before retry n (n = 1 after the first failure).
var Retries = []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
	32 * time.Minute, 64 * time.Minute, 128 * time.Minute, 256 * time.Minute, 512 * time.Minute, 1024 * time.Minute, 24 * time.Hour}

// Format is Voucherify's delivery format.
type Format struct{}

func (Format) Name() string { return Name }

func (Format) Request(m format.Message) (format.Request, error) {
	ev := m.Event
	body, err := format.Marshal(map[string]any{
		"id": ev.ID.String(), "project_id": m.Scope.ExternalID, "created_at": ev.CreatedAt.UTC().Format(time.RFC3339Nano),
		"type": ev.Type, "data": json.RawMessage(ev.Data), "source": map[string]string{"channel": "API"}, "event": ev.Type,
	})
	if err != nil {
		return format.Request{}, err
	}
	r := format.JSONRequest(m.Subscription.Url, body)
	secrets := m.ScopeSecrets()
	format.SignHeader(r.Header, "x-voucherify-signature", secrets, func(key string) string { return format.HexHMAC(key, body) })
	return r, format.SignStandard(&r, m, secrets)
}

func (Format) Retry(failures int, _ time.Duration) (time.Duration, bool) {
	return format.FromSchedule(Retries, failures)
}

func (Format) GiveUp(attempts, _ int, _ string) (string, string) {
	return "inactive", fmt.Sprintf("deactivated after %d failed retries", attempts-1)
}

func (Format) Matches(s db.Subscription, ev format.Event) bool {
	return slices.Contains(s.Events, ev.Type)
}
