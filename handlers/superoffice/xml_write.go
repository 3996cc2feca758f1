package superoffice

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// valueToXML writes a JSON value as XML, named after its schema. Objects the schema does not
// describe member by member are written as <KeyValueOf…> pairs, whatever their keys, and their
// arrays as <anyType> items, so that any JSON value makes well-formed XML that untypedValue reads
// back; text is escaped, and characters XML 1.0 cannot carry become U+FFFD.
func valueToXML(w *bytes.Buffer, name string, v any, schema *openapi3.Schema, root bool) {
	attrs := ""
	if root {
		attrs = ` xmlns:i="` + xmlSchemaInstance + `"`
	}
	if v == nil {
		fmt.Fprintf(w, `<%s%s i:nil="true"/>`, name, attrs)
		return
	}
	if schema == nil || schema.Type == nil || len(*schema.Type) == 0 {
		// An untyped value says what it is, as DataContract's i:type does, so that it reads back
		// as a number or boolean rather than as text.
		switch v.(type) {
		case bool:
			attrs += ` i:type="d:boolean" xmlns:d="` + xmlSchemaTypes + `"`
		case json.Number, float64:
			attrs += ` i:type="d:decimal" xmlns:d="` + xmlSchemaTypes + `"`
		}
	}
	fmt.Fprintf(w, "<%s%s>", name, attrs)
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		isMap := schema == nil || len(schema.Properties) == 0
		for _, k := range keys {
			var prop *openapi3.Schema
			if schema != nil {
				if p, ok := schema.Properties[k]; ok {
					prop = p.Value
				} else if schema.AdditionalProperties.Schema != nil {
					prop = schema.AdditionalProperties.Schema.Value
				}
			}
			if isMap {
				pair := "KeyValueOfstring" + xmlTypeName(prop)
				fmt.Fprintf(w, "<%s><Key>", pair)
				escapeXMLText(w, k)
				w.WriteString("</Key>")
				valueToXML(w, "Value", x[k], prop, false)
				fmt.Fprintf(w, "</%s>", pair)
				continue
			}
			if !isXMLName(k) {
				continue // a member the schema does not declare, which no element could be named after
			}
			valueToXML(w, k, x[k], prop, false)
		}
	case []any:
		var items *openapi3.Schema
		if schema != nil && schema.Items != nil {
			items = schema.Items.Value
		}
		for _, item := range x {
			valueToXML(w, xmlElementName(items, xmlTypeName(items)), item, items, false)
		}
	case string:
		escapeXMLText(w, x)
	case bool:
		w.WriteString(strconv.FormatBool(x))
	case float64:
		w.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	case json.Number:
		escapeXMLText(w, x.String())
	default:
		b, _ := json.Marshal(x)
		escapeXMLText(w, string(b))
	}
	fmt.Fprintf(w, "</%s>", name)
}

// escapeXMLText writes s as element text. encoding/xml escapes markup and replaces characters
// outside XML 1.0's range (and invalid UTF-8) with U+FFFD.
func escapeXMLText(w *bytes.Buffer, s string) {
	_ = xml.EscapeText(w, []byte(s))
}

// isXMLName reports whether s can name an element as written: ASCII letters, digits, '_', '-'
// and '.', not starting with a digit, '-' or '.'. Narrower than XML allows, so that every
// parser reads it alike (no ':' to be taken for a namespace prefix).
func isXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

func xmlElementName(schema *openapi3.Schema, fallback string) string {
	if schema != nil && schema.XML != nil && schema.XML.Name != "" {
		return schema.XML.Name
	}
	if schema != nil && schema.Title != "" {
		return schema.Title
	}
	return fallback
}

// xmlTypeName is DataContract's name for a value type.
func xmlTypeName(schema *openapi3.Schema) string {
	if schema == nil || schema.Type == nil || len(*schema.Type) == 0 {
		return "anyType"
	}
	switch (*schema.Type)[0] {
	case "string":
		return "string"
	case "integer":
		return "int"
	case "boolean":
		return "boolean"
	case "number":
		return "double"
	}
	return xmlElementName(schema, "anyType")
}

// DecodeXMLBody lets kin-openapi validate XML bodies (responses, in tests) against the schema.
func DecodeXMLBody(body io.Reader, _ http.Header, schema *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	root, err := parseXML(body)
	if err != nil {
		return nil, err
	}
	var s *openapi3.Schema
	if schema != nil {
		s = schema.Value
	}
	return xmlToValue(root, s, nil)
}

func DecodeTextJSONBody(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	var v any
	dec := json.NewDecoder(body)
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
	}
	return v, nil
}
