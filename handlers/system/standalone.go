package system

import (
	"database/sql"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/frontdoor"
	"github.com/webhookd/webhookd/handlers/kit"
	"github.com/webhookd/webhookd/internal/egress"
)

// standaloneOperations are the operations NewStandalone serves, by path, named as in
// openapi.yaml so that its request metrics read like those of the whole API.
var standaloneOperations = map[string]string{"/healthz": "getHealth", "/metrics": "getMetrics"}

// standalone is the strict server of NewStandalone: Health and Metrics answer; its routes
// reach no other operation, so unrouted stays nil (one level deeper, so it does not shadow them).
type standalone struct {
	Health
	Metrics
	unrouted
}

type unrouted struct{ gen.StrictServerInterface }

// NewStandalone serves only the health probe and the metrics, for an instance that serves no
// API (a delivery worker): every other request gets a 404 (405 for another method) in the
// system operations' words. It is not the whole API behind a filter: that would need an admin
// token and build every dialect's room for requests it never routes to them.
func NewStandalone(conn *sql.DB, reg *prometheus.Registry, log *slog.Logger) (*echo.Echo, error) {
	operation := func(c echo.Context) (string, bool) {
		op, ok := standaloneOperations[c.Path()]
		return op, ok
	}
	// The store only feeds the queue and pool metrics; no webhook is registered here.
	st := kit.NewStore(conn, kit.NewTargetPolicy(egress.Policy{}))
	metrics, countRequests, err := NewMetrics(reg, operation, st, log)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = frontdoor.ErrorHandler(log, API())
	e.Pre(frontdoor.DropUnsafeRequestID)
	e.Use(countRequests, frontdoor.RequestID(), frontdoor.RequestLogger(log), middleware.Recover())
	w := &gen.ServerInterfaceWrapper{Handler: gen.NewStrictHandler(standalone{Health: NewHealth(conn), Metrics: metrics}, nil)}
	e.GET("/healthz", w.GetHealth)
	e.GET("/metrics", w.GetMetrics)
	return e, nil
}
