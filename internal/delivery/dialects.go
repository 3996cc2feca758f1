package delivery

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/webhookd/webhookd/db"
)

// The dialects as the core stores them.
const (
	DialectVoucherify  = "voucherify"
	DialectBird        = "bird"
	DialectSuperOffice = "superoffice"
	DialectShipping    = "shipping"
	DialectArkyn       = "arkyn"
	// DiscordURLPrefix is how an Arkyn webhook's Discord channel is stored as its destination.
	DiscordURLPrefix = "discord://channels/"
)

// outgoing is one request to make for a delivery.
type outgoing struct {
	url    string
	header http.Header
	body   []byte
}

// build turns a delivery into the request its vendor would send.
func (e *Engine) build(c db.GetDeliveryContextRow, deliveryID uuid.UUID, attempt int, requestID string, now time.Time) (outgoing, error) {
	ev, sub, scope := c.Event, c.Subscription, c.Scope
	data := json.RawMessage(ev.Data)
	out := outgoing{url: sub.Url, header: http.Header{}}
	out.header.Set("Content-Type", "application/json")
	out.header.Set("User-Agent", "webhookd/1")
	var err error
	secret := sub.Secret
	switch sub.Dialect {
	case DialectVoucherify:
		out.body, err = marshal(map[string]any{
			"id": ev.ID.String(), "project_id": scope.ExternalID, "created_at": ev.CreatedAt.UTC().Format(time.RFC3339Nano),
			"type": ev.Type, "data": data, "source": map[string]string{"channel": "API"}, "event": ev.Type,
		})
		secret = scope.Secret
		out.header.Set("x-voucherify-signature", hexHMAC(secret, out.body))
	case DialectBird:
		out.body, err = marshal(map[string]any{"service": sub.Service, "event": ev.Type, "payload": data})
		if sub.Secret != "" {
			ts := strconv.FormatInt(now.Unix(), 10)
			out.header.Set("messagebird-request-timestamp", ts)
			out.header.Set("messagebird-request-id", requestID)
			out.header.Set("messagebird-signature", BirdSignature(sub.Secret, ts, sub.Url, out.body))
		}
	case DialectSuperOffice:
		out.header, out.body, err = SuperOfficeRequest(ev, sub, attempt)
	case DialectShipping:
		out.body, err = marshal(map[string]any{"type": ev.Type, "timestamp": ev.CreatedAt.UTC().Format(time.RFC3339Nano), "data": data})
	case DialectArkyn:
		return e.discordMessage(ev, sub)
	default:
		return outgoing{}, fmt.Errorf("dialect %q has no delivery format", sub.Dialect)
	}
	if err != nil {
		return outgoing{}, err
	}
	// Every HTTP delivery is also a Standard Webhooks message, signed with the subscription's
	// secret (a Voucherify project's), so receivers can verify it with any Standard Webhooks
	// library: the library's secret is "whsec_" + base64 of that secret.
	messageID := "msg_" + deliveryID.String()
	out.header.Set("webhook-id", messageID)
	out.header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	if secret != "" {
		wh, err := standardwebhooks.NewWebhookRaw([]byte(secret))
		if err != nil {
			return outgoing{}, err
		}
		sig, err := wh.Sign(messageID, now, out.body)
		if err != nil {
			return outgoing{}, err
		}
		out.header.Set("webhook-signature", sig)
	}
	return out, nil
}

// marshal encodes a delivery body as JSON with <, >, & and U+2028/U+2029 left as they are:
// json.Marshal's HTML escaping would change the text the event carried. Signatures are computed
// over these exact bytes.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return unescapeSeparators(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// unescapeSeparators turns the \u2028 and \u2029 escapes encoding/json always writes back into
// the characters. Backslashes occur only inside JSON strings, each starting a two-byte escape or
// a \uXXXX one, so stepping over escapes pair by pair never misreads an escaped backslash.
func unescapeSeparators(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u202`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		if rest := b[i+1:]; bytes.HasPrefix(rest, []byte("u2028")) || bytes.HasPrefix(rest, []byte("u2029")) {
			out = utf8.AppendRune(out, 0x2028+rune(rest[4]-'8'))
			i += 5
			continue
		}
		out = append(out, b[i], b[i+1])
		i++
	}
	return out
}

// BirdSignature is Bird's messagebird-signature: base64 HMAC-SHA256 over the timestamp, the
// request URL and the SHA-256 of the body, newline-separated.
func BirdSignature(key, timestamp, url string, body []byte) string {
	sum := sha256.Sum256(body)
	var msg bytes.Buffer
	msg.WriteString(timestamp + "\n" + url + "\n")
	msg.Write(sum[:])
	return base64HMAC(key, msg.Bytes())
}

func hexHMAC(key string, msg []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

func base64HMAC(key string, msg []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(msg)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SuperOfficeRequest is what NetServer sends for an event: its body, the webhook's Headers and
// the X-SuperOffice-* headers (signed when the webhook has a Secret). attempt counts from 0.
func SuperOfficeRequest(ev db.Event, sub db.Subscription, attempt int) (http.Header, []byte, error) {
	body, err := superOfficePayload(ev, sub)
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
	if sub.Secret != "" {
		header.Set("X-SuperOffice-Signature", base64HMAC(sub.Secret, body))
	}
	return header, body, nil
}

// superOfficePayload is NetServer's webhook body. The event's data may carry PrimaryKey,
// Entity, Changes, ContextIdentifier and ChangedByAssociateId; the subscription's Properties are
// injected last.
func superOfficePayload(ev db.Event, sub db.Subscription) ([]byte, error) {
	var data map[string]any
	_ = json.Unmarshal(ev.Data, &data)
	entity, _, _ := strings.Cut(ev.Type, ".")
	payload := map[string]any{
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
			payload[k] = v
		}
	}
	var properties map[string]any
	_ = json.Unmarshal(sub.Properties, &properties)
	for k, v := range properties {
		payload[k] = v
	}
	return marshal(payload)
}

// Arkyn's embed colours by log level.
var discordColours = map[string]int{"info": 0x0ea5e9, "warning": 0xfb923c, "fatal": 0xe11d48}

// discordMessage is the message Arkyn posts to a traffic source's Discord channel.
func (e *Engine) discordMessage(ev db.Event, sub db.Subscription) (outgoing, error) {
	channel := strings.TrimPrefix(sub.Url, DiscordURLPrefix)
	var data struct {
		Method      string `json:"method"`
		Status      any    `json:"status"`
		Level       string `json:"level"`
		Description string `json:"description"`
		Pathname    string `json:"pathname"`
	}
	_ = json.Unmarshal(ev.Data, &data)
	level := strings.ToLower(data.Level)
	colour, ok := discordColours[level]
	if !ok {
		colour = discordColours["info"]
	}
	description := data.Description
	if description == "" {
		description = strings.TrimSpace(fmt.Sprintf("%s %s", ev.Type, data.Pathname))
	}
	body, err := marshal(map[string]any{"embeds": []map[string]any{{
		"title":       fmt.Sprintf("HttpTraffic - %s - %v", strings.ToUpper(data.Method), data.Status),
		"description": description,
		"color":       colour,
		"timestamp":   ev.CreatedAt.UTC().Format(time.RFC3339Nano),
	}}})
	if err != nil {
		return outgoing{}, err
	}
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set("User-Agent", "webhookd/1")
	header.Set("Authorization", "Bot "+e.cfg.DiscordBotToken)
	return outgoing{url: strings.TrimRight(e.cfg.DiscordBaseURL, "/") + "/channels/" + channel + "/messages", header: header, body: body}, nil
}

// Retry schedules: the delay before retry n (n = 1 after the first failure), as each vendor documents.
var (
	// Voucherify: 12 retries over about two days, then the webhook is deactivated.
	voucherifyRetries = []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, 64 * time.Minute, 128 * time.Minute, 256 * time.Minute, 512 * time.Minute, 1024 * time.Minute, 24 * time.Hour}
	// SuperOffice: three attempts per delivery, 1 s and 4 s apart.
	superOfficeRetries = []time.Duration{time.Second, 4 * time.Second}
	// Standard Webhooks' schedule (Shipping).
	standardRetries = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
)

const (
	// birdRetryWindow is how long Bird keeps retrying a delivery.
	birdRetryWindow = 8 * time.Hour
	// superOfficeMaxFailures is how many failed deliveries in a row stop a SuperOffice webhook.
	superOfficeMaxFailures = 9
)

// retryDelay returns the wait before the next attempt after failures attempts, or false when the
// dialect gives up. Bird retries with doubling delays (capped at an hour) within its window.
func (e *Engine) retryDelay(dialect string, failures int, firstAttempt, now time.Time) (time.Duration, bool) {
	var d time.Duration
	switch dialect {
	case DialectVoucherify:
		if failures > len(voucherifyRetries) {
			return 0, false
		}
		d = voucherifyRetries[failures-1]
	case DialectSuperOffice:
		if failures > len(superOfficeRetries) {
			return 0, false
		}
		d = superOfficeRetries[failures-1]
	case DialectShipping:
		if failures > len(standardRetries) {
			return 0, false
		}
		d = standardRetries[failures-1]
	case DialectBird:
		d = min(30*time.Second<<min(failures-1, 7), time.Hour)
		if now.Add(e.scale(d)).Sub(firstAttempt) > e.scale(birdRetryWindow) {
			return 0, false
		}
	default: // Arkyn does not retry.
		return 0, false
	}
	return e.scale(d), true
}

func (e *Engine) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * e.cfg.ScheduleScale)
}
