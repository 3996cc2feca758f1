package docs_test

import (
	"net/http"
	"slices"
	"sort"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

func TestSpecOperationsAreComplete(t *testing.T) {
	t.Parallel()
	spec := apitest.Spec(t)
	dialects := map[string]bool{}
	for _, tag := range spec.Tags {
		dialects[tag.Name] = true
	}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" || op.Summary == "" || op.Description == "" || len(op.Tags) != 1 || !dialects[op.Tags[0]] {
				t.Errorf("%s %s: needs an operationId, summary, description and exactly one dialect tag", method, path)
			}
			if op.RequestBody != nil && !hasExample(op.RequestBody.Value.Content) {
				t.Errorf("%s %s: the request body has no example", method, path)
			}
			has4xx := false
			for code, resp := range op.Responses.Map() {
				if len(resp.Value.Content) > 0 && !hasExample(resp.Value.Content) {
					t.Errorf("%s %s: the %s response has no example", method, path, code)
				}
				if code >= "400" && code < "600" {
					for mediaType, mt := range resp.Value.Content {
						if mt.Schema == nil {
							t.Errorf("%s %s: the %s response (%s) has no schema", method, path, code, mediaType)
						}
					}
					if len(resp.Value.Content) == 0 {
						t.Errorf("%s %s: the %s response has no body schema", method, path, code)
					}
				}
				has4xx = has4xx || code[0] == '4'
			}
			if op.Tags[0] != "system" && !has4xx {
				t.Errorf("%s %s: no 4XX response is documented", method, path)
			}
		}
	}
}

// Our operations keep every path, method, status code, security requirement and schema name
// of the vendors' own documents.
func TestSpecKeepsTheVendorsContracts(t *testing.T) {
	t.Parallel()
	spec := apitest.Spec(t)
	for vendor, doc := range apitest.VendorDocs(t) {
		for path, item := range doc.Paths.Map() {
			for method, vop := range item.Operations() {
				ours := spec.Paths.Find(path)
				if ours == nil || ours.GetOperation(method) == nil {
					t.Errorf("%s: %s %s is missing", vendor, method, path)
					continue
				}
				op := ours.GetOperation(method)
				for code := range vop.Responses.Map() {
					if op.Responses.Value(code) == nil {
						t.Errorf("%s: %s %s lacks the %s response", vendor, method, path, code)
					}
				}
				want := securityNames(vop.Security, &doc.Security)
				if got := securityNames(op.Security, &spec.Security); !slices.Equal(got, want) {
					t.Errorf("%s: %s %s security = %v, want %v", vendor, method, path, got, want)
				}
			}
		}
		for name := range doc.Components.Schemas {
			if spec.Components.Schemas[name] == nil {
				t.Errorf("%s: schema %s is missing", vendor, name)
			}
		}
	}

	// Voucherify's 60 event names, typos included.
	vendorEvents := enumOf(apitest.VendorDocs(t)["voucherify"].Components.Schemas["ManagementProjectsWebhookBase"].Value.Properties["events"].Value.Items.Value)
	ourEvents := enumOf(spec.Components.Schemas["ManagementProjectsWebhookEvent"].Value)
	if len(vendorEvents) != 60 || !slices.Equal(ourEvents, vendorEvents) {
		t.Errorf("events: ours %d, Voucherify's %d; they must be the same 60 names", len(ourEvents), len(vendorEvents))
	}
}

func securityNames(op *openapi3.SecurityRequirements, global *openapi3.SecurityRequirements) []string {
	reqs := global
	if op != nil {
		reqs = op
	}
	var names []string
	for _, r := range *reqs {
		for name := range r {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func enumOf(s *openapi3.Schema) []string {
	out := make([]string, 0, len(s.Enum))
	for _, v := range s.Enum {
		out = append(out, v.(string))
	}
	sort.Strings(out)
	return out
}

// hasExample tells whether some media type of a body carries an example.
func hasExample(content openapi3.Content) bool {
	for _, mt := range content {
		if mt.Example != nil || len(mt.Examples) > 0 {
			return true
		}
	}
	return false
}

// Every operation that reads a body answers 413 beyond its dialect's limit, so every one
// documents it; checked on the document the binary serves.
func TestSpecDocuments413WhereverABodyIsRead(t *testing.T) {
	t.Parallel()
	spec, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody != nil && op.Responses.Status(http.StatusRequestEntityTooLarge) == nil {
				t.Errorf("%s %s takes a body but documents no 413", method, path)
			}
		}
	}
}
