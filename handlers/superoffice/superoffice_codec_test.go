package superoffice

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"

	"github.com/webhookd/webhookd/gen"
)

// webhookSchemaRef is the Webhook schema as the codec sees it in a request or response.
func webhookSchemaRef(t testing.TB) *openapi3.SchemaRef {
	t.Helper()
	s, err := soWebhookSchema()
	if err != nil {
		t.Fatal(err)
	}
	return &openapi3.SchemaRef{Ref: "#/components/schemas/Webhook", Value: s}
}

// putRoute is the operation whose body the transcoder fuzz targets send.
var putRoute = sync.OnceValues(func() (*routers.Route, error) {
	spec, err := gen.GetSpec()
	if err != nil {
		return nil, err
	}
	item := spec.Paths.Value("/api/v1/Webhook/{id}")
	return &routers.Route{Spec: spec, Path: "/api/v1/Webhook/{id}", PathItem: item, Method: http.MethodPut, Operation: item.Put}, nil
})

// transcodes sends body through transcodeRequest as contentType: it must either refuse it or
// leave a JSON body with a matching Content-Length.
func transcodes(t *testing.T, contentType string, body []byte) {
	route, err := putRoute()
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPut, "/api/v1/Webhook/1", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if err := transcodeRequest(req, route); err != nil {
		return
	}
	out, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(out) || req.Header.Get("Content-Type") != "application/json" || req.ContentLength != int64(len(out)) {
		t.Fatalf("transcoding %q as %s gave %q (%s, %d bytes)", body, contentType, out, req.Header.Get("Content-Type"), req.ContentLength)
	}
}

// wellFormed reads doc to its end with encoding/xml, which checks names, nesting, escapes and
// the characters XML 1.0 allows.
func wellFormed(doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	roots, depth := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 {
		return errors.New("not exactly one root element")
	}
	return nil
}

// canonical is v as JSON, for comparing values whatever their Go number types.
func canonical(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %#v: %v", v, err)
	}
	var back any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(back)
	return string(out)
}

// xmlRoundTrip checks that doc, read as schema describes it, writes well-formed XML that reads
// back to the same value. Documents the parser refuses are skipped; so is a second reading
// refused only because the dictionary form nests deeper than the first document did.
func xmlRoundTrip(t *testing.T, doc []byte, schema *openapi3.SchemaRef) {
	root, err := parseXML(bytes.NewReader(doc))
	if err != nil {
		return
	}
	first, err := xmlToValue(root, schema.Value, nil)
	if err != nil {
		return
	}
	body, err := json.Marshal(first)
	if err != nil {
		t.Fatalf("the value read from %q does not marshal: %v", doc, err)
	}
	out, err := jsonToXML(body, schema)
	if err != nil {
		t.Fatalf("jsonToXML(%s): %v", body, err)
	}
	if err := wellFormed(out); err != nil {
		t.Fatalf("jsonToXML(%s) is not well-formed (%v):\n%s", body, err, out)
	}
	root2, err := parseXML(bytes.NewReader(out))
	if errors.Is(err, errXMLTooDeep) {
		return
	}
	if err != nil {
		t.Fatalf("re-reading %s: %v", out, err)
	}
	second, err := xmlToValue(root2, schema.Value, nil)
	if err != nil {
		t.Fatalf("re-reading %s: %v", out, err)
	}
	if a, b := canonical(t, first), canonical(t, second); a != b {
		t.Fatalf("round trip changed the value:\n%s\n%s\nvia %s", a, b, out)
	}
}

var xmlSeeds = []string{
	`<Webhook xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Name>n</Name><Events><string>a.b</string></Events><ErrorsEmail i:nil="true"/></Webhook>`,
	`<Webhook><Headers><KeyValueOfstringstring><Key>X-A</Key><Value>1</Value></KeyValueOfstringstring></Headers></Webhook>`,
	`<Webhook><Properties><a><b><c>1</c></b></a><list><anyType>1</anyType><anyType>x</anyType></list></Properties></Webhook>`,
	`<Webhook xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Properties><KeyValueOfstringanyType><Key>c d</Key><Value i:type="d:decimal" xmlns:d="http://www.w3.org/2001/XMLSchema">1.5</Value></KeyValueOfstringanyType></Properties></Webhook>`,
	`<Webhook><WebhookId>7</WebhookId><State>Active</State><Name>&lt;&amp;&#x1F600;</Name></Webhook>`,
	`<a><b><c><d>deep</d></c></b></a>`,
	`<Webhook><Properties><x xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="d:boolean">TRUE</x></Properties></Webhook>`,
	`<r>text</r>`,
}

func FuzzXMLTranscode(f *testing.F) {
	for _, s := range xmlSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40)))
	f.Fuzz(func(t *testing.T, doc []byte) {
		xmlRoundTrip(t, doc, webhookSchemaRef(t))
		xmlRoundTrip(t, doc, &openapi3.SchemaRef{}) // an untyped document
		transcodes(t, "application/xml", doc)
	})
}

func FuzzJSONToXML(f *testing.F) {
	for _, s := range []string{
		`{"Name": "n", "Properties": {"a": {"b": {"c d": 1}}}}`,
		`{"Properties": {"": null, "x\u0001y": "\u0000\ud800", "<&>": [1, true, "s", {"k": []}], "é": {"1": 2.5e10}}}`,
		`{"Headers": {"X-A": "b"}, "Events": ["a", "b"], "Unknown key": {"x": 1}, "Valid_Name": "v"}`,
		`[1, "two", {"three": [3]}, null, false]`,
		`"just text ]]> & \u2028"`,
		`{"a": -0.0, "b": 1e308, "c": 12345678901234567890}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, schema := range []*openapi3.SchemaRef{webhookSchemaRef(t), nil} {
			out, err := jsonToXML(body, schema)
			if err != nil {
				continue // not JSON
			}
			if err := wellFormed(out); err != nil {
				t.Fatalf("jsonToXML(%q) is not well-formed (%v):\n%s", body, err, out)
			}
			if schema != nil {
				xmlRoundTrip(t, out, schema)
			} else {
				xmlRoundTrip(t, out, &openapi3.SchemaRef{})
			}
		}
	})
}

func FuzzFormTranscode(f *testing.F) {
	for _, s := range []string{
		"Name=n&Events=a&Events=b&TargetUrl=https%3A%2F%2Fexample.com",
		"Events[0]=a&Headers[X-A]=b&Headers.Y=c&WebhookId=5",
		"WebhookId=x&Headers=bare",
		"%zz&[=]&.=&Headers[a][b]=c&Properties.x=1",
	} {
		f.Add(s)
	}
	schema := webhookSchemaRef(f).Value
	f.Fuzz(func(t *testing.T, body string) {
		transcodes(t, "application/x-www-form-urlencoded", []byte(body))
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		v, err := formToValue(form, schema)
		if err != nil {
			return
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("formToValue(%q) = %#v, which does not marshal: %v", body, v, err)
		}
	})
}

// Untyped nested objects with keys no element could be named after are written as
// dictionaries and read back unchanged.
func TestUntypedValuesRoundTripThroughXML(t *testing.T) {
	schema := webhookSchemaRef(t)
	for _, body := range []string{
		`{"Properties": {"a": {"b": {"c d": 1}}}}`,
		`{"Properties": {"1st": {"x:y": true, "<&>": "a<b>&c", "": null}, "list": [1, "1", [false], {"k v": "w"}]}}`,
		`{"Properties": {"n": 12345678901234567890, "f": -1.5e-7, "s": "12"}}`,
		`{"Properties": {"ctl": "a\u0001b\u0000"}}`,
	} {
		out, err := jsonToXML([]byte(body), schema)
		if err != nil {
			t.Fatal(err)
		}
		if err := wellFormed(out); err != nil {
			t.Fatalf("%s: %v\n%s", body, err, out)
		}
		v, err := DecodeXMLBody(bytes.NewReader(out), nil, schema, nil)
		if err != nil {
			t.Fatalf("%s: %v\n%s", body, err, out)
		}
		want := body
		if strings.Contains(body, `\u0001`) {
			want = `{"Properties": {"ctl": "a\ufffdb\ufffd"}}` // characters XML 1.0 cannot carry
		}
		var w any
		dec := json.NewDecoder(strings.NewReader(want))
		dec.UseNumber()
		if err := dec.Decode(&w); err != nil {
			t.Fatal(err)
		}
		if got, exp := canonical(t, v), canonical(t, w); got != exp {
			t.Errorf("%s\nread back as %s\nvia %s", exp, got, out)
		}
	}
}

func TestXMLNestingIsCapped(t *testing.T) {
	within := strings.Repeat("<a>", maxXMLDepth) + "x" + strings.Repeat("</a>", maxXMLDepth)
	if _, err := parseXML(strings.NewReader(within)); err != nil {
		t.Errorf("%d levels: %v", maxXMLDepth, err)
	}
	over := strings.Repeat("<a>", maxXMLDepth+1) + strings.Repeat("</a>", maxXMLDepth+1)
	if _, err := parseXML(strings.NewReader(over)); !errors.Is(err, errXMLTooDeep) {
		t.Errorf("%d levels: %v", maxXMLDepth+1, err)
	}
}

// Parsing costs memory in proportion to the body: a body ten times larger may allocate at most
// about ten times more (a generous 20), whatever its shape. Bytes allocated, unlike time, do not
// depend on what else the machine is doing.
func TestXMLParsingIsLinear(t *testing.T) {
	shapes := map[string]func(n int) string{
		"long text": func(n int) string { return "<Webhook><Name>" + strings.Repeat("a&amp;", n) + "</Name></Webhook>" },
		"many text chunks": func(n int) string {
			return "<Webhook><Name>" + strings.Repeat("a<!-- -->", n) + "</Name></Webhook>"
		},
		"wide": func(n int) string {
			return "<Webhook><Properties>" + strings.Repeat("<"+strings.Repeat("k", 64)+">v</"+strings.Repeat("k", 64)+">", n/20) + "</Properties></Webhook>"
		},
		"deep and long names": func(n int) string {
			name := strings.Repeat("n", n/100)
			return strings.Repeat("<"+name+">", 30) + strings.Repeat("<x/>", n/20) + strings.Repeat("</"+name+">", 30)
		},
	}
	schema := webhookSchemaRef(t).Value
	measure := func(doc string) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		root, err := parseXML(strings.NewReader(doc))
		if err == nil {
			_, _ = xmlToValue(root, schema, nil)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	for name, shape := range shapes {
		small, large := measure(shape(2000)), measure(shape(20000))
		if large > 20*small+1<<20 {
			t.Errorf("%s: %d bytes allocated for a body 10x the size of one that took %d", name, large, small)
		}
	}
}

func TestIsXMLName(t *testing.T) {
	for s, want := range map[string]bool{
		"Name": true, "_x": true, "a-b.c9": true, "": false, "c d": false, "1st": false, "-a": false,
		"x:y": false, "é": false, "<": false, "a\x00": false,
	} {
		if got := isXMLName(s); got != want {
			t.Errorf("isXMLName(%q) = %v", s, got)
		}
	}
}
