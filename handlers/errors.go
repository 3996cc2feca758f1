package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/gen"
)

// fieldError is one validation problem; path is "" for the request as a whole, a parameter's
// name, or a JSON path into the body such as "eventFilters[0].key".
type fieldError struct {
	path    string
	message string
	// rule is the schema keyword that failed ("required", "enum"…), or "json" for a body that
	// is not JSON; schema is the schema it belongs to. Dialects that word their own messages
	// (Shipping's Laravel style) use them.
	rule   string
	schema *openapi3.Schema
}

// Bird's error codes: the vendor documents the bodies but not their code values.
const (
	birdCodeUnauthorized   = "Unauthorized"
	birdCodeNotFound       = "NotFound"
	birdCodeInvalidPayload = "InvalidPayload"
	birdCodeInternal       = "InternalError"
)

func ptr[T any](v T) *T { return &v }

func voucherifyInvalidPayload(requestID string, fields []fieldError) gen.E400InvalidPayload {
	parts := make([]string, 0, len(fields))
	for _, f := range fields {
		if f.path == "" {
			parts = append(parts, upperFirst(f.message))
			continue
		}
		parts = append(parts, "Property ."+f.path+" "+f.message)
	}
	return gen.E400InvalidPayload{
		Code:      ptr(http.StatusBadRequest),
		Key:       ptr("invalid_payload"),
		Message:   ptr("Invalid payload"),
		Details:   ptr(strings.Join(parts, "; ")),
		RequestId: ptr(requestID),
	}
}

func voucherifyUnauthorized() gen.Error {
	return gen.Error{Code: http.StatusUnauthorized, Message: "Unauthorized", Key: ptr("unauthorized")}
}

func voucherifyPaymentRequired() gen.ErrorPaymentRequired {
	return gen.ErrorPaymentRequired{
		Code:    http.StatusPaymentRequired,
		Message: "Payment required",
		Details: "Your current plan does not include a feature required to perform this operation.",
		Key:     "missing_required_feature",
	}
}

func voucherifyNotFound(requestID, resourceType, resourceID string) gen.Error {
	return gen.Error{
		Code:         http.StatusNotFound,
		Key:          ptr("not_found"),
		Message:      "Resource not found",
		Details:      ptr("Cannot find " + resourceType + " with id " + resourceID),
		RequestId:    ptr(requestID),
		ResourceId:   ptr(resourceID),
		ResourceType: ptr(resourceType),
	}
}

func birdValidation(fields []fieldError) gen.ErrorValidation {
	details := map[string][]string{}
	for _, f := range fields {
		path := f.path
		if path == "" {
			path = "body"
		}
		details[path] = append(details[path], f.message)
	}
	return gen.ErrorValidation{
		Code:    birdCodeInvalidPayload,
		Message: "The request contains invalid parameters or body fields.",
		Details: &details,
	}
}

func birdNotFound(message string, details map[string]any) gen.ErrorDetailed {
	return gen.ErrorDetailed{Code: birdCodeNotFound, Message: message, Details: &details}
}

func birdUnauthorized() gen.ErrorDetailed {
	return gen.ErrorDetailed{Code: birdCodeUnauthorized, Message: "a valid access key is required"}
}

// errorRenderer writes the errors that arise outside a handler (validation, authentication,
// routing, panics, unexpected failures) in the documented body of the dialect that was called.
type errorRenderer struct {
	log *slog.Logger
}

func (r errorRenderer) invalid(c echo.Context, d dialect, fields []fieldError) error {
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].path < fields[j].path })
	switch d {
	case dialectVoucherify:
		return c.JSON(http.StatusBadRequest, voucherifyInvalidPayload(requestID(c), fields))
	case dialectBird:
		return c.JSON(http.StatusUnprocessableEntity, birdValidation(fields))
	case dialectArkyn:
		return c.JSON(http.StatusBadRequest, arkynError(gen.ArkynErrorNameBadRequest, joinFields(fields)))
	case dialectSO:
		for _, f := range fields {
			if f.path == "" && f.rule == "required" {
				return c.JSON(http.StatusBadRequest, soError(gen.SoErrorErrorTypeBadRequest, "Entity to save is not in request body"))
			}
		}
		return c.JSON(http.StatusBadRequest, soError(gen.SoErrorErrorTypeBadRequest, joinFields(fields)))
	case dialectShipping:
		for _, f := range fields {
			if f.rule == "json" {
				return c.JSON(http.StatusBadRequest, shippingError("bad_request", "The request body is not valid JSON.", http.StatusBadRequest))
			}
		}
		return c.JSON(http.StatusUnprocessableEntity, shippingInvalid(fields).Body)
	default:
		return c.JSON(http.StatusBadRequest, gen.AdminError{Code: "invalid_request", Message: joinFields(fields)})
	}
}

func (r errorRenderer) unauthorized(c echo.Context, d dialect) error {
	switch d {
	case dialectVoucherify:
		return c.JSON(http.StatusUnauthorized, voucherifyUnauthorized())
	case dialectBird:
		return c.JSON(http.StatusUnauthorized, birdUnauthorized())
	case dialectArkyn:
		return c.JSON(http.StatusUnauthorized, arkynError(gen.ArkynErrorNameUnauthorized, "Invalid token"))
	case dialectSO:
		c.Response().Header().Set("WWW-Authenticate", `Basic realm="SuperOffice"`)
		return c.JSON(http.StatusUnauthorized, soError(gen.SoErrorErrorTypeUnauthorized, "Authorization has been denied for this request."))
	case dialectShipping:
		return c.JSON(http.StatusUnauthorized, shippingError("unauthorized", "Invalid or missing API key.", http.StatusUnauthorized))
	default:
		return c.JSON(http.StatusUnauthorized, gen.AdminError{Code: "unauthorized", Message: "a valid admin bearer token is required"})
	}
}

func (r errorRenderer) forbidden(c echo.Context) error {
	return c.JSON(http.StatusForbidden, shippingError("forbidden", "This API key is read-only.", http.StatusForbidden))
}

func (r errorRenderer) rateLimited(c echo.Context, state *rateState) error {
	retryAfter := max(1, int(time.Until(state.reset).Seconds()+0.999))
	c.Response().Header().Set("Retry-After", strconv.Itoa(retryAfter))
	var body gen.ShippingRateLimitError
	body.Error.Code = "rate_limit_exceeded"
	body.Error.Message = "Too many requests. Please try again later."
	body.Error.RetryAfter = retryAfter
	return c.JSON(http.StatusTooManyRequests, body)
}

func (r errorRenderer) paymentRequired(c echo.Context) error {
	return c.JSON(http.StatusPaymentRequired, voucherifyPaymentRequired())
}

// HTTPErrorHandler renders errors returned by handlers and by Echo itself (unknown routes,
// wrong methods, oversized bodies, panics). Unexpected errors are logged and never shown.
func (r errorRenderer) HTTPErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	d := infoFrom(c.Request().Context()).dialect
	if d == "" {
		d = dialectForPath(c.Request().URL.Path)
	}
	status, message := http.StatusInternalServerError, "internal server error"
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code < http.StatusInternalServerError {
		status, message = he.Code, strings.ToLower(http.StatusText(he.Code))
	} else {
		r.log.Error("request failed", "error", err, "method", c.Request().Method,
			"path", c.Request().URL.Path, "request_id", requestID(c))
	}
	if status == http.StatusBadRequest || status == http.StatusUnsupportedMediaType {
		// The strict server could not bind a request that passed validation: report it as
		// invalid input, never as a server fault.
		_ = r.invalid(c, d, []fieldError{{message: message}})
		return
	}
	var werr error
	switch d {
	case dialectVoucherify:
		werr = c.JSON(status, gen.Error{Code: status, Key: ptr(keyForStatus(status)), Message: http.StatusText(status), RequestId: ptr(requestID(c))})
	case dialectBird:
		code := birdCodeInternal
		if status == http.StatusNotFound {
			code = birdCodeNotFound
		} else if status < 500 {
			code = strings.ReplaceAll(http.StatusText(status), " ", "")
		}
		werr = c.JSON(status, gen.ErrorDetailed{Code: code, Message: message})
	case dialectArkyn:
		werr = c.JSON(status, arkynError(arkynNameForStatus(status), message))
	case dialectSO:
		werr = c.JSON(status, soError(soErrorType(status), message))
	case dialectShipping:
		code := keyForStatus(status)
		if status >= 500 {
			code, message = "server_error", "Something went wrong on our end."
		}
		werr = c.JSON(status, shippingError(code, message, status))
	default:
		code := gen.AdminErrorCode("internal_error")
		switch {
		case status == http.StatusNotFound:
			code = "not_found"
		case status < 500:
			code = "invalid_request"
		}
		werr = c.JSON(status, gen.AdminError{Code: code, Message: message})
	}
	if werr != nil {
		r.log.Error("writing error response", "error", werr)
	}
}

func keyForStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusInternalServerError:
		return "internal_error"
	}
	return strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
}

// dialectForPath picks the error shape for requests that match no operation.
func dialectForPath(path string) dialect {
	switch {
	case strings.HasPrefix(path, "/management/"):
		return dialectVoucherify
	case strings.HasPrefix(path, "/workspaces/"):
		return dialectBird
	case strings.HasPrefix(path, "/admin/"):
		return dialectAdmin
	case strings.HasPrefix(path, "/v1/"):
		return dialectShipping
	case strings.HasPrefix(path, "/api/v1/"):
		return dialectSO
	case strings.HasPrefix(path, "/user/"), strings.HasPrefix(path, "/traffic-source"), strings.HasPrefix(path, "/webhooks/"):
		return dialectArkyn
	}
	return dialectSystem
}

func requestID(c echo.Context) string { return c.Response().Header().Get(echo.HeaderXRequestID) }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// joinFields renders validation problems as one sentence, for dialects with a single message.
func joinFields(fields []fieldError) string {
	msgs := make([]string, 0, len(fields))
	for _, f := range fields {
		if f.path == "" {
			msgs = append(msgs, f.message)
			continue
		}
		msgs = append(msgs, f.path+": "+f.message)
	}
	return strings.Join(msgs, "; ")
}

func arkynNameForStatus(status int) gen.ArkynErrorName {
	switch status {
	case http.StatusUnauthorized:
		return gen.ArkynErrorNameUnauthorized
	case http.StatusForbidden:
		return gen.ArkynErrorNameForbidden
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return gen.ArkynErrorNameNotFound
	case http.StatusConflict:
		return gen.ArkynErrorNameConflict
	}
	if status < 500 {
		return gen.ArkynErrorNameBadRequest
	}
	return gen.ArkynErrorNameServerError
}

func soErrorType(status int) gen.SoErrorErrorType {
	switch status {
	case http.StatusUnauthorized:
		return gen.SoErrorErrorTypeUnauthorized
	case http.StatusNotFound:
		return gen.SoErrorErrorTypeNotFound
	case http.StatusMethodNotAllowed:
		return gen.SoErrorErrorTypeMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return gen.SoErrorErrorTypePayloadTooLarge
	case http.StatusUnsupportedMediaType:
		return gen.SoErrorErrorTypeUnsupportedMediaType
	}
	if status < 500 {
		return gen.SoErrorErrorTypeBadRequest
	}
	return gen.SoErrorErrorTypeServerError
}
