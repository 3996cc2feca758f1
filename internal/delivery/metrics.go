package delivery

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts delivery attempts by dialect and outcome for /metrics. A nil *Metrics counts
// nothing.
type Metrics struct {
	attempts *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// Outcomes of one attempt.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeRetry     = "retry"
	OutcomeFailed    = "failed"
	OutcomeDropped   = "dropped"
)

// NewMetrics registers the delivery metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webhookd_deliveries_total",
			Help: "Delivery attempts by dialect and outcome (succeeded, retry, failed for good, dropped because the subscription is off).",
		}, []string{"dialect", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "webhookd_delivery_duration_seconds",
			Help:    "How long a delivery call took, by dialect and outcome.",
			Buckets: prometheus.DefBuckets,
		}, []string{"dialect", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.attempts, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) observe(dialect, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(dialect, outcome).Inc()
	if outcome != OutcomeDropped {
		m.duration.WithLabelValues(dialect, outcome).Observe(took.Seconds())
	}
}

// outcomeOf names an attempt's outcome by the delivery status it leaves behind.
func outcomeOf(status string) string {
	switch status {
	case "succeeded":
		return OutcomeSucceeded
	case "pending":
		return OutcomeRetry
	}
	return OutcomeFailed
}
