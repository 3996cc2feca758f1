package superoffice

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// formField names a form member in error messages.
type formField string

func (f formField) String() string { return string(f) }

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
				x, err := scalarFromText(v, items, formField(name))
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
			v, err := scalarFromText(values[len(values)-1], prop, formField(name))
			if err != nil {
				return nil, err
			}
			obj[name] = v
		}
	}
	return obj, nil
}
