package system

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// Metrics serves GET /metrics in Prometheus' text format.
type Metrics struct {
	handler http.Handler
}

// metricsResponse writes what promhttp renders; the strict server only needs a writer.
type metricsResponse struct{ handler http.Handler }

func (m metricsResponse) VisitGetMetricsResponse(w http.ResponseWriter) error {
	// A request without Accept headers: the text format, uncompressed, as documented.
	req, err := http.NewRequest(http.MethodGet, "/metrics", nil)
	if err != nil {
		return err
	}
	m.handler.ServeHTTP(w, req)
	return nil
}

// GetMetrics renders every registered metric.
func (m Metrics) GetMetrics(context.Context, gen.GetMetricsRequestObject) (gen.GetMetricsResponseObject, error) {
	return metricsResponse(m), nil
}

// OperationNamer names the operation a request was routed to (FrontDoor.OperationID).
type OperationNamer func(c echo.Context) (string, bool)

// NewMetrics registers the HTTP, queue and connection pool metrics with reg and returns the
// /metrics operation and the middleware that counts requests.
func NewMetrics(reg *prometheus.Registry, operationID OperationNamer, st kit.Store, log *slog.Logger) (Metrics, echo.MiddlewareFunc, error) {
	h := &httpMetrics{
		operationID: operationID,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webhookd_http_requests_total",
			Help: "HTTP requests by operation (operationId, or unmatched) and status.",
		}, []string{"operation", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "webhookd_http_request_duration_seconds",
			Help:    "HTTP request latency by operation and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation", "status"}),
	}
	queue := &queueCollector{q: st.Q, log: log,
		depth: prometheus.NewDesc("webhookd_delivery_queue_depth", "Deliveries due now and not claimed.", nil, nil),
		age:   prometheus.NewDesc("webhookd_delivery_queue_oldest_due_age_seconds", "How long the oldest delivery that is due and not claimed has been due (0 when none is).", nil, nil),
	}
	for _, c := range []prometheus.Collector{h.requests, h.duration, queue, collectors.NewDBStatsCollector(st.Conn, "webhookd")} {
		if err := reg.Register(c); err != nil {
			return Metrics{}, nil, fmt.Errorf("metrics: %w", err)
		}
	}
	handler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, ErrorLog: slogPrinter{log}})
	return Metrics{handler: handler}, h.middleware, nil
}

type httpMetrics struct {
	operationID OperationNamer
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
}

// middleware must come first: the request logger inside it has rendered any error by the time
// it returns, so the status written is the one the client got.
func (h *httpMetrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		op, ok := h.operationID(c)
		if !ok {
			op = "unmatched"
		}
		status := strconv.Itoa(c.Response().Status)
		h.requests.WithLabelValues(op, status).Inc()
		h.duration.WithLabelValues(op, status).Observe(time.Since(start).Seconds())
		return err
	}
}

// queueCollector reads the delivery queue on each scrape, bounded so that a slow database
// cannot hold a scrape up.
type queueCollector struct {
	q          *db.Queries
	log        *slog.Logger
	depth, age *prometheus.Desc
}

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- q.depth; ch <- q.age }

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stats, err := q.q.DeliveryQueueStats(ctx)
	if err != nil {
		q.log.Warn("metrics: reading the delivery queue", "error", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(q.depth, prometheus.GaugeValue, float64(stats.Due))
	ch <- prometheus.MustNewConstMetric(q.age, prometheus.GaugeValue, stats.OldestDueSeconds)
}

// slogPrinter lets promhttp report gathering errors through the service's logger.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn("metrics: " + fmt.Sprint(v...)) }
