package kit

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomAlphanumeric returns n characters drawn uniformly from [A-Za-z0-9].
func RandomAlphanumeric(n int) string {
	out := make([]byte, n)
	buf := make([]byte, 1)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on Linux
		}
		// Rejection sampling keeps the distribution uniform.
		if int(buf[0]) >= 256-256%len(alphanumerics) {
			continue
		}
		out[i] = alphanumerics[int(buf[0])%len(alphanumerics)]
		i++
	}
	return string(out)
}

// NewSecret returns 32 random bytes, hex-encoded: enough entropy that a fast digest is a safe
// way to store it.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Digest is how secrets are stored.
func Digest(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// EqualDigest compares digests in constant time.
func EqualDigest(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// Slug reduces a name to lower-case letters, digits and dashes.
func Slug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "account"
	}
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	return s
}
