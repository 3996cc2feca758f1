package docs_test

import (
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"testing"

	yaml11 "go.yaml.in/yaml/v2"

	"github.com/webhookd/webhookd/internal/apitest"
)

// Many tools read YAML 1.1 (PyYAML, yaml.v2), where a plain on, off, yes, no, y or n is a
// boolean and 010 is octal. The served /openapi.yaml must mean the same to them as
// /openapi.json does.
func TestServedYAMLReadsAsTheJSONUnderYAML11(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	served := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/openapi.yaml"})
	var doc any
	if err := yaml11.Unmarshal(served.Body, &doc); err != nil {
		t.Fatalf("/openapi.yaml under YAML 1.1: %v", err)
	}
	got, err := jsonValues(doc)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/openapi.json"}).Decode(t, &want)
	var diffs []string
	compareValues("", got, want, &diffs)
	for i, d := range diffs {
		if i == 20 {
			t.Errorf("… and %d more", len(diffs)-i)
			break
		}
		t.Error(d)
	}
}

// jsonValues turns what yaml.v2 decodes (maps keyed by any scalar) into what encoding/json
// decodes, naming a key that YAML 1.1 did not read as a string by its Go value and type.
func jsonValues(v any) (any, error) {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, item := range x {
			key, ok := k.(string)
			if !ok {
				key = fmt.Sprintf("%v (a %T key)", k, k)
			}
			converted, err := jsonValues(item)
			if err != nil {
				return nil, err
			}
			m[key] = converted
		}
		return m, nil
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			converted, err := jsonValues(item)
			if err != nil {
				return nil, err
			}
			out[i] = converted
		}
		return out, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case string, bool, float64, nil:
		return x, nil
	}
	return nil, fmt.Errorf("YAML 1.1 reads a %T (%v), which JSON cannot hold", v, v)
}

// compareValues records where got and want differ, by JSON pointer.
func compareValues(at string, got, want any, diffs *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, inGot := g[k]
			wv, inWant := w[k]
			switch {
			case !inGot:
				*diffs = append(*diffs, fmt.Sprintf("%s/%s: missing under YAML 1.1", at, k))
			case !inWant && isEmpty(gv):
				// /openapi.json is kin-openapi's rendering, which leaves out empty values
				// (security: [], description: '') that mean what their absence does.
			case !inWant:
				*diffs = append(*diffs, fmt.Sprintf("%s/%s: YAML 1.1 has this key, the JSON has not", at, k))
			default:
				compareValues(at+"/"+k, gv, wv, diffs)
			}
		}
		return
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			break
		}
		for i := range w {
			compareValues(fmt.Sprintf("%s/%d", at, i), g[i], w[i], diffs)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		*diffs = append(*diffs, fmt.Sprintf("%s: YAML 1.1 reads %#v, the JSON has %#v", at, got, want))
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}
