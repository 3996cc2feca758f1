package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
)

// targetTester calls a webhook's target the way a delivery would, for SuperOffice's POST /Test.
type targetTester struct {
	client *http.Client
}

// newTargetTester calls targets through transport, which must apply the delivery engine's
// SSRF guard (delivery.NewTransport): a test call must not reach into the service's network.
func newTargetTester(transport http.RoundTripper) *targetTester {
	return &targetTester{client: &http.Client{
		Transport: transport,
		Timeout:   10 * time.Second,
		// A redirect could lead anywhere; a delivery does not follow it either.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// test POSTs a "test" event to the target and reports whether it answered 2xx.
func (t *targetTester) test(ctx context.Context, f soFields, account db.Account) (bool, string) {
	eventID := uuid.NewString()
	payload := map[string]any{
		"EventId":              eventID,
		"Timestamp":            time.Now().UTC().Format(time.RFC3339Nano),
		"Changes":              []string{},
		"Event":                "test",
		"PrimaryKey":           0,
		"Entity":               "webhook",
		"ContextIdentifier":    account.ID.String(),
		"ChangedByAssociateId": 0,
		"WebhookName":          f.Name,
	}
	var properties map[string]any
	_ = json.Unmarshal(f.Properties, &properties)
	for k, v := range properties {
		payload[k] = v
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return false, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.Url, bytes.NewReader(body))
	if err != nil {
		return false, "TargetUrl cannot be called: " + err.Error()
	}
	var headers map[string]string
	_ = json.Unmarshal(f.Headers, &headers)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "NetServer-Webhook/1.0")
	req.Header.Set("X-SuperOffice-Event", "test")
	req.Header.Set("X-SuperOffice-EventId", eventID)
	if f.Secret != "" {
		mac := hmac.New(sha256.New, []byte(f.Secret))
		mac.Write(body)
		req.Header.Set("X-SuperOffice-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	resp, err := t.client.Do(req)
	if err != nil {
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return false, "TargetUrl did not answer within 10 seconds"
		}
		return false, "TargetUrl cannot be reached: " + err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return false, "TargetUrl answered " + resp.Status
	}
	return true, "TargetUrl answered " + strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
}
