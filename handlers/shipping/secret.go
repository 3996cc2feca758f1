package shipping

import (
	"unicode/utf8"

	"github.com/webhookd/webhookd/handlers/kit"
)

// Shipping's rule for a secret, as ShippingSecret in openapi.yaml states it for its own
// operations (where "" means "generate" or "keep").
const (
	secretMinLength = 8
	secretMaxLength = 255
)

// checkSecret applies Shipping's rule to a secret given elsewhere (a rotation).
func checkSecret(secret string) error {
	switch n := utf8.RuneCountInString(secret); {
	case n < secretMinLength:
		return kit.Invalid("secret", "must be at least 8 characters")
	case n > secretMaxLength:
		return kit.Invalid("secret", "may not be greater than 255 characters")
	}
	return nil
}
