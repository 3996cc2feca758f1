package delivery

import (
	"net/http"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/superoffice"
)

// SuperOfficeRequest is what NetServer sends for an event (its POST /Test call included).
// attempt counts from 0.
func SuperOfficeRequest(ev db.Event, sub db.Subscription, attempt int) (http.Header, []byte, error) {
	return superoffice.Request(ev, sub, attempt)
}
