package shipping

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// API declares the dialect to the front door; errors are worded as 2LM's Laravel backend does.
func (s Shipping) API() kit.API {
	return kit.API{
		Name:         Dialect,
		PathPrefixes: []string{"/v1/"},
		MaxBodyBytes: 64 << 10,
		Invalid: func(c echo.Context, fields []kit.FieldError) error {
			for _, f := range fields {
				if f.Rule == "json" {
					return c.JSON(http.StatusBadRequest, shippingError("bad_request", "The request body is not valid JSON.", http.StatusBadRequest))
				}
			}
			return c.JSON(http.StatusUnprocessableEntity, shippingInvalid(fields).Body)
		},
		Unauthorized: func(c echo.Context) error {
			return c.JSON(http.StatusUnauthorized, shippingError("unauthorized", "Invalid or missing API key.", http.StatusUnauthorized))
		},
		Failure: func(c echo.Context, status int, message string) error {
			code := kit.KeyForStatus(status)
			if status >= 500 {
				code, message = "server_error", "Something went wrong on our end."
			}
			return c.JSON(status, shippingError(code, message, status))
		},
		Schemes:   map[string]kit.Scheme{"shippingApiKey": s.apiKey},
		Provision: provisionShipping,
		// A subscription's secret signs its Standard Webhooks messages.
		Signing: &kit.Signing{Check: checkSecret, New: kit.NewSecret},
		Refused: func(c echo.Context, err error) (bool, error) {
			switch {
			case errors.Is(err, kit.ErrReadOnly):
				return true, c.JSON(http.StatusForbidden, shippingError("forbidden", "This API key is read-only.", http.StatusForbidden))
			case errors.Is(err, kit.ErrRateLimited):
				return true, shippingRateLimited(c, kit.InfoFrom(c.Request().Context()).Rate)
			}
			return false, nil
		},
	}
}

func shippingRateLimited(c echo.Context, state *kit.RateState) error {
	retryAfter := max(1, int(time.Until(state.Reset).Seconds()+0.999))
	c.Response().Header().Set("Retry-After", strconv.Itoa(retryAfter))
	var body gen.ShippingRateLimitError
	body.Error.Code = "rate_limit_exceeded"
	body.Error.Message = "Too many requests. Please try again later."
	body.Error.RetryAfter = retryAfter
	return c.JSON(http.StatusTooManyRequests, body)
}

// apiKey authenticates an API key, counts the request against the key's budget (refused
// requests included, as the vendor counts them) and keeps read-only keys to reads.
func (s Shipping) apiKey(ctx context.Context, req *http.Request, info *kit.RequestInfo) error {
	key, ok := kit.Authorization(req, "Bearer")
	if !ok {
		return kit.ErrUnauthenticated
	}
	kind, account, err := s.Credentials.KindBySecret(ctx, []string{credentialShipping, credentialShippingRead}, key)
	if err != nil {
		return err
	}
	state, err := s.limit.hit(ctx, kit.Digest(key))
	if err != nil {
		return err
	}
	info.Rate = &state
	if state.Exceeded {
		return kit.ErrRateLimited
	}
	if kind == credentialShippingRead && req.Method != http.MethodGet && req.Method != http.MethodHead {
		return kit.ErrReadOnly
	}
	info.Account = &account
	return nil
}

// provisionShipping gives an account its one scope and two API keys, one read-only.
func provisionShipping(ctx context.Context, q *db.Queries, account db.Account, out *gen.AccountCreated) error {
	creds := gen.ShippingCredentials{ApiKey: kit.NewSecret(), ReadOnlyApiKey: kit.NewSecret()}
	if _, err := q.CreateScope(ctx, db.CreateScopeParams{AccountID: account.ID, Dialect: scopeShipping, ExternalID: account.ID.String(), Name: account.Name}); err != nil {
		return err
	}
	for kind, key := range map[string]string{credentialShipping: creds.ApiKey, credentialShippingRead: creds.ReadOnlyApiKey} {
		if err := q.CreateCredential(ctx, db.CreateCredentialParams{AccountID: account.ID, Kind: kind, SecretSha256: kit.Digest(key)}); err != nil {
			return err
		}
	}
	out.Shipping = creds
	return nil
}
