package frontdoor

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/labstack/echo/v4"
)

// errorRenderer writes the errors that arise outside a handler (validation, authentication,
// routing, panics, unexpected failures) in the documented body of the dialect that was called.
type errorRenderer struct {
	log  *slog.Logger
	apis registry
}

func (r errorRenderer) invalid(c echo.Context, d dialect, fields []kit.FieldError) error {
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Path < fields[j].Path })
	return r.apis.of(d).Invalid(c, fields)
}

func (r errorRenderer) unauthorized(c echo.Context, d dialect) error {
	return r.apis.of(d).Unauthorized(c)
}

// HTTPErrorHandler renders errors returned by handlers and by Echo itself (unknown routes,
// wrong methods, oversized bodies, panics). Unexpected errors are logged and never shown.
func (r errorRenderer) HTTPErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
		// The client went away (a browser leaving a page): nobody reads an answer, and it is
		// no fault of the service.
		r.log.Info("request abandoned by the client", "method", c.Request().Method,
			"path", c.Request().URL.Path, "request_id", kit.RequestID(c))
		return
	}
	d := kit.InfoFrom(c.Request().Context()).Dialect
	if d == "" {
		d = r.apis.forPath(c.Request().URL.Path)
	}
	status, message := http.StatusInternalServerError, "internal server error"
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code < http.StatusInternalServerError {
		status, message = he.Code, strings.ToLower(http.StatusText(he.Code))
	} else {
		r.log.Error("request failed", "error", err, "method", c.Request().Method,
			"path", c.Request().URL.Path, "request_id", kit.RequestID(c))
	}
	if status == http.StatusBadRequest || status == http.StatusUnsupportedMediaType {
		// The strict server could not bind a request that passed validation: report it as
		// invalid input, never as a server fault.
		_ = r.invalid(c, d, []kit.FieldError{{Message: message}})
		return
	}
	if werr := r.apis.of(d).Failure(c, status, message); werr != nil {
		r.log.Error("writing error response", "error", werr)
	}
}
