package frontdoor

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"
)

// validator checks every request against openapi.yaml before a handler runs: security first,
// then parameters and body. Requests that match no operation are left to Echo's router.
type validator struct {
	operations operationTable
	// authOptions authenticate; options validate everything else, once authentication passed.
	authOptions, options *openapi3filter.Options
	errors               errorRenderer
	checksOff            bool
}

func newValidator(operations operationTable, auth *authenticator, errs errorRenderer) *validator {
	return &validator{
		operations:  operations,
		authOptions: &openapi3filter.Options{AuthenticationFunc: auth.authenticate},
		options: &openapi3filter.Options{
			MultiError:         true,
			KeepValidatedValue: true,
			// kin-openapi would put a default in place of an explicit null, accepting null where
			// the schema does not; the handlers apply defaults to absent members themselves.
			SkipSettingDefaults: true,
			RegexCompiler:       compileECMAPattern,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{
				openapi3.WithStringFormatValidator("uuid", kit.UUIDFormat),
			},
		},
		errors: errs,
	}
}

// middleware admits a request to its handler only after, in this order: Echo routed it to an
// operation of the spec; the caller is authenticated; the body has been read within the
// dialect's size limit and is well-formed; and parameters and body match the operation's
// schemas. Nothing about a body is parsed for an unauthenticated caller.
func (v *validator) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		op, pathParams, err := v.operations.find(c)
		if err != nil {
			return v.unrouted(c, err)
		}
		route := op.route
		info := &kit.RequestInfo{Dialect: op.dialect, RequestID: kit.RequestID(c), BaseURL: c.Scheme() + "://" + req.Host}
		req = req.WithContext(kit.WithRequestInfo(req.Context(), info))
		c.SetRequest(req)
		if enc := v.errors.apis.of(info.Dialect).Encodings; enc != nil {
			// Everything between the client's encoding and the handler is JSON.
			if mediaType := enc.Negotiate(req.Header.Get("Accept")); mediaType != "application/json" {
				return enc.Respond(c, route, mediaType, func(c echo.Context) error { return v.validate(c, req, op, pathParams, info, next) })
			}
		}
		return v.validate(c, req, op, pathParams, info, next)
	}
}

func (v *validator) validate(c echo.Context, req *http.Request, op *operation, pathParams map[string]string, info *kit.RequestInfo, next echo.HandlerFunc) error {
	route := op.route
	// kin-openapi reads the whole body before it authenticates: it gets the request without it.
	bodiless := *req
	bodiless.Body, bodiless.GetBody = http.NoBody, nil
	authInput := &openapi3filter.RequestValidationInput{Request: &bodiless, PathParams: pathParams, Route: route, Options: v.authOptions}
	err := openapi3filter.ValidateSecurityRequirements(req.Context(), authInput, op.security)
	v.setRateHeaders(c, info.Rate)
	if err != nil {
		if hasBody(req) {
			leaveUnread(c.Response()) // the unread body is not a request
		}
		return v.reject(c, info.Dialect, err)
	}
	if v.checksOff {
		return next(c)
	}
	if route.Operation.RequestBody != nil {
		fields, err := v.admitBody(c, req, route, info.Dialect)
		if err != nil {
			return err
		}
		if len(fields) > 0 {
			return v.errors.invalid(c, info.Dialect, fields)
		}
	}
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: op.checked, Options: v.options}
	if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
		return v.reject(c, info.Dialect, err)
	}
	if fields := unstorableParams(pathParams); len(fields) > 0 {
		if route.Operation.Responses.Status(http.StatusNotFound) != nil {
			return echo.ErrNotFound // such an id names nothing
		}
		return v.errors.invalid(c, info.Dialect, fields)
	}
	if fields := unstorableQuery(c, route.Operation); len(fields) > 0 {
		return v.errors.invalid(c, info.Dialect, fields)
	}
	return next(c)
}

// admitBody reads the body within the dialect's limit, turns the dialect's other encodings
// into JSON, and refuses JSON that no schema should be asked to judge.
func (v *validator) admitBody(c echo.Context, req *http.Request, route *routers.Route, d dialect) ([]kit.FieldError, error) {
	body, err := ReadBody(c.Response().Writer, req, v.errors.apis.of(d).MaxBodyBytes)
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	case err != nil:
		return []kit.FieldError{{Message: errBodyUnread.Error(), Rule: "json"}}, nil
	}
	ReplaceBody(req, body)
	enc := v.errors.apis.of(d).Encodings
	if enc != nil {
		if err := enc.Decode(req, route); err != nil {
			return []kit.FieldError{{Message: err.Error()}}, nil
		}
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		ReplaceBody(req, body)
	}
	if isJSON(req.Header.Get("Content-Type")) {
		if err := checkJSON(body); errors.Is(err, errJSONMalformed) {
			return []kit.FieldError{{Message: malformedJSON, Rule: "json"}}, nil
		} else if err != nil {
			return []kit.FieldError{{Message: err.Error()}}, nil
		}
	}
	if enc != nil && enc.Canonical != nil {
		if err := enc.Canonical(req, route); err != nil {
			return []kit.FieldError{{Message: err.Error()}}, nil
		}
	}
	return nil, nil
}

// unrouted answers a request that names no operation of the spec, in the shape of the dialect
// its path belongs to. Its body, if any, is never read, so the connection is not reused.
func (v *validator) unrouted(c echo.Context, err error) error {
	if hasBody(c.Request()) {
		leaveUnread(c.Response())
	}
	if errors.Is(err, routers.ErrMethodNotAllowed) {
		return echo.ErrMethodNotAllowed
	}
	return echo.ErrNotFound
}

func (v *validator) setRateHeaders(c echo.Context, r *kit.RateState) {
	if r == nil {
		return
	}
	h := c.Response().Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(r.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(r.Remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(r.Reset.Unix(), 10))
}

// reject answers a request that failed validation. Authentication outranks every other
// problem, so that nothing about a resource is revealed to an unauthenticated caller.
func (v *validator) reject(c echo.Context, d dialect, err error) error {
	var security *openapi3filter.SecurityRequirementsError
	if errors.As(err, &security) {
		refused := v.errors.apis.of(d).Refused
		for _, e := range security.Errors {
			if errors.Is(e, kit.ErrUnauthenticated) {
				continue
			}
			if errors.Is(e, kit.ErrOtherAccount) {
				// Exactly what an unknown account gets, whatever the operation.
				return v.errors.apis.of(d).Failure(c, http.StatusNotFound, "account not found")
			}
			if refused != nil {
				if handled, err := refused(c, e); handled {
					return err // a known caller the dialect turns away (402, 403, 429…)
				}
			}
			return e // the credential store failed: a server fault
		}
		return v.errors.unauthorized(c, d)
	}
	var fields []kit.FieldError
	collectFieldErrors(err, &fields)
	return v.errors.invalid(c, d, fields)
}
