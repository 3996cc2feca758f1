package inspector

import (
	"github.com/webhookd/webhookd/handlers/admin"
	"github.com/webhookd/webhookd/handlers/kit"
)

// API is the built-in receiver, in the service's own words; it takes whole deliveries.
func API() kit.API { return admin.Shaped("inspector", []string{"/inspector/"}, maxBodyBytes) }
