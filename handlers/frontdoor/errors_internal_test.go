package frontdoor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/handlers/kit"
)

// A request its client abandoned is no fault of the service: it is noted, not logged as an
// error; a handler's own failure still is.
func TestAnAbandonedRequestIsNotAnError(t *testing.T) {
	for _, c := range []struct {
		name      string
		gone      bool
		err       error
		wantLevel string
	}{
		{"client gone", true, fmt.Errorf("listing: %w", context.Canceled), "level=INFO"},
		{"handler failed", false, errors.New("boom"), "level=ERROR"},
		{"canceled by the service itself", false, context.Canceled, "level=ERROR"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			plain := kit.API{Name: "plain", Failure: func(c echo.Context, status int, message string) error {
				return c.String(status, message)
			}}
			r := errorRenderer{log: slog.New(slog.NewTextHandler(&out, nil)), apis: registry{plain}}
			ctx, cancel := context.WithCancel(context.Background())
			if c.gone {
				cancel()
			} else {
				defer cancel()
			}
			req := httptest.NewRequest(http.MethodGet, "/admin/v1/accounts", nil).WithContext(ctx)
			rec := httptest.NewRecorder()
			r.HTTPErrorHandler(c.err, echo.New().NewContext(req, rec))
			if !strings.Contains(out.String(), c.wantLevel) {
				t.Errorf("logged %q; want %s", out.String(), c.wantLevel)
			}
			if !c.gone && rec.Code != http.StatusInternalServerError {
				t.Errorf("a failure answered %d; want 500", rec.Code)
			}
		})
	}
}
