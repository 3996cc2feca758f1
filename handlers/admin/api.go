package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// Name is the admin API's dialect: its tag in openapi.yaml.
const Name kit.Dialect = "admin"

// API is the admin API: accounts and their deliveries, behind the operator's token, and some
// operations of one account behind that account's portal sessions too.
func API(adminToken string, q *db.Queries) kit.API {
	api := Shaped(Name, []string{"/admin/"}, 64<<10)
	api.Schemes = map[string]kit.Scheme{
		"adminToken":    tokenScheme(kit.Digest(adminToken)),
		"portalSession": portalScheme(q),
	}
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

// portalTokenPrefix begins every portal session's token, so that other bearer tokens cost no
// look-up.
const portalTokenPrefix = "wps_"

// portalScheme authenticates a portal session's token: the caller is the session's account,
// and only that account. The front door keeps such a caller to paths of its own account. The
// session is read on every request, never cached, so that revoking it or its expiry takes
// effect at once on every instance; a console's few requests a minute cost little.
func portalScheme(q *db.Queries) kit.Scheme {
	return func(ctx context.Context, req *http.Request, info *kit.RequestInfo) error {
		token, ok := kit.Authorization(req, "Bearer")
		if !ok || !strings.HasPrefix(token, portalTokenPrefix) {
			return kit.ErrUnauthenticated
		}
		row, err := q.GetPortalSessionByToken(ctx, kit.Digest(token))
		if errors.Is(err, sql.ErrNoRows) {
			return kit.ErrUnauthenticated
		} else if err != nil {
			return fmt.Errorf("portal session look-up: %w", err)
		}
		info.Account = &row.Account
		info.Caller = "portal:" + row.SessionID.String()
		return nil
	}
}
