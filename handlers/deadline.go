package handlers

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"
)

// RequestTimeout bounds the work of one request, database waits included. It outlasts the
// 10 s a SuperOffice POST /Test may wait for the target, so that call can report its outcome.
const RequestTimeout = 15 * time.Second

// requestTimeout is RequestTimeout, shortened by tests.
var requestTimeout = RequestTimeout

// requestDeadline gives every request's context RequestTimeout, so a wait for a pooled
// connection or a query on a busy database fails the request instead of holding it.
func requestDeadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), requestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}
