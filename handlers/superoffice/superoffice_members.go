package superoffice

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// canonicalMembers renames the members of a JSON body that match a schema property only when
// case is ignored: NetServer binds member names case-insensitively, and SuperOffice's own
// clients send camelCase ({"webhookId": 5}) where its documentation shows PascalCase. Where
// both spellings are sent, the exact one wins and the other is dropped.
func canonicalMembers(req *http.Request, route *routers.Route) error {
	if req.Body == nil || req.Body == http.NoBody || route.Operation.RequestBody == nil || route.Operation.RequestBody.Value == nil {
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || !(mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")) {
		return nil
	}
	mt := route.Operation.RequestBody.Value.Content.Get(mediaType)
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		// Leave the failure (a body over the limit, say) to whoever reads the body next.
		req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(raw), errReader{err}))
		return nil
	}
	body := raw
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil {
		if renamed, changed := canonicalValue(v, mt.Schema.Value); changed {
			if out, err := json.Marshal(renamed); err == nil {
				body = out
			}
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return nil
}

// canonicalValue renames v's members after schema s, at every depth the schema describes.
func canonicalValue(v any, s *openapi3.Schema) (any, bool) {
	if s == nil {
		return v, false
	}
	switch v := v.(type) {
	case map[string]any:
		changed := false
		names := map[string]string{}
		for name := range s.Properties {
			names[strings.ToLower(name)] = name
		}
		// Sorted: deterministic when several spellings of one member are sent.
		for _, key := range slices.Sorted(maps.Keys(v)) {
			value := v[key]
			name, known := key, false
			if _, exact := s.Properties[key]; exact {
				known = true
			} else if n, ok := names[strings.ToLower(key)]; ok {
				name, known = n, true
				delete(v, key)
				changed = true
				if _, taken := v[name]; taken {
					continue
				}
			}
			var child *openapi3.Schema
			if known {
				child = schemaOf(s.Properties[name])
			} else if s.AdditionalProperties.Schema != nil {
				child = schemaOf(s.AdditionalProperties.Schema)
			}
			var c bool
			v[name], c = canonicalValue(value, child)
			changed = changed || c
		}
		return v, changed
	case []any:
		changed := false
		if s.Items != nil {
			for i, item := range v {
				var c bool
				v[i], c = canonicalValue(item, schemaOf(s.Items))
				changed = changed || c
			}
		}
		return v, changed
	}
	return v, false
}

func schemaOf(ref *openapi3.SchemaRef) *openapi3.Schema {
	if ref == nil {
		return nil
	}
	return ref.Value
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
