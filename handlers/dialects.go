package handlers

import (
	"context"
	"net/http"
	"strings"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// dialectAPI is what the shared front door needs from one dialect: which paths are its own,
// how large its bodies may be, and how it words the errors that arise before or outside its
// handlers. A new vendor is one more dialectAPI in dialectAPIs.
type dialectAPI struct {
	name dialect
	// pathPrefixes claim unrouted paths, so that a 404 or 405 comes in this dialect's shape.
	pathPrefixes []string
	maxBodyBytes int64
	// invalid answers a request that failed validation.
	invalid func(c echo.Context, fields []kit.FieldError) error
	// unauthorized answers a request without valid credentials.
	unauthorized func(c echo.Context) error
	// failure answers any other status (404, 405, 413, 5xx) with a generic message.
	failure func(c echo.Context, status int, message string) error
	// encodings, when set, let clients send and accept other encodings than JSON.
	encodings *encodings
	// schemes authenticate the security schemes of openapi.yaml that the dialect uses.
	schemes map[string]scheme
	// refused answers a caller whose credentials the dialect recognised but turned away for
	// err (a missing feature, a read-only key, a spent budget…); handled is false for errors it
	// does not know, which are server faults.
	refused func(c echo.Context, err error) (handled bool, _ error)
	// provision gives a new account what the dialect needs (scopes, credentials) and writes
	// the credentials, shown once, into out.
	provision func(ctx context.Context, q *db.Queries, account db.Account, out *gen.AccountCreated) error
}

// encodings convert a dialect's other request and response encodings to and from the JSON that
// validation and handlers see.
type encodings struct {
	// negotiate picks the response media type from Accept.
	negotiate func(accept string) string
	// respond runs next and re-encodes its JSON answer as mediaType.
	respond func(c echo.Context, route *routers.Route, mediaType string, next echo.HandlerFunc) error
	// decode rewrites a request body in another encoding as JSON.
	decode func(req *http.Request, route *routers.Route) error
	// canonical, when set, normalises a JSON body that passed the JSON checks.
	canonical func(req *http.Request, route *routers.Route) error
}

// dialectAPIs lists every dialect; the admin API's shape also serves the system operations and
// paths that belong to no dialect.
var dialectAPIs = []dialectAPI{adminAPI, ingestAPI, inspectorAPI, voucherifyAPI, birdAPI, superOfficeAPI, shippingAPI, arkynAPI}

func apiOf(d dialect) dialectAPI {
	for _, api := range dialectAPIs {
		if api.name == d {
			return api
		}
	}
	return adminAPI
}

// dialectForPath picks the dialect of a request that matches no operation, by its path.
func dialectForPath(path string) dialect {
	for _, api := range dialectAPIs {
		for _, prefix := range api.pathPrefixes {
			if strings.HasPrefix(path, prefix) {
				return api.name
			}
		}
	}
	return dialectSystem
}
