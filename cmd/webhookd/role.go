package main

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/frontdoor"
	"github.com/webhookd/webhookd/handlers/kit"
	"github.com/webhookd/webhookd/handlers/system"
	"github.com/webhookd/webhookd/internal/egress"
)

// Role is what an instance does (WEBHOOKS_ROLE): API nodes and delivery workers scale apart,
// sharing one database.
type Role string

const (
	// RoleAPI serves every operation and never delivers: what it ingests waits for a worker.
	RoleAPI Role = "api"
	// RoleWorker delivers and serves only the operator endpoints, /healthz and /metrics.
	RoleWorker Role = "worker"
	// RoleAll does both.
	RoleAll Role = "all"
)

// servesAPI says whether the instance serves the APIs (and so needs the admin token).
func (r Role) servesAPI() bool { return r != RoleWorker }

// delivers says whether the instance runs the delivery engine.
func (r Role) delivers() bool { return r != RoleAPI }

// operatorOperations are the operations a worker serves, by path, named as in openapi.yaml so
// that its request metrics read like an API node's.
var operatorOperations = map[string]string{"/healthz": "getHealth", "/metrics": "getMetrics"}

// operatorOnly is the strict server of a worker: the health probe and the metrics. Its routes
// reach no other operation, so the embedded interface stays nil.
type operatorOnly struct {
	gen.StrictServerInterface
	health  system.Health
	metrics system.Metrics
}

func (o operatorOnly) GetHealth(ctx context.Context, req gen.GetHealthRequestObject) (gen.GetHealthResponseObject, error) {
	return o.health.GetHealth(ctx, req)
}

func (o operatorOnly) GetMetrics(ctx context.Context, req gen.GetMetricsRequestObject) (gen.GetMetricsResponseObject, error) {
	return o.metrics.GetMetrics(ctx, req)
}

// newOperatorHandler serves a worker's PORT: /healthz and /metrics from handlers/system, and
// every other request a 404 (405 for another method) in the service's own error body, as the
// system operations word errors. It is not the whole API behind a filter: that would need an
// admin token and build every dialect's room for requests it never routes to them.
func newOperatorHandler(conn *sql.DB, reg *prometheus.Registry, log *slog.Logger) (*echo.Echo, error) {
	operation := func(c echo.Context) (string, bool) {
		op, ok := operatorOperations[c.Path()]
		return op, ok
	}
	// The store only feeds the queue and pool metrics; a worker registers no webhooks.
	st := kit.NewStore(conn, kit.NewTargetPolicy(egress.Policy{}))
	metrics, countRequests, err := system.NewMetrics(reg, operation, st, log)
	if err != nil {
		return nil, err
	}
	words := system.API()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, message := http.StatusInternalServerError, "internal server error"
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code < http.StatusInternalServerError {
			status, message = he.Code, strings.ToLower(http.StatusText(he.Code))
		} else {
			log.Error("request failed", "error", err, "method", c.Request().Method, "path", c.Request().URL.Path)
		}
		if werr := words.Failure(c, status, message); werr != nil {
			log.Error("writing error response", "error", werr)
		}
	}
	e.Pre(frontdoor.DropUnsafeRequestID)
	e.Use(countRequests, frontdoor.RequestID(), frontdoor.RequestLogger(log), middleware.Recover())
	w := &gen.ServerInterfaceWrapper{Handler: gen.NewStrictHandler(operatorOnly{health: system.NewHealth(conn), metrics: metrics}, nil)}
	e.GET("/healthz", w.GetHealth)
	e.GET("/metrics", w.GetMetrics)
	return e, nil
}
