package frontdoor

import (
	"context"

	"github.com/labstack/echo/v4"
)

// Deadline gives every request's context the request timeout, so a wait for a pooled
// connection or a query on a busy database fails the request instead of holding it.
func (f *FrontDoor) Deadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), f.timeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}
