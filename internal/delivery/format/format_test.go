package format

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestFromSchedule(t *testing.T) {
	t.Parallel()
	schedule := []time.Duration{time.Second, time.Minute}
	for _, c := range []struct {
		failures int
		want     time.Duration
		retry    bool
	}{
		{-1, 0, false}, {0, 0, false}, {1, time.Second, true}, {2, time.Minute, true}, {3, 0, false},
	} {
		if got, retry := FromSchedule(schedule, c.failures); got != c.want || retry != c.retry {
			t.Errorf("FromSchedule(%d) = %v, %v; want %v, %v", c.failures, got, retry, c.want, c.retry)
		}
	}
}

// RFC 4231's HMAC-SHA256 test cases 1 and 2; Voucherify signs in hex, SuperOffice in base64.
func TestHMACsMatchRFC4231(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ key, msg, hex, base64 string }{
		{strings.Repeat("\x0b", 20), "Hi There",
			"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", "sDRMYdjbOFNcqK/OrwvxK4gdwgDJgz2nJuk3bC4yz/c="},
		{"Jefe", "what do ya want for nothing?",
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="},
	} {
		if got := HexHMAC(c.key, []byte(c.msg)); got != c.hex {
			t.Errorf("HexHMAC(%q) = %s, want %s", c.msg, got, c.hex)
		}
		if got := Base64HMAC(c.key, []byte(c.msg)); got != c.base64 {
			t.Errorf("Base64HMAC(%q) = %s, want %s", c.msg, got, c.base64)
		}
	}
}

// Standard Webhooks: webhook-signature is "v1," and the base64 HMAC-SHA256, keyed with the raw
// secret, of "<webhook-id>.<webhook-timestamp>.<body>"; without a secret nothing is signed.
func TestSignStandard(t *testing.T) {
	t.Parallel()
	m := Message{DeliveryID: uuid.MustParse("0f8fad5b-d9cb-469f-a165-70867728950e"), Now: time.Unix(1614265330, 0)}
	for _, c := range []struct{ secret, signature string }{
		// Computed independently from the specification's formula.
		{"shipping-secret", "v1,LO+4EwuGHbApWzzODIkcF8U40F3Ydbuv2D3Mxkg2N1U="},
		{"", ""},
	} {
		r := JSONRequest("https://example.com/h", []byte(`{"test": 2432232314}`))
		if err := SignStandard(&r, m, c.secret); err != nil {
			t.Fatal(err)
		}
		if got := r.Header.Get("webhook-signature"); got != c.signature {
			t.Errorf("secret %q: webhook-signature = %q, want %q", c.secret, got, c.signature)
		}
		if r.Header.Get("webhook-id") != "msg_0f8fad5b-d9cb-469f-a165-70867728950e" || r.Header.Get("webhook-timestamp") != "1614265330" {
			t.Errorf("secret %q: headers %v", c.secret, r.Header)
		}
	}
}
