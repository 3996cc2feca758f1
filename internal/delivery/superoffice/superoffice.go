// Package superoffice delivers events as SuperOffice NetServer's webhooks: three attempts per
// delivery, and a webhook stops after nine failed deliveries in a row.
package superoffice

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
)

// Name is the dialect as subscriptions store it.
const Name = "superoffice"

// Retries: three attempts per delivery, 1 s and 4 s apart.
var Retries = []time.Duration{time.Second, 4 * time.Second}

// MaxFailures is how many failed deliveries in a row stop a webhook.
const MaxFailures = 9

// Format is SuperOffice's delivery format.
type Format struct{}

func (Format) Name() string { return Name }

func (Format) Request(m format.Message) (format.Request, error) {
	secrets := m.SubscriptionSecrets()
	header, body, err := Request(m.Event, m.Subscription, m.Attempt, secrets)
	if err != nil {
		return format.Request{}, err
	}
	r := format.Request{URL: m.Subscription.Url, Header: header, Body: body}
	return r, format.SignStandard(&r, m, secrets)
}

func (Format) Retry(failures int, _ time.Duration) (time.Duration, bool) {
	return format.FromSchedule(Retries, failures)
}

func (Format) GiveUp(_, streak int, _ string) (string, string) {
	if streak < MaxFailures {
		return "", ""
	}
	return "too_many_errors", fmt.Sprintf("%d deliveries in a row failed", streak)
}

func (Format) Matches(s db.Subscription, ev format.Event) bool {
	return slices.Contains(s.Events, ev.Type)
}

// Request is what NetServer sends for an event: its body, the webhook's Headers and the
// X-SuperOffice-* headers, X-SuperOffice-Signature signed with secrets (during a rotation's
// window by the previous Secret, and X-SuperOffice-Signature-Next by the new one). attempt
// counts from 0.
func Request(ev db.Event, sub db.Subscription, attempt int, secrets format.Secrets) (http.Header, []byte, error) {
	body, err := payload(ev, sub)
	if err != nil {
		return nil, nil, err
	}
	header := http.Header{}
	var headers map[string]string
	_ = json.Unmarshal(sub.Headers, &headers)
	for k, v := range headers {
		header.Set(k, v)
	}
	header.Set("Content-Type", "application/json")
	header.Set("User-Agent", "NetServer-Webhook/1.0")
	header.Set("X-SuperOffice-Event", ev.Type)
	header.Set("X-SuperOffice-EventId", ev.ID.String())
	header.Set("X-SuperOffice-Retry", strconv.Itoa(attempt))
	format.SignHeader(header, "X-SuperOffice-Signature", secrets, func(key string) string { return format.Base64HMAC(key, body) })
	return header, body, nil
}

// payload is NetServer's webhook body. The event's data may carry PrimaryKey, Entity, Changes,
// ContextIdentifier and ChangedByAssociateId; the subscription's Properties are injected last.
func payload(ev db.Event, sub db.Subscription) ([]byte, error) {
	var data map[string]any
	_ = json.Unmarshal(ev.Data, &data)
	entity, _, _ := strings.Cut(ev.Type, ".")
	p := map[string]any{
		"EventId":              ev.ID.String(),
		"Timestamp":            ev.CreatedAt.UTC().Format(time.RFC3339Nano),
		"Changes":              []string{},
		"Event":                ev.Type,
		"PrimaryKey":           0,
		"Entity":               entity,
		"ContextIdentifier":    ev.AccountID.String(),
		"ChangedByAssociateId": 0,
		"WebhookName":          sub.Name,
	}
	for _, k := range []string{"PrimaryKey", "Entity", "Changes", "ContextIdentifier", "ChangedByAssociateId"} {
		if v, ok := data[k]; ok {
			p[k] = v
		}
	}
	var properties map[string]any
	_ = json.Unmarshal(sub.Properties, &properties)
	for k, v := range properties {
		p[k] = v
	}
	return format.Marshal(p)
}
