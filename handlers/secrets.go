package handlers

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"time"
)

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlphanumeric returns n characters drawn uniformly from [A-Za-z0-9].
func randomAlphanumeric(n int) string {
	return randomFrom(alphanumerics, n)
}

func randomFrom(alphabet string, n int) string {
	out := make([]byte, n)
	buf := make([]byte, 1)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on Linux
		}
		// Rejection sampling keeps the distribution uniform.
		if int(buf[0]) >= 256-256%len(alphabet) {
			continue
		}
		out[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(out)
}

// newSecret returns 32 random bytes, hex-encoded: enough entropy that a fast digest is a safe
// way to store it.
func newSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func digest(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

func equalDigest(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

func sqlTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: true} }
