package superoffice

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// SuperOffice speaks JSON, text/json, XML and form bodies. The handlers see only JSON: this
// file converts the other encodings to and from JSON, guided by the operation's schema so that
// XML text becomes the right JSON type. XML follows .NET's DataContract conventions: members are
// elements, arrays hold one element per item (<string>…</string>), dictionaries hold
// <KeyValueOf…><Key/><Value/></KeyValueOf…> pairs, and null is i:nil="true".

const xmlSchemaInstance = "http://www.w3.org/2001/XMLSchema-instance"

// maxXMLDepth caps how deeply a request's XML elements may nest. The deepest document
// SuperOffice defines is a webhook's Properties value a few levels down; 32 leaves room for
// nested dictionaries while keeping a hostile body's cost bounded.
const maxXMLDepth = 32

// errXMLTooDeep is an XML body nested deeper than maxXMLDepth.
var errXMLTooDeep = fmt.Errorf("the XML body nests elements more than %d levels deep", maxXMLDepth)

// xmlSchemaTypes is the namespace of the i:type values that mark untyped numbers and booleans.
const xmlSchemaTypes = "http://www.w3.org/2001/XMLSchema"

// jsonNumber is JSON's number syntax.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// anyTypeItem is DataContract's element name for an untyped array item.
const anyTypeItem = "anyType"

// xmlNode is a parsed XML element.
type xmlNode struct {
	name     string
	nilValue bool
	xsiType  string // i:type's local name ("boolean", "decimal"…) on an untyped value
	text     []byte // appended to as CharData arrives: linear in the body's size
	children []*xmlNode
}

func (n *xmlNode) trimmedText() string { return string(bytes.TrimSpace(n.text)) }

// parseXML reads one XML document into a tree. It refuses nesting deeper than maxXMLDepth, and
// its time and memory grow linearly with the body.
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
			if len(stack) >= maxXMLDepth {
				return nil, errXMLTooDeep
			}
			n := &xmlNode{name: t.Name.Local}
			for _, a := range t.Attr {
				if a.Name.Space != xmlSchemaInstance && a.Name.Space != "i" && a.Name.Space != "xsi" {
					continue
				}
				switch a.Name.Local {
				case "nil":
					n.nilValue = a.Value == "true"
				case "type":
					_, n.xsiType, _ = strings.Cut(a.Value, ":")
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
				top := stack[len(stack)-1]
				top.text = append(top.text, t...)
			}
		}
	}
	if root == nil {
		return nil, errors.New("the body holds no XML element")
	}
	return root, nil
}

// xmlPath names where in a document a value is, built only when an error reports it, so that
// long element names do not make every step of a conversion costly.
type xmlPath struct {
	parent *xmlPath
	name   string
	index  int // for array items; name is empty
}

func (p *xmlPath) child(name string) *xmlPath { return &xmlPath{parent: p, name: name} }
func (p *xmlPath) item(i int) *xmlPath        { return &xmlPath{parent: p, index: i} }

func (p *xmlPath) String() string {
	if p == nil {
		return ""
	}
	parent := p.parent.String()
	switch {
	case p.name == "":
		return fmt.Sprintf("%s[%d]", parent, p.index)
	case parent == "":
		return p.name
	}
	return parent + "." + p.name
}

// xmlToValue converts an element to the JSON value its schema describes.
func xmlToValue(n *xmlNode, schema *openapi3.Schema, path *xmlPath) (any, error) {
	if n.nilValue {
		return nil, nil
	}
	if schema == nil || schema.Type == nil || len(*schema.Type) == 0 {
		return untypedValue(n, path)
	}
	switch (*schema.Type)[0] {
	case "object":
		if len(schema.Properties) == 0 && schema.AdditionalProperties.Schema != nil || schema.AdditionalProperties.Has != nil && *schema.AdditionalProperties.Has && len(schema.Properties) == 0 {
			var valueSchema *openapi3.Schema
			if schema.AdditionalProperties.Schema != nil {
				valueSchema = schema.AdditionalProperties.Schema.Value
			}
			return dictionaryValue(n, valueSchema, path)
		}
		obj := map[string]any{}
		for _, c := range n.children {
			name, prop := lookupProperty(schema, c.name)
			if prop == nil {
				continue // unknown members are ignored, as DataContract does
			}
			v, err := xmlToValue(c, prop, path.child(name))
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
		arr := make([]any, 0, len(n.children))
		for i, c := range n.children {
			v, err := xmlToValue(c, items, path.item(i))
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		return arr, nil
	default:
		return scalarFromText(n.trimmedText(), schema, path)
	}
}

// untypedValue reads a value the schema leaves open (a Properties value), in the forms
// valueToXML writes: text, <KeyValueOf…> pairs for an object, <anyType> items for an array.
// Child elements named after their keys are read as an object too.
func untypedValue(n *xmlNode, path *xmlPath) (any, error) {
	if len(n.children) == 0 {
		text := n.trimmedText()
		switch n.xsiType {
		case "boolean":
			if b, err := strconv.ParseBool(text); err == nil {
				return b, nil
			}
		case "decimal", "double", "float", "int", "long", "short", "byte", "integer":
			if jsonNumber.MatchString(text) {
				return json.Number(text), nil
			}
		}
		return text, nil
	}
	pairs, items := true, true
	for _, c := range n.children {
		pairs = pairs && strings.HasPrefix(c.name, "KeyValueOf")
		items = items && c.name == anyTypeItem
	}
	switch {
	case pairs:
		return dictionaryValue(n, nil, path)
	case items:
		arr := make([]any, 0, len(n.children))
		for i, c := range n.children {
			v, err := xmlToValue(c, nil, path.item(i))
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		return arr, nil
	}
	obj := map[string]any{}
	for _, c := range n.children {
		v, err := xmlToValue(c, nil, path.child(c.name))
		if err != nil {
			return nil, err
		}
		obj[c.name] = v
	}
	return obj, nil
}

// dictionaryValue reads <KeyValueOf…><Key/><Value/></KeyValueOf…> pairs, or elements named
// after their keys, into an object whose values valueSchema describes.
func dictionaryValue(n *xmlNode, valueSchema *openapi3.Schema, path *xmlPath) (any, error) {
	obj := map[string]any{}
	for _, c := range n.children {
		key, valueNode := c.name, c
		if strings.HasPrefix(c.name, "KeyValueOf") {
			valueNode = nil
			for _, kv := range c.children {
				switch kv.name {
				case "Key":
					key = kv.trimmedText()
				case "Value":
					valueNode = kv
				}
			}
			if valueNode == nil {
				return nil, fmt.Errorf("%s: %s has no Value", strings.TrimPrefix(path.String(), "."), c.name)
			}
		}
		v, err := xmlToValue(valueNode, valueSchema, path.child(key))
		if err != nil {
			return nil, err
		}
		obj[key] = v
	}
	return obj, nil
}

// scalarFromText converts text (an XML element's or a form field's) to the schema's type.
func scalarFromText(text string, schema *openapi3.Schema, path fmt.Stringer) (any, error) {
	if schema == nil || schema.Type == nil || len(*schema.Type) == 0 {
		return text, nil
	}
	switch (*schema.Type)[0] {
	case "integer":
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not an integer", path, text)
		}
		return n, nil
	case "number":
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s: %q is not a number", path, text)
		}
		return f, nil
	case "boolean":
		b, err := strconv.ParseBool(text)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not true or false", path, text)
		}
		return b, nil
	}
	return text, nil
}
