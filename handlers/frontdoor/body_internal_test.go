package frontdoor

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tt := range []struct {
		body string
		want error
	}{
		{``, nil},
		{"  \n", nil},
		{`{}`, nil},
		{`{"a":[1,2,{"b":null}]} `, nil},
		{`"x"`, nil},
		{`42`, nil},
		{deep(maxJSONDepth), nil},
		{deep(maxJSONDepth + 1), errJSONTooDeep},
		{deep(10000), errJSONTooDeep},
		{`{"a":1}{"x":`, errJSONMalformed},
		{`{"a":1} x`, errJSONMalformed},
		{`{"a":1}{}`, errJSONMalformed},
		{`[] []`, errJSONMalformed},
		{`1 2`, errJSONMalformed},
		{`{"a":`, errJSONMalformed},
		{`{"a" 1}`, errJSONMalformed},
		{"\xff", errJSONMalformed},
		{`{"a":"\u0000"}`, errJSONNul},
		{`{"\u0000":1}`, errJSONNul},
		{`["x\u0000y"]`, errJSONNul},
		{`{"a":"\\u0000"}`, nil}, // an escaped backslash, then "u0000": no NUL
	} {
		if got := checkJSON([]byte(tt.body)); !errors.Is(got, tt.want) {
			name := tt.body
			if len(name) > 40 {
				name = name[:40] + "…"
			}
			t.Errorf("checkJSON(%q) = %v, want %v", name, got, tt.want)
		}
	}
}

// FuzzCheckJSON: checkJSON never panics and accepts only what encoding/json accepts as one
// value, with no NUL in any string.
func FuzzCheckJSON(f *testing.F) {
	for _, seed := range []string{`{}`, `{"a":[1,{"b":"c"}]}`, `[[[]]]`, `{"a":1}{`, `"\u0000"`, `1 2`, "\"\xff\"", `1E700`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := checkJSON(body)
		if want := checkJSONByTokens(body); (err == nil) != (want == nil) {
			t.Fatalf("checkJSON(%q) = %v; reading token by token gives %v", body, err, want)
		}
		if err != nil || len(bytes.TrimSpace(body)) == 0 {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted %q, which is not JSON", body)
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber() // numbers beyond float64 (1E700) are JSON all the same
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("accepted %q, which encoding/json cannot read: %v", body, err)
		}
		if holdsNUL(v) {
			t.Fatalf("accepted %q, which holds a NUL", body)
		}
	})
}

// holdsNUL tells whether a decoded JSON value has a NUL in a string or a member name.
func holdsNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.IndexByte(v, 0) >= 0
	case []any:
		for _, e := range v {
			if holdsNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.IndexByte(k, 0) >= 0 || holdsNUL(e) {
				return true
			}
		}
	}
	return false
}

func TestECMAPatterns(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pattern, value string
		match          bool
	}{
		{`^https://([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}(:[0-9]+)?(/[^\s]*)?$`, "https://a.example.com/x", true},
		{`^https://([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}(:[0-9]+)?(/[^\s]*)?$`, "https://a.example.com/x\u00a0", false},
		{`^https://([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}(:[0-9]+)?(/[^\s]*)?$`, "https://a.example.com/x\u2028", false},
		{`^https://([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}(:[0-9]+)?(/[^\s]*)?$`, "https://a.example.com/x\ufeff", false},
		{`^\S+$`, "ab\u3000", false},
		{`^\S+$`, "abc", true},
		{`^a\sb$`, "a\u00a0b", true},
		{`^a.b$`, "a\u2029b", false},
		{`^a.b$`, "a\rb", false},
		{`^a.b$`, "axb", true},
		{`^a[.]b$`, "a.b", true},
		{`^a\.b$`, "axb", false},
		{`^(|[\s\S]{8,})$`, "12345678\u2028", true},
		{`^(|[\s\S]{8,})$`, "1234567", false},
		{`^\u00e9$`, "é", true},
		{`^[\]]$`, "]", true},
	} {
		re, err := compileECMAPattern(tt.pattern)
		if err != nil {
			t.Errorf("%q: %v", tt.pattern, err)
			continue
		}
		if got := re.MatchString(tt.value); got != tt.match {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.value, got, tt.match)
		}
	}
}

// FuzzECMAPattern: translating any pattern never panics.
func FuzzECMAPattern(f *testing.F) {
	for _, seed := range []string{`^a\sb$`, `[^\s]`, `[\s\S]`, `\u00`, `[`, `\`, `a.b`, `[]`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		if len(pattern) > 256 {
			return // the spec's patterns are short; long ones only slow the search down
		}
		_, _ = compileECMAPattern(pattern)
	})
}

func TestEchoPath(t *testing.T) {
	t.Parallel()
	for template, want := range map[string]string{
		"/healthz":                                   "/healthz",
		"/v1/webhook-subscriptions/{id}":             "/v1/webhook-subscriptions/:id",
		"/api/v1/Webhook/{eventName}/{primaryKey}":   "/api/v1/Webhook/:eventName/:primaryKey",
		"/management/v1/projects/{projectId}/x/{id}": "/management/v1/projects/:projectId/x/:id",
	} {
		if got := echoPath(template); got != want {
			t.Errorf("echoPath(%q) = %q, want %q", template, got, want)
		}
	}
}

// checkJSONByTokens is the straightforward reading of checkJSON's contract, token by token,
// kept to check the fast one against. It accepts exactly one JSON value, nested at most maxJSONDepth deep, whose strings
// and member names hold no NUL (PostgreSQL's text and jsonb cannot store it). Encoding/json
// would silently accept trailing data after the value and nest 10,000 levels deep.
func checkJSONByTokens(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil // an absent body is the schema's business (required or not)
	}
	if !utf8.Valid(body) {
		return errJSONMalformed
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return errJSONMalformed // io.EOF included: the value ended early
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				if depth++; depth > maxJSONDepth {
					return errJSONTooDeep
				}
			} else {
				depth--
			}
		case string:
			if strings.IndexByte(t, 0) >= 0 {
				return errJSONNul
			}
		}
		if depth == 0 {
			break
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errJSONMalformed // data after the value
	}
	return nil
}
