package format

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Marshal encodes a delivery body as JSON with <, >, & and U+2028/U+2029 left as they are:
// json.Marshal's HTML escaping would change the text the event carried. Signatures are computed
// over these exact bytes.
func Marshal(v any) ([]byte, error) {
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

// HexHMAC is the hex HMAC-SHA256 of msg.
func HexHMAC(key string, msg []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

// Base64HMAC is the base64 HMAC-SHA256 of msg.
func Base64HMAC(key string, msg []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(msg)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// JSONRequest is a JSON POST to url with the User-Agent the service sends as itself.
func JSONRequest(url string, body []byte) Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "webhookd/1")
	return Request{URL: url, Header: h, Body: body}
}

// NextSuffix ends the name of the header that carries the current secret's signature beside a
// vendor's single-value signature header during a rotation's window.
const NextSuffix = "-Next"

// SignHeader sets the vendor's signature header name to sign's signature with the current
// secret. During a rotation's window name keeps the previous secret's signature, so receivers
// that have not switched keep verifying, and name + "-Next" carries the current secret's; after
// the window only name remains, signed with the current secret. Without a secret nothing is set.
func SignHeader(h http.Header, name string, s Secrets, sign func(key string) string) {
	switch {
	case s.Current == "":
	case s.Previous == "":
		h.Set(name, sign(s.Current))
	default:
		h.Set(name, sign(s.Previous))
		h.Set(name+NextSuffix, sign(s.Current))
	}
}

// SignStandard makes an HTTP delivery also a Standard Webhooks message, signed with the current
// secret, so receivers can verify it with any Standard Webhooks library: the library's secret is
// "whsec_" + base64 of that secret. During a rotation's window webhook-signature carries both
// signatures, "v1,<current> v1,<previous>", space-separated as the standard allows: a receiver
// holding either secret verifies.
func SignStandard(r *Request, m Message, s Secrets) error {
	messageID := "msg_" + m.DeliveryID.String()
	r.Header.Set("webhook-id", messageID)
	r.Header.Set("webhook-timestamp", strconv.FormatInt(m.Now.Unix(), 10))
	if s.Current == "" {
		return nil
	}
	sig, err := standardSignature(s.Current, messageID, m, r.Body)
	if err != nil {
		return err
	}
	if s.Previous != "" {
		previous, err := standardSignature(s.Previous, messageID, m, r.Body)
		if err != nil {
			return err
		}
		sig += " " + previous
	}
	r.Header.Set("webhook-signature", sig)
	return nil
}

func standardSignature(secret, messageID string, m Message, body []byte) (string, error) {
	wh, err := standardwebhooks.NewWebhookRaw([]byte(secret))
	if err != nil {
		return "", err
	}
	return wh.Sign(messageID, m.Now, body)
}
