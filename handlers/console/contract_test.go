package console_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/webhookd/webhookd/internal/apitest"
)

// awaiting is what the console calls that openapi.yaml does not offer yet, by the part of the
// service that brings it. Flows that need one of these skip; TestConsoleCallsOnlyTheSpec fails
// once it is offered, so that it leaves this list and its flows run.
var awaiting = map[string]string{
	"adminListDeliveries?status": "delivery filters (status, dialect, subscriptionUuid, eventType, since, until)",
	"adminGetDelivery":           "the delivery record",
	"adminResendDelivery":        "the delivery record",
	"adminListEvents":            "the delivery record",
	"adminGetEvent":              "the delivery record",
	"adminRecoverSubscription":   "the delivery record",
	"adminSendTestEvent":         "the delivery record",
}

// needs skips the test until openapi.yaml offers everything it names.
func needs(t *testing.T, names ...string) {
	t.Helper()
	var missing []string
	for _, n := range names {
		if _, ok := awaiting[n]; ok {
			missing = append(missing, n+" ("+awaiting[n]+")")
		}
	}
	if len(missing) > 0 {
		t.Skipf("runs once openapi.yaml offers %s", strings.Join(missing, ", "))
	}
}

// consoleOperation is one line of api.js's operations table.
type consoleOperation struct{ id, method, path string }

func consoleOperations(t *testing.T) []consoleOperation {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("assets", "api.js"))
	if err != nil {
		t.Fatal(err)
	}
	var ops []consoleOperation
	for _, m := range regexp.MustCompile(`(?m)^\s+(\w+): \['(GET|POST|PATCH|PUT|DELETE)', '([^']+)'\],$`).FindAllStringSubmatch(string(src), -1) {
		ops = append(ops, consoleOperation{m[1], m[2], m[3]})
	}
	if len(ops) < 10 {
		t.Fatalf("found %d operations in api.js; its table changed shape", len(ops))
	}
	return ops
}

// offered tells whether openapi.yaml has what an awaiting entry names.
func offered(spec *openapi3.T, name string) bool {
	if scheme := spec.Components.SecuritySchemes[name]; scheme != nil {
		return true
	}
	id, param, _ := strings.Cut(name, "?")
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID != id {
				continue
			}
			return param == "" || op.Parameters.GetByInAndName(openapi3.ParameterInQuery, param) != nil
		}
	}
	return false
}

// Every operation the console calls is openapi.yaml's, by the same id, method and path: the
// page uses the public API and nothing else. What the spec does not have yet is listed in
// awaiting, and leaves it as soon as the spec offers it.
func TestConsoleCallsOnlyTheSpec(t *testing.T) {
	t.Parallel()
	spec := apitest.Spec(t)
	for _, op := range consoleOperations(t) {
		item := spec.Paths.Find(op.path)
		var specOp *openapi3.Operation
		if item != nil {
			specOp = item.GetOperation(op.method)
		}
		_, waits := awaiting[op.id]
		switch {
		case specOp == nil && !waits:
			t.Errorf("api.js calls %s %s (%s), which openapi.yaml does not have", op.method, op.path, op.id)
		case specOp != nil && specOp.OperationID != op.id:
			t.Errorf("api.js names %s %s %s; openapi.yaml calls it %s", op.method, op.path, op.id, specOp.OperationID)
		case specOp != nil && specOp.Tags[0] != "admin":
			t.Errorf("api.js calls %s, which is not an admin operation", op.id)
		}
	}
	for name, what := range awaiting {
		if offered(spec, name) {
			t.Errorf("openapi.yaml offers %s (%s) now: delete it from awaiting in contract_test.go, and the console's tests of it run", name, what)
		}
	}
}
