// Package system is what the service answers for its operators: the health probe and the
// Prometheus metrics.
package system

import (
	"github.com/webhookd/webhookd/handlers/admin"
	"github.com/webhookd/webhookd/handlers/kit"
)

// API is the system operations (health, metrics, docs and the contract), in the service's own
// words; it also words the errors of paths that belong to no dialect.
func API() kit.API { return admin.Shaped("system", nil, 64<<10) }
