package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// fieldError is one validation problem; path is "" for the request as a whole, a parameter's
// name, or a JSON path into the body such as "eventFilters[0].key".
type fieldError struct {
	path    string
	message string
	// rule is the schema keyword that failed ("required", "enum"…), or "json" for a body that
	// is not JSON; schema is the schema it belongs to. Dialects that word their own messages
	// (Shipping's Laravel style) use them.
	rule   string
	schema *openapi3.Schema
}

func ptr[T any](v T) *T { return &v }

// errorRenderer writes the errors that arise outside a handler (validation, authentication,
// routing, panics, unexpected failures) in the documented body of the dialect that was called.
type errorRenderer struct {
	log *slog.Logger
}

func (r errorRenderer) invalid(c echo.Context, d dialect, fields []fieldError) error {
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].path < fields[j].path })
	return apiOf(d).invalid(c, fields)
}

func (r errorRenderer) unauthorized(c echo.Context, d dialect) error {
	return apiOf(d).unauthorized(c)
}

// HTTPErrorHandler renders errors returned by handlers and by Echo itself (unknown routes,
// wrong methods, oversized bodies, panics). Unexpected errors are logged and never shown.
func (r errorRenderer) HTTPErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	d := infoFrom(c.Request().Context()).dialect
	if d == "" {
		d = dialectForPath(c.Request().URL.Path)
	}
	status, message := http.StatusInternalServerError, "internal server error"
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code < http.StatusInternalServerError {
		status, message = he.Code, strings.ToLower(http.StatusText(he.Code))
	} else {
		r.log.Error("request failed", "error", err, "method", c.Request().Method,
			"path", c.Request().URL.Path, "request_id", requestID(c))
	}
	if status == http.StatusBadRequest || status == http.StatusUnsupportedMediaType {
		// The strict server could not bind a request that passed validation: report it as
		// invalid input, never as a server fault.
		_ = r.invalid(c, d, []fieldError{{message: message}})
		return
	}
	if werr := apiOf(d).failure(c, status, message); werr != nil {
		r.log.Error("writing error response", "error", werr)
	}
}

func keyForStatus(status int) string {
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

func requestID(c echo.Context) string { return c.Response().Header().Get(echo.HeaderXRequestID) }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// joinFields renders validation problems as one sentence, for dialects with a single message.
func joinFields(fields []fieldError) string {
	msgs := make([]string, 0, len(fields))
	for _, f := range fields {
		if f.path == "" {
			msgs = append(msgs, f.message)
			continue
		}
		msgs = append(msgs, f.path+": "+f.message)
	}
	return strings.Join(msgs, "; ")
}
