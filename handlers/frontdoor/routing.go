package frontdoor

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"
)

// operation is one operation of the spec, prepared once for every request that runs it.
type operation struct {
	// id is the operationId as openapi.yaml spells it, for metrics.
	id    string
	route *routers.Route
	// checked is route without its security requirements, for validating the rest of a
	// request whose caller is already authenticated.
	checked  *routers.Route
	security openapi3.SecurityRequirements
	dialect  dialect
}

// operationTable finds the spec's operation from the route Echo matched. Echo is the only
// router, so what is validated is what runs: two routers would differ on trailing slashes,
// dot segments and escapes.
type operationTable struct {
	byRoute map[string]*operation // "PUT /management/v1/projects/:projectId/webhooks/:webhookId"
	paths   map[string]bool       // every route path, to tell 405 from 404
}

func newOperationTable(spec *openapi3.T) operationTable {
	t := operationTable{byRoute: map[string]*operation{}, paths: map[string]bool{}}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			route := &routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: op}
			security := spec.Security
			if op.Security != nil {
				security = *op.Security
			}
			unsecured := *op
			unsecured.Security = &openapi3.SecurityRequirements{}
			checked := *route
			checked.Operation = &unsecured
			// The embedded spec capitalises ids; openapi.yaml spells them from a lower-case letter.
			id := strings.ToLower(op.OperationID[:1]) + op.OperationID[1:]
			t.byRoute[method+" "+echoPath(path)] = &operation{id: id, route: route, checked: &checked, security: security, dialect: dialect(op.Tags[0])}
			t.paths[echoPath(path)] = true
		}
	}
	return t
}

// find returns the operation Echo routed the request to and its path parameters, decoded.
// Echo lets a route's last parameter take the rest of the path, slashes and all, and leaves
// parameters unset when the method is not allowed; so the parameters are read from the path
// here, one whole non-empty segment each, or the request names nothing.
func (t operationTable) find(c echo.Context) (*operation, map[string]string, error) {
	req := c.Request()
	path := req.URL.RawPath // what Echo matched
	if path == "" {
		path = req.URL.Path
	}
	template, segments := strings.Split(c.Path(), "/"), strings.Split(path, "/")
	if len(template) != len(segments) {
		return nil, nil, routers.ErrPathNotFound
	}
	params := map[string]string{}
	for i, seg := range template {
		name, isParam := strings.CutPrefix(seg, ":")
		if !isParam {
			if seg != segments[i] {
				return nil, nil, routers.ErrPathNotFound
			}
			continue
		}
		value, err := url.PathUnescape(segments[i])
		if err != nil || value == "" {
			return nil, nil, routers.ErrPathNotFound
		}
		params[name] = value
	}
	op, ok := t.routed(c)
	if !ok {
		if t.paths[c.Path()] {
			return nil, nil, routers.ErrMethodNotAllowed
		}
		return nil, nil, routers.ErrPathNotFound
	}
	return op, params, nil
}

// routed returns the operation of the route Echo matched, if it is one of the spec's.
func (t operationTable) routed(c echo.Context) (*operation, bool) {
	op, ok := t.byRoute[c.Request().Method+" "+c.Path()]
	return op, ok
}

// echoPath turns an OpenAPI path template (/a/{id}) into the route Echo registers for it (/a/:id).
func echoPath(template string) string {
	return strings.NewReplacer("{", ":", "}", "").Replace(template)
}

// storableText tells whether s can be a PostgreSQL text value: valid UTF-8 without NUL.
// Anything else cannot name a stored resource.
func storableText(s string) bool {
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
