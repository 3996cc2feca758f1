package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery"
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

// test POSTs a "test" event to the target, formatted and signed as a delivery is, and reports
// whether it answered 2xx.
func (t *targetTester) test(ctx context.Context, f soFields, account db.Account) (bool, string) {
	ev := db.Event{ID: uuid.New(), AccountID: account.ID, Type: "test", Data: db.JSON(`{"Entity": "webhook"}`), CreatedAt: time.Now()}
	sub := db.Subscription{Name: f.Name, Url: f.Url, Secret: f.Secret, Headers: f.Headers, Properties: f.Properties}
	header, body, err := delivery.SuperOfficeRequest(ev, sub, 0)
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
		return false, "TargetUrl cannot be reached: " + delivery.CallError(err).Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return false, "TargetUrl answered " + resp.Status
	}
	return true, "TargetUrl answered " + strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
}

// targetPolicy refuses, at registration, a webhook URL whose host is a literal IP address that
// deliveries may not connect to (delivery.AddrAllowed: private, loopback, link-local,
// unspecified… unless WEBHOOKS_ALLOWED_TARGETS covers it). Host names are not resolved here, to
// keep DNS out of the request path: the delivery transport's guard checks what they resolve to
// when it connects. The zero policy checks nothing; handlers.New sets the configured one.
type targetPolicy struct {
	enforced bool
	allowed  []netip.Prefix
	exact    []netip.AddrPort
}

func newTargetPolicy(allowed []netip.Prefix, exact []netip.AddrPort) targetPolicy {
	return targetPolicy{enforced: true, allowed: allowed, exact: exact}
}

// urlPort is u's port, or its scheme's default.
func urlPort(u *url.URL) string {
	if port := u.Port(); port != "" {
		return port
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// targetRefusal is how every dialect words a refused target; it names no address but the
// caller's own.
const targetRefusal = "must not point at a private, loopback, link-local or unspecified address"

// allows reports whether raw may be stored as a webhook's target. URLs that do not parse are
// left to the dialect's URL checks.
func (p targetPolicy) allows(raw string) bool {
	if !p.enforced {
		return true
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return true
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return true // a host name, or no host at all
	}
	if port, err := strconv.ParseUint(urlPort(u), 10, 16); err == nil && slices.Contains(p.exact, netip.AddrPortFrom(ip.Unmap(), uint16(port))) {
		return true
	}
	return delivery.AddrAllowed(ip, p.allowed)
}
