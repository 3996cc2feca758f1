// Package webhookd holds the service's contract, openapi.yaml, so that the binary can serve it
// exactly as written.
package webhookd

import _ "embed"

// OpenAPIYAML is openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
