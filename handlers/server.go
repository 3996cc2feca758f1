// Package handlers implements the generated strict server: one type per dialect, composed into
// Server, plus the request validation, authentication and error rendering they share.
package handlers

import (
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/arkyn"
	"github.com/webhookd/webhookd/handlers/bird"
	"github.com/webhookd/webhookd/handlers/shipping"
	"github.com/webhookd/webhookd/handlers/superoffice"
	"github.com/webhookd/webhookd/handlers/voucherify"
)

// Server answers every operation of openapi.yaml.
type Server struct {
	Health
	Docs
	Admin
	voucherify.Voucherify
	bird.Bird
	arkyn.Arkyn
	shipping.Shipping
	superoffice.SuperOffice
	Ingest
	Metrics
	Inspector
}

var _ gen.StrictServerInterface = (*Server)(nil)
