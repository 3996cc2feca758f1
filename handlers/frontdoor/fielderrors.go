package frontdoor

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/webhookd/webhookd/handlers/kit"
)

// collectFieldErrors flattens kin-openapi's errors into one message per offending field.
func collectFieldErrors(err error, out *[]kit.FieldError) {
	// A type assertion, not errors.As: As would also find a MultiError inside a RequestError
	// and lose the parameter it is about.
	if multi, ok := err.(openapi3.MultiError); ok {
		for _, e := range multi {
			collectFieldErrors(e, out)
		}
		return
	}
	var reqErr *openapi3filter.RequestError
	if !errors.As(err, &reqErr) {
		collectSchemaErrors("", err, nil, out) // with MultiError, body schema errors arrive unwrapped
		return
	}
	prefix := ""
	if reqErr.Parameter != nil {
		prefix = reqErr.Parameter.Name
	}
	switch inner := reqErr.Err; {
	case inner == nil:
		*out = append(*out, kit.FieldError{Path: prefix, Message: reqErr.Reason})
	case errors.Is(inner, openapi3filter.ErrInvalidRequired):
		if reqErr.Parameter != nil {
			*out = append(*out, kit.FieldError{Path: prefix, Message: "is required", Rule: "required"})
		} else {
			*out = append(*out, kit.FieldError{Message: "request body is required", Rule: "required"})
		}
	case errors.Is(inner, openapi3filter.ErrInvalidEmptyValue):
		*out = append(*out, kit.FieldError{Path: prefix, Message: "must not be empty"})
	default:
		collectSchemaErrors(prefix, inner, reqErr, out)
	}
}

func collectSchemaErrors(prefix string, err error, reqErr *openapi3filter.RequestError, out *[]kit.FieldError) {
	if multi, ok := err.(openapi3.MultiError); ok {
		for _, e := range multi {
			collectSchemaErrors(prefix, e, reqErr, out)
		}
		return
	}
	var schemaErr *openapi3.SchemaError
	if errors.As(err, &schemaErr) {
		// Combinators (allOf…) wrap the errors of their branches: report those.
		if schemaErr.Origin != nil {
			var inner *openapi3.SchemaError
			if _, ok := schemaErr.Origin.(openapi3.MultiError); ok || errors.As(schemaErr.Origin, &inner) {
				collectSchemaErrors(prefix, schemaErr.Origin, reqErr, out)
				return
			}
		}
		path, message := describeSchemaError(schemaErr)
		*out = append(*out, kit.FieldError{Path: joinPath(prefix, path), Message: message, Rule: schemaErr.SchemaField, Schema: schemaErr.Schema})
		return
	}
	var parseErr *openapi3filter.ParseError
	if errors.As(err, &parseErr) {
		if reqErr != nil && reqErr.Parameter != nil {
			*out = append(*out, kit.FieldError{Path: prefix, Message: "is not a valid " + parameterType(reqErr.Parameter)})
		} else {
			*out = append(*out, kit.FieldError{Message: malformedJSON, Rule: "json"})
		}
		return
	}
	if reqErr == nil {
		*out = append(*out, kit.FieldError{Path: prefix, Message: err.Error()})
		return
	}
	if strings.Contains(err.Error(), "Content-Type") || strings.Contains(reqErr.Reason, "Content-Type") {
		*out = append(*out, kit.FieldError{Message: "the body must be sent as application/json"})
		return
	}
	*out = append(*out, kit.FieldError{Path: prefix, Message: reqErr.Error()})
}

// describeSchemaError names the field a schema error is about and says what is wrong with it.
func describeSchemaError(e *openapi3.SchemaError) (path, message string) {
	path = pointerToPath(e.JSONPointer())
	switch e.SchemaField {
	case "required":
		if name, ok := quotedName(e.Reason); ok {
			return withLeaf(e.JSONPointer(), path, name), "is required"
		}
	case "additionalProperties", "properties":
		// Unknown members: described as such, whichever keyword rejected them.
		if name, ok := quotedName(e.Reason); ok && strings.HasSuffix(e.Reason, "is unsupported") {
			return withLeaf(e.JSONPointer(), path, name), "is not a known property"
		}
	case "enum":
		if n := len(e.Schema.Enum); n > 0 && n <= 12 {
			values := make([]string, n)
			for i, v := range e.Schema.Enum {
				values[i] = fmt.Sprint(v)
			}
			return path, "must be one of: " + strings.Join(values, ", ")
		}
		return path, fmt.Sprintf("has a value that is not one of the documented values (%v)", e.Value)
	case "pattern":
		if e.Schema.Description != "" && strings.Contains(e.Schema.Description, "URL") {
			return path, "must be an https URL with a host name"
		}
		return path, "does not match the pattern " + e.Schema.Pattern
	case "minProperties":
		if e.Schema.MinProps == 1 {
			return path, "must have at least one property"
		}
		return path, fmt.Sprintf("must have at least %d properties", e.Schema.MinProps)
	}
	return path, e.Reason
}

// withLeaf makes sure the path ends with the property an error is about: depending on the
// check, kin-openapi points at the object or at the property itself.
func withLeaf(pointer []string, path, name string) string {
	if len(pointer) > 0 && pointer[len(pointer)-1] == name {
		return path
	}
	return joinPath(path, name)
}

// quotedName extracts "name" from reasons such as `property "name" is missing`.
func quotedName(reason string) (string, bool) {
	_, rest, ok := strings.Cut(reason, `"`)
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, `"`)
	return name, ok
}

// pointerToPath turns ["eventFilters", "0", "key"] into "eventFilters[0].key".
func pointerToPath(pointer []string) string {
	var b strings.Builder
	for _, seg := range pointer {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

func joinPath(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	}
	return prefix + "." + path
}

func parameterType(p *openapi3.Parameter) string {
	if p.Schema != nil && p.Schema.Value != nil && p.Schema.Value.Type != nil && len(*p.Schema.Value.Type) > 0 {
		return (*p.Schema.Value.Type)[0]
	}
	return "value"
}

// malformedJSON is how every dialect words a body that is not JSON (Voucherify's words).
const malformedJSON = "Invalid request payload JSON format"
