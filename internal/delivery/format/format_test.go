package format

import (
	"database/sql"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/webhookd/webhookd/db"
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
		if err := SignStandard(&r, m, Secrets{Current: c.secret}); err != nil {
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

// A rotation's previous secret signs only while its window is open at signing time, and only
// beside a current secret.
func TestSecretsFollowTheWindow(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	open := sql.NullTime{Time: now.Add(time.Second), Valid: true}
	for _, c := range []struct {
		name string
		sub  db.Subscription
		want Secrets
	}{
		{"no rotation", db.Subscription{Secret: "new"}, Secrets{Current: "new"}},
		{"window open", db.Subscription{Secret: "new", PreviousSecret: "old", PreviousSecretUntil: open}, Secrets{Current: "new", Previous: "old"}},
		{"window ended", db.Subscription{Secret: "new", PreviousSecret: "old", PreviousSecretUntil: sql.NullTime{Time: now, Valid: true}}, Secrets{Current: "new"}},
		{"no current secret", db.Subscription{PreviousSecret: "old", PreviousSecretUntil: open}, Secrets{}},
	} {
		m := Message{Subscription: c.sub, Scope: db.Scope{Secret: c.sub.Secret, PreviousSecret: c.sub.PreviousSecret, PreviousSecretUntil: c.sub.PreviousSecretUntil}, Now: now}
		if got := m.SubscriptionSecrets(); got != c.want {
			t.Errorf("%s: SubscriptionSecrets = %+v, want %+v", c.name, got, c.want)
		}
		if got := m.ScopeSecrets(); got != c.want {
			t.Errorf("%s: ScopeSecrets = %+v, want %+v", c.name, got, c.want)
		}
	}
}

// A single-value header keeps the previous secret's signature during the window and the
// -Next header carries the current one's; outside the window only the vendor's header is set.
func TestSignHeader(t *testing.T) {
	t.Parallel()
	sign := func(key string) string { return "sig(" + key + ")" }
	for _, c := range []struct {
		secrets Secrets
		vendor  string
		next    string
	}{
		{Secrets{Current: "new"}, "sig(new)", ""},
		{Secrets{Current: "new", Previous: "old"}, "sig(old)", "sig(new)"},
		{Secrets{}, "", ""},
	} {
		h := http.Header{}
		SignHeader(h, "x-vendor-signature", c.secrets, sign)
		if h.Get("X-Vendor-Signature") != c.vendor || h.Get("X-Vendor-Signature-Next") != c.next || len(h) > 2 {
			t.Errorf("%+v: headers %v, want %q and next %q", c.secrets, h, c.vendor, c.next)
		}
	}
}

// During a window webhook-signature lists both signatures, new first; a Standard Webhooks
// receiver holding either secret verifies the message.
func TestSignStandardDuringAWindow(t *testing.T) {
	t.Parallel()
	m := Message{DeliveryID: uuid.MustParse("0f8fad5b-d9cb-469f-a165-70867728950e"), Now: time.Now()}
	r := JSONRequest("https://example.com/h", []byte(`{"test": 2432232314}`))
	if err := SignStandard(&r, m, Secrets{Current: "new-secret", Previous: "old-secret"}); err != nil {
		t.Fatal(err)
	}
	sigs := strings.Split(r.Header.Get("webhook-signature"), " ")
	if len(sigs) != 2 || !strings.HasPrefix(sigs[0], "v1,") || !strings.HasPrefix(sigs[1], "v1,") {
		t.Fatalf("webhook-signature = %q, want two v1 signatures", r.Header.Get("webhook-signature"))
	}
	for _, secret := range []string{"new-secret", "old-secret"} {
		wh, err := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString([]byte(secret)))
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(r.Body, r.Header); err != nil {
			t.Errorf("%s does not verify: %v", secret, err)
		}
	}
	wh, _ := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString([]byte("other-secret")))
	if wh.Verify(r.Body, r.Header) == nil {
		t.Error("a third secret verifies")
	}
}
