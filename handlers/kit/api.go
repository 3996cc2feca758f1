package kit

import (
	"context"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// API is what the shared front door needs from one dialect: which paths are its own, how large
// its bodies may be, how it authenticates and provisions accounts, and how it words the errors
// that arise before or outside its handlers. A new vendor is one more API in the registry.
type API struct {
	Name Dialect
	// PathPrefixes claim unrouted paths, so that a 404 or 405 comes in this dialect's shape.
	PathPrefixes []string
	MaxBodyBytes int64
	// Invalid answers a request that failed validation.
	Invalid func(c echo.Context, fields []FieldError) error
	// Unauthorized answers a request without valid credentials.
	Unauthorized func(c echo.Context) error
	// Failure answers any other status (404, 405, 413, 5xx) with a generic message.
	Failure func(c echo.Context, status int, message string) error
	// Encodings, when set, let clients send and accept other encodings than JSON.
	Encodings *Encodings
	// Schemes authenticate the security schemes of openapi.yaml that the dialect uses.
	Schemes map[string]Scheme
	// Refused answers a caller whose credentials the dialect recognised but turned away for
	// err (a missing feature, a read-only key, a spent budget…); handled is false for errors it
	// does not know, which are server faults.
	Refused func(c echo.Context, err error) (handled bool, _ error)
	// Provision gives a new account what the dialect needs (scopes, credentials) and writes
	// the credentials, shown once, into out.
	Provision func(ctx context.Context, q *db.Queries, account db.Account, out *gen.AccountCreated) error
	// Identify writes the account's non-secret identifiers in the dialect into view.
	Identify func(ctx context.Context, q *db.Queries, account db.Account, view *gen.Account) error
	// EventScope returns the scope of this dialect that an ingested event is narrowed to, if sc
	// names one.
	EventScope func(sc *gen.IngestScope) (ScopeRef, bool)
	// Signing, for a dialect that signs its deliveries, gives its secrets' rules.
	Signing *Signing
}

// ScopeRef names a scope by its ids: Dialect as in the scopes table, ID the dialect's own, and
// What how messages call it ("Bird workspace").
type ScopeRef struct{ Dialect, ID, What string }

// Scheme authenticates one security scheme of openapi.yaml: on success it records the
// caller's account in info; ErrUnauthenticated lets the next scheme of the operation try.
type Scheme func(ctx context.Context, req *http.Request, info *RequestInfo) error

// Encodings convert a dialect's other request and response encodings to and from the JSON
// that validation and handlers see.
type Encodings struct {
	// Negotiate picks the response media type from Accept.
	Negotiate func(accept string) string
	// Respond runs next and re-encodes its JSON answer as mediaType.
	Respond func(c echo.Context, route *routers.Route, mediaType string, next echo.HandlerFunc) error
	// Decode rewrites a request body in another encoding as JSON.
	Decode func(req *http.Request, route *routers.Route) error
	// Canonical, when set, normalises a JSON body that passed the JSON checks.
	Canonical func(req *http.Request, route *routers.Route) error
}

// RateState is where a credential stands in its current rate-limit window.
type RateState struct {
	Limit, Remaining int
	Reset            time.Time
	Exceeded         bool
}
