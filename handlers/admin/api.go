package admin

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// Name is the admin API's dialect: its tag in openapi.yaml.
const Name kit.Dialect = "admin"

// API is the admin API: accounts and their deliveries, behind the operator's token.
func API(adminToken string) kit.API {
	api := Shaped(Name, []string{"/admin/"}, 64<<10)
	api.Schemes = map[string]kit.Scheme{"adminToken": tokenScheme(kit.Digest(adminToken))}
	return api
}

// Shaped is a dialect that words its errors as this service's own APIs do (AdminError): the
// admin API itself, ingestion, the inspector and the system operations.
func Shaped(name kit.Dialect, prefixes []string, maxBodyBytes int64) kit.API {
	return kit.API{
		Name:         name,
		PathPrefixes: prefixes,
		MaxBodyBytes: maxBodyBytes,
		Invalid: func(c echo.Context, fields []kit.FieldError) error {
			return c.JSON(http.StatusBadRequest, gen.AdminError{Code: "invalid_request", Message: kit.JoinFields(fields)})
		},
		Unauthorized: func(c echo.Context) error {
			return c.JSON(http.StatusUnauthorized, gen.AdminError{Code: "unauthorized", Message: "a valid admin bearer token is required"})
		},
		Failure: func(c echo.Context, status int, message string) error {
			return c.JSON(status, gen.AdminError{Code: failureCode(status), Message: message})
		},
	}
}

func failureCode(status int) gen.AdminErrorCode {
	switch {
	case status == http.StatusNotFound:
		return "not_found"
	case status == http.StatusConflict:
		return "conflict"
	case status < 500:
		return "invalid_request"
	}
	return "internal_error"
}

func tokenScheme(adminDigest []byte) kit.Scheme {
	return func(_ context.Context, req *http.Request, info *kit.RequestInfo) error {
		token, ok := kit.Authorization(req, "Bearer")
		if !ok || !kit.EqualDigest(kit.Digest(token), adminDigest) {
			return kit.ErrUnauthenticated
		}
		info.Caller = "admin"
		return nil
	}
}
