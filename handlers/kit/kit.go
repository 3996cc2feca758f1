// Package kit is what every dialect of the API shares: the request's context (who called, for
// which dialect), the error model, the subscription store, secrets and paging, and API, the
// declaration through which a dialect joins the front door.
package kit

import (
	"context"

	"github.com/webhookd/webhookd/db"
)

// Dialect names the API family an operation belongs to: its tag in openapi.yaml. It decides
// the shape of every error the operation answers with.
type Dialect string

// RequestInfo travels in the request context from the front door to the handlers.
type RequestInfo struct {
	Dialect   Dialect
	RequestID string
	// BaseURL is how the caller reached the service ("https://host"), for links in responses.
	BaseURL string
	// Account is set by authentication; nil for operations without security.
	Account *db.Account
	// Caller names who authenticated, for the audit log: "admin", "portal:<session id>", or
	// the dialect's credential kind.
	Caller string
	// Rate is the caller's rate-limit window, for dialects that limit requests.
	Rate *RateState
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying info.
func WithRequestInfo(ctx context.Context, info *RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// InfoFrom returns the request's info; an empty one outside a request.
func InfoFrom(ctx context.Context) *RequestInfo {
	if info, ok := ctx.Value(requestInfoKey{}).(*RequestInfo); ok {
		return info
	}
	return &RequestInfo{}
}

// AccountFrom returns the authenticated account. Operations with security never run without
// one, because the front door rejects the request first.
func AccountFrom(ctx context.Context) db.Account {
	if a := InfoFrom(ctx).Account; a != nil {
		return *a
	}
	panic("handlers: operation ran without an authenticated account")
}

// RequestIDFrom returns the request's id, as echoed in X-Request-Id.
func RequestIDFrom(ctx context.Context) string { return InfoFrom(ctx).RequestID }
