package delivery

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/webhookd/webhookd/internal/egress"
)

// What kind of failure an attempt was, as the attempt log stores it.
const (
	ClassNone       = "none"
	ClassTimeout    = "timeout"
	ClassConnection = "connection"
	ClassTLS        = "tls"
	ClassHTTPStatus = "http_status"
	ClassBlocked    = "blocked"
	ClassOther      = "other"
)

// Redacted stands in the attempt log for the value of a header that carries a credential.
const Redacted = "[redacted]"

// KeptBody is how much of an answer's body the attempt log keeps.
const KeptBody = 4096

// drainLimit is how much of an answer's body is read at most, kept or not, so that the
// connection can be reused; a longer body closes it.
const drainLimit = 64 << 10

// answer is what a target gave back.
type answer struct {
	status int
	header http.Header
	// body is its first KeptBody bytes; truncated tells that there was more.
	body      []byte
	truncated bool
}

// readBody keeps the first KeptBody bytes of body, reading one more to know whether there was
// more, and drains the rest up to drainLimit.
func readBody(body io.Reader) ([]byte, bool) {
	kept, _ := io.ReadAll(io.LimitReader(body, KeptBody+1))
	truncated := len(kept) > KeptBody
	if truncated {
		kept = kept[:KeptBody]
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, drainLimit-int64(len(kept))))
	return kept, truncated
}

// classify tells what kind of failure err, a call that got no answer, was.
func classify(err error) string {
	var refused *egress.RefusedAddressError
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &refused) || errors.Is(err, egress.ErrTargetNotAllowed):
		return ClassBlocked
	case errors.As(err, &certErr) || errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &record) || strings.Contains(err.Error(), "tls: ") ||
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"): // net/http's own words for a plain-HTTP target
		return ClassTLS
	case errors.As(err, &dnsErr) || errors.As(err, &opErr) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return ClassConnection
	}
	return ClassOther
}

// sensitiveWords mark a header whose value is a credential of some kind.
var sensitiveWords = []string{"token", "secret", "password", "passwd", "api-key", "apikey", "session", "credential"}

// sensitive tells whether a header carries a credential, which the attempt log must not keep:
// Arkyn's Discord bot token, a subscription's own authentication headers, a receiver's cookies.
// Signatures are kept: they prove nothing without the secret and help a receiver debug.
func sensitive(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	for _, w := range sensitiveWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// headerJSON is h as the attempt log keeps it: each header's values joined with ", ",
// credentials redacted.
func headerJSON(h http.Header) string {
	flat := make(map[string]string, len(h))
	for name, values := range h {
		if sensitive(name) {
			flat[name] = Redacted
			continue
		}
		flat[name] = strings.Join(values, ", ")
	}
	b, _ := json.Marshal(flat) // a map of strings always encodes
	return string(b)
}

// loggedURL is raw as the attempt log keeps it: a password in the URL's user information is
// redacted.
func loggedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
