package superoffice

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/handlers/kit"
	"github.com/webhookd/webhookd/internal/delivery/format"
	sodelivery "github.com/webhookd/webhookd/internal/delivery/superoffice"
	"github.com/webhookd/webhookd/internal/egress"
)

// targetTester calls a webhook's target the way a delivery would, for SuperOffice's POST /Test.
type targetTester struct {
	client *http.Client
}

// newTargetTester calls targets through transport, which must apply the egress policy
// (egress.Policy.Transport): a test call must not reach into the service's network.
func newTargetTester(transport http.RoundTripper) *targetTester {
	return &targetTester{client: &http.Client{
		Transport: transport,
		Timeout:   10 * time.Second,
		// A redirect could lead anywhere; a delivery does not follow it either.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// test POSTs a "test" event to the target, formatted and signed as a delivery is, and reports
// whether it answered 2xx.
func (t *targetTester) test(ctx context.Context, f soFields, account db.Account) (bool, string) {
	ev := db.Event{ID: uuid.New(), AccountID: account.ID, Type: "test", Data: db.JSON(`{"Entity": "webhook"}`), CreatedAt: time.Now()}
	sub := db.Subscription{Name: f.Name, Url: f.Url, Secret: kit.Deref(f.Secret), Headers: f.Headers, Properties: f.Properties}
	header, body, err := sodelivery.Request(ev, sub, 0, format.Secrets{Current: sub.Secret})
	if err != nil {
		return false, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.Url, bytes.NewReader(body))
	if err != nil {
		return false, "TargetUrl cannot be called: " + err.Error()
	}
	req.Header = header
	resp, err := t.client.Do(req)
	if err != nil {
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return false, "TargetUrl did not answer within 10 seconds"
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without net/http's "Post <url>:" prefix
		}
		return false, "TargetUrl cannot be reached: " + egress.CallError(err).Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return false, "TargetUrl answered " + resp.Status
	}
	return true, "TargetUrl answered " + strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
}
