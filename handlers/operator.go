package handlers

import (
	"log/slog"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Operator is the part of Config that serves the people running the service.
type Operator struct {
	// Registry collects /metrics; nil means a registry of the API's own. The host registers its
	// delivery engine and runtime collectors with the same one.
	Registry *prometheus.Registry
	// Inspector turns on the built-in webhook receiver (InspectorPath).
	Inspector bool
}

// operatorParts are what Operator adds to the API.
type operatorParts struct {
	metrics       Metrics
	countRequests echo.MiddlewareFunc
	inspector     Inspector
}

func (o Operator) build(operations operationTable, st kit.Store, log *slog.Logger) (operatorParts, error) {
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	metrics, count, err := newMetrics(reg, operations, st, log)
	if err != nil {
		return operatorParts{}, err
	}
	return operatorParts{metrics: metrics, countRequests: count, inspector: newInspector(o.Inspector)}, nil
}
