package kit

import (
	"context"
	"log/slog"
	"strings"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// Auditor records the actions that steer an account's deliveries or hand out access to it
// (resend, recover, rotate, portal sessions): who, when and what, as one log line and one
// count per action in /metrics.
type Auditor struct {
	log     *slog.Logger
	actions *prometheus.CounterVec
}

// NewAuditor returns an auditor that logs to log and counts in reg.
func NewAuditor(log *slog.Logger, reg prometheus.Registerer) (*Auditor, error) {
	a := &Auditor{log: log, actions: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "webhookd_audit_actions_total",
		Help: "Audited actions taken on accounts, by action and by who took them (admin or portal).",
	}, []string{"action", "caller"})}
	if err := reg.Register(a.actions); err != nil {
		return nil, err
	}
	return a, nil
}

// Record notes that the request's caller took action on account; attrs say what to (ids,
// counts), never secrets. The time is the log line's.
func (a *Auditor) Record(ctx context.Context, action string, account uuid.UUID, attrs ...slog.Attr) {
	info := InfoFrom(ctx)
	caller := info.Caller
	if caller == "" {
		caller = "unknown"
	}
	a.actions.WithLabelValues(action, callerKind(caller)).Inc()
	all := append([]slog.Attr{slog.String("action", action), slog.String("caller", caller),
		slog.String("account_id", account.String()), slog.String("request_id", info.RequestID)}, attrs...)
	a.log.LogAttrs(ctx, slog.LevelInfo, "audit", all...)
}

// callerKind keeps the counter's label set small: "portal:<session>" counts as "portal".
func callerKind(caller string) string {
	kind, _, _ := strings.Cut(caller, ":")
	return kind
}
