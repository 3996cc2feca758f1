package handlers

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// SuperOffice speaks JSON, text/json, XML and form bodies. The handlers see only JSON: this
// file converts the other encodings to and from JSON, guided by the operation's schema so that
// XML text becomes the right JSON type. XML follows .NET's DataContract conventions: members are
// elements, arrays hold one element per item (<string>…</string>), dictionaries hold
// <KeyValueOf…><Key/><Value/></KeyValueOf…> pairs, and null is i:nil="true".

const xmlSchemaInstance = "http://www.w3.org/2001/XMLSchema-instance"

// xmlNode is a parsed XML element.
type xmlNode struct {
	name     string
	nilValue bool
	text     string
	children []*xmlNode
}

func parseXML(r io.Reader) (*xmlNode, error) {
	dec := xml.NewDecoder(r)
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the body is not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: t.Name.Local}
			for _, a := range t.Attr {
				if a.Name.Local == "nil" && (a.Name.Space == xmlSchemaInstance || a.Name.Space == "i" || a.Name.Space == "xsi") && a.Value == "true" {
					n.nilValue = true
				}
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("the body holds no XML element")
	}
	return root, nil
}

// xmlToValue converts an element to the JSON value its schema describes.
func xmlToValue(n *xmlNode, schema *openapi3.Schema, path string) (any, error) {
	if n.nilValue {
		return nil, nil
	}
	text := strings.TrimSpace(n.text)
	if schema == nil || schema.Type == nil || len(*schema.Type) == 0 {
		// Untyped (a Properties value): elements become objects, text stays text.
		if len(n.children) == 0 {
			return text, nil
		}
		obj := map[string]any{}
		for _, c := range n.children {
			v, err := xmlToValue(c, nil, path+"."+c.name)
			if err != nil {
				return nil, err
			}
			obj[c.name] = v
		}
		return obj, nil
	}
	switch (*schema.Type)[0] {
	case "object":
		obj := map[string]any{}
		if len(schema.Properties) == 0 && schema.AdditionalProperties.Schema != nil || schema.AdditionalProperties.Has != nil && *schema.AdditionalProperties.Has && len(schema.Properties) == 0 {
			var valueSchema *openapi3.Schema
			if schema.AdditionalProperties.Schema != nil {
				valueSchema = schema.AdditionalProperties.Schema.Value
			}
			for _, c := range n.children {
				key, valueNode := c.name, c
				if strings.HasPrefix(c.name, "KeyValueOf") {
					valueNode = nil
					for _, kv := range c.children {
						switch kv.name {
						case "Key":
							key = strings.TrimSpace(kv.text)
						case "Value":
							valueNode = kv
						}
					}
					if valueNode == nil {
						return nil, fmt.Errorf("%s: %s has no Value", path, c.name)
					}
				}
				v, err := xmlToValue(valueNode, valueSchema, path+"."+key)
				if err != nil {
					return nil, err
				}
				obj[key] = v
			}
			return obj, nil
		}
		for _, c := range n.children {
			name, prop := lookupProperty(schema, c.name)
			if prop == nil {
				continue // unknown members are ignored, as DataContract does
			}
			v, err := xmlToValue(c, prop, path+"."+name)
			if err != nil {
				return nil, err
			}
			obj[name] = v
		}
		return obj, nil
	case "array":
		var items *openapi3.Schema
		if schema.Items != nil {
			items = schema.Items.Value
		}
		arr := []any{}
		for i, c := range n.children {
			v, err := xmlToValue(c, items, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		return arr, nil
	default:
		return scalarFromText(text, schema, path)
	}
}

// scalarFromText converts text (an XML element's or a form field's) to the schema's type.
func scalarFromText(text string, schema *openapi3.Schema, path string) (any, error) {
	if schema == nil || schema.Type == nil || len(*schema.Type) == 0 {
		return text, nil
	}
	switch (*schema.Type)[0] {
	case "integer":
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not an integer", strings.TrimPrefix(path, "."), text)
		}
		return n, nil
	case "number":
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", strings.TrimPrefix(path, "."), text)
		}
		return f, nil
	case "boolean":
		b, err := strconv.ParseBool(text)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not true or false", strings.TrimPrefix(path, "."), text)
		}
		return b, nil
	}
	return text, nil
}

// lookupProperty finds a property by name, ignoring case as SuperOffice does.
func lookupProperty(schema *openapi3.Schema, name string) (string, *openapi3.Schema) {
	if p, ok := schema.Properties[name]; ok && p.Value != nil {
		return name, p.Value
	}
	for k, p := range schema.Properties {
		if strings.EqualFold(k, name) && p.Value != nil {
			return k, p.Value
		}
	}
	return "", nil
}

// formToValue converts a form body to the JSON object its schema describes. Arrays repeat
// their key (Events=a&Events=b) or index it (Events[0]=a); dictionaries use Headers[name]=value
// or Headers.name=value.
func formToValue(form url.Values, schema *openapi3.Schema) (map[string]any, error) {
	obj := map[string]any{}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		base, sub := key, ""
		if i := strings.IndexAny(key, "[."); i > 0 {
			base, sub = key[:i], strings.Trim(key[i:], ".[]")
			sub = strings.ReplaceAll(sub, "][", ".")
		}
		name, prop := lookupProperty(schema, base)
		if prop == nil {
			continue
		}
		values := form[key]
		switch {
		case prop.Type != nil && prop.Type.Is("array"):
			arr, _ := obj[name].([]any)
			var items *openapi3.Schema
			if prop.Items != nil {
				items = prop.Items.Value
			}
			for _, v := range values {
				x, err := scalarFromText(v, items, name)
				if err != nil {
					return nil, err
				}
				arr = append(arr, x)
			}
			obj[name] = arr
		case prop.Type != nil && prop.Type.Is("object"):
			if sub == "" {
				return nil, fmt.Errorf("%s: give its members as %s[name]=value", name, name)
			}
			m, _ := obj[name].(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			m[sub] = values[len(values)-1]
			obj[name] = m
		default:
			v, err := scalarFromText(values[len(values)-1], prop, name)
			if err != nil {
				return nil, err
			}
			obj[name] = v
		}
	}
	return obj, nil
}

// valueToXML writes a JSON value as XML, named after its schema.
func valueToXML(w *bytes.Buffer, name string, v any, schema *openapi3.Schema, root bool) {
	attrs := ""
	if root {
		attrs = ` xmlns:i="` + xmlSchemaInstance + `"`
	}
	if v == nil {
		fmt.Fprintf(w, `<%s%s i:nil="true"/>`, name, attrs)
		return
	}
	fmt.Fprintf(w, "<%s%s>", name, attrs)
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		isMap := schema != nil && len(schema.Properties) == 0
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
				xml.EscapeText(w, []byte(k))
				w.WriteString("</Key>")
				valueToXML(w, "Value", x[k], prop, false)
				fmt.Fprintf(w, "</%s>", pair)
				continue
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
		xml.EscapeText(w, []byte(x))
	case bool:
		w.WriteString(strconv.FormatBool(x))
	case float64:
		w.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	case json.Number:
		w.WriteString(x.String())
	default:
		b, _ := json.Marshal(x)
		xml.EscapeText(w, b)
	}
	fmt.Fprintf(w, "</%s>", name)
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

// decodeXMLBody lets kin-openapi validate XML bodies (responses, in tests) against the schema.
func decodeXMLBody(body io.Reader, _ http.Header, schema *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	root, err := parseXML(body)
	if err != nil {
		return nil, err
	}
	var s *openapi3.Schema
	if schema != nil {
		s = schema.Value
	}
	return xmlToValue(root, s, "")
}

func decodeTextJSONBody(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	var v any
	dec := json.NewDecoder(body)
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
	}
	return v, nil
}
