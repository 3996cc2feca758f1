package handlers

import (
	"context"

	"github.com/webhookd/webhookd/db"
)

// dialect names the API family an operation belongs to: its tag in openapi.yaml. It decides
// the shape of every error the operation answers with.
type dialect string

const (
	dialectSystem     dialect = "system"
	dialectAdmin      dialect = "admin"
	dialectVoucherify dialect = "voucherify"
	dialectBird       dialect = "bird"
	dialectArkyn      dialect = "arkyn"
	dialectShipping   dialect = "shipping"
	dialectSO         dialect = "superoffice"
	dialectIngest     dialect = "ingest"
	dialectInspector  dialect = "inspector"
)

// requestInfo travels in the request context from the validation middleware to the handlers.
type requestInfo struct {
	dialect   dialect
	requestID string
	// baseURL is how the caller reached the service ("https://host"), for links in responses.
	baseURL string
	// account is set by authentication; nil for operations without security.
	account *db.Account
	// rate is the caller's rate-limit window, for dialects that limit requests.
	rate *rateState
}

type requestInfoKey struct{}

func withRequestInfo(ctx context.Context, info *requestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

func infoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// accountFrom returns the authenticated account. Operations with security never run without
// one, because validation rejects the request first.
func accountFrom(ctx context.Context) db.Account {
	if a := infoFrom(ctx).account; a != nil {
		return *a
	}
	panic("handlers: operation ran without an authenticated account")
}

func requestIDFrom(ctx context.Context) string { return infoFrom(ctx).requestID }
