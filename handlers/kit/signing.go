package kit

// Signing is what rotating a dialect's signing secret needs to know of it: the secrets it
// takes, how it makes one, and whose the secret is. A dialect whose deliveries are not signed
// (Arkyn's Discord messages) has none.
type Signing struct {
	// Check returns an *InvalidError (path "secret", a message without the secret) when secret
	// breaks the dialect's own rules.
	Check func(secret string) error
	// New makes a random secret in the dialect's format.
	New func() string
	// ScopeHeld: the secret is the scope's and signs all its subscriptions (a Voucherify
	// project's), so rotating it for one subscription rotates it for all of them.
	ScopeHeld bool
}

// AnySecret is the rule of a dialect that takes any non-empty secret.
func AnySecret(secret string) error {
	if secret == "" {
		return Invalid("secret", "must not be empty")
	}
	return nil
}
