package superoffice

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// A panic under a re-encoded SuperOffice response ends as a 500, never as the empty 200 of the
// capture buffer.
func TestRespondInTurnsAPanicIntoA500(t *testing.T) {
	e := echo.New()
	e.HTTPErrorHandler = func(_ error, c echo.Context) {
		_ = SuperOffice{}.API().Failure(c, http.StatusInternalServerError, "internal server error")
	}
	for _, handler := range []echo.HandlerFunc{
		func(echo.Context) error { panic("boom") },
		func(c echo.Context) error { c.Response().WriteHeader(http.StatusOK); panic("after the header") },
	} {
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/api/v1/Webhook", nil), rec)
		if err := respondIn(c, nil, "text/xml", handler); err != nil {
			t.Fatal(err)
		}
		if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "ServerError") {
			t.Errorf("a panic answered %d %s, want a 500 in SuperOffice's body", rec.Code, rec.Body)
		}
	}
}
