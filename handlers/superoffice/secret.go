package superoffice

import (
	"unicode/utf8"

	"github.com/webhookd/webhookd/handlers/kit"
)

// secretMaxLength is the longest Secret NetServer's Webhook entity takes.
const secretMaxLength = 255

// checkSecret applies SuperOffice's rule to a Secret given elsewhere (a rotation). An empty
// Secret leaves a webhook unsigned, which a rotation cannot mean.
func checkSecret(secret string) error {
	switch n := utf8.RuneCountInString(secret); {
	case n == 0:
		return kit.Invalid("secret", "must not be empty")
	case n > secretMaxLength:
		return kit.Invalid("secret", "may not be greater than 255 characters")
	}
	return nil
}
