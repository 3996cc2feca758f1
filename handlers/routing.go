package handlers

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"
)

// sameOperation tells whether Echo routed the request to the operation the spec's router found,
// with the same path parameters. Validation is only worth something if what was validated is
// what runs: the two routers treat trailing slashes, dot segments and escapes differently.
func sameOperation(c echo.Context, route *routers.Route, pathParams map[string]string) bool {
	if c.Path() != echoPath(route.Path) {
		return false
	}
	names, values := c.ParamNames(), c.ParamValues()
	if len(names) != len(pathParams) {
		return false
	}
	for i, name := range names {
		want, ok := pathParams[name]
		if !ok || i >= len(values) {
			return false
		}
		got, err := url.PathUnescape(values[i])
		if err != nil {
			return false
		}
		if unescaped, err := url.PathUnescape(want); err == nil {
			want = unescaped
		}
		if got != want {
			return false
		}
	}
	return true
}

// echoPath turns an OpenAPI path template (/a/{id}) into the route Echo registers for it (/a/:id).
func echoPath(template string) string {
	return strings.NewReplacer("{", ":", "}", "").Replace(template)
}

// storableText tells whether s (percent-decoded) can be a PostgreSQL text value: valid UTF-8
// without NUL. Anything else cannot name a stored resource.
func storableText(s string) bool {
	if decoded, err := url.PathUnescape(s); err == nil {
		s = decoded
	}
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// unstorableParams reports the path parameters whose values are not storable text.
func unstorableParams(pathParams map[string]string) []kit.FieldError {
	var fields []kit.FieldError
	for name, value := range pathParams {
		if !storableText(value) {
			fields = append(fields, kit.FieldError{Path: name, Message: "must be UTF-8 text without NUL characters"})
		}
	}
	return fields
}

// unstorableQuery reports the operation's query parameters whose values are not storable text.
func unstorableQuery(c echo.Context, op *openapi3.Operation) []kit.FieldError {
	query := c.QueryParams()
	var fields []kit.FieldError
	for _, p := range op.Parameters {
		if p.Value == nil || p.Value.In != openapi3.ParameterInQuery {
			continue
		}
		for _, v := range query[p.Value.Name] {
			if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
				fields = append(fields, kit.FieldError{Path: p.Value.Name, Message: "must be UTF-8 text without NUL characters"})
				break
			}
		}
	}
	return fields
}
