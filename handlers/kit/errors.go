package kit

import (
	"errors"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// The refusals that authentication reports with errors.Is; anything else a security scheme
// returns is a server fault.
var (
	// ErrUnauthenticated: no valid credential for the scheme.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrFeatureMissing: the account's plan does not include this API.
	ErrFeatureMissing = errors.New("the account's plan does not include this API")
	// ErrNoToken: no credential at all, where the dialect answers that with 400, not 401.
	ErrNoToken = errors.New("no token provided")
	// ErrReadOnly: a read-only credential used for a write.
	ErrReadOnly = errors.New("read-only credential")
	// ErrRateLimited: a credential over its request budget.
	ErrRateLimited = errors.New("rate limit exceeded")
	// ErrOtherAccount: a credential of one account (a portal session) used on a path that names
	// another. It is answered as an unknown account is, so that other tenants cannot be probed.
	ErrOtherAccount = errors.New("the path names another account than the caller's")
)

// FieldError is one validation problem; Path is "" for the request as a whole, a parameter's
// name, or a JSON path into the body such as "eventFilters[0].key".
type FieldError struct {
	Path    string
	Message string
	// Rule is the schema keyword that failed ("required", "enum"…), or "json" for a body that
	// is not JSON; Schema is the schema it belongs to. Dialects that word their own messages
	// (Shipping's Laravel style) use them.
	Rule   string
	Schema *openapi3.Schema
}

// JoinFields renders validation problems as one sentence, for dialects with a single message.
func JoinFields(fields []FieldError) string {
	msgs := make([]string, 0, len(fields))
	for _, f := range fields {
		if f.Path == "" {
			msgs = append(msgs, f.Message)
			continue
		}
		msgs = append(msgs, f.Path+": "+f.Message)
	}
	return strings.Join(msgs, "; ")
}

// UpperFirst capitalises the first letter of s.
func UpperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// KeyForStatus is a snake_case key for an HTTP status ("not_found").
func KeyForStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusInternalServerError:
		return "internal_error"
	}
	return strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
}

// RequestID is the id of the request being answered, as sent in X-Request-Id.
func RequestID(c echo.Context) string { return c.Response().Header().Get(echo.HeaderXRequestID) }

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// Deref returns *p, or the zero value for nil.
func Deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// UUIDFormat validates the spec's "uuid" strings, which kin-openapi leaves unchecked by default.
var UUIDFormat = openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)
