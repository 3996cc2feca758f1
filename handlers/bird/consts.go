package bird

import "github.com/webhookd/webhookd/handlers/kit"

const (
	// Dialect is the bird tag of openapi.yaml.
	Dialect kit.Dialect = "bird"
	// ScopeDialect marks a workspace in the scopes table.
	ScopeDialect   = "bird"
	credentialBird = "bird"
)
