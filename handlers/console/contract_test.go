package console_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/webhookd/webhookd/internal/apitest"
)

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

// Every operation the console calls is openapi.yaml's, by the same id, method and path: the
// page uses the public API and nothing else.
func TestConsoleCallsOnlyTheSpec(t *testing.T) {
	t.Parallel()
	spec := apitest.Spec(t)
	for _, op := range consoleOperations(t) {
		item := spec.Paths.Find(op.path)
		var specOp *openapi3.Operation
		if item != nil {
			specOp = item.GetOperation(op.method)
		}
		switch {
		case specOp == nil:
			t.Errorf("api.js calls %s %s (%s), which openapi.yaml does not have", op.method, op.path, op.id)
		case specOp != nil && specOp.OperationID != op.id:
			t.Errorf("api.js names %s %s %s; openapi.yaml calls it %s", op.method, op.path, op.id, specOp.OperationID)
		case specOp != nil && specOp.Tags[0] != "admin":
			t.Errorf("api.js calls %s, which is not an admin operation", op.id)
		}
	}
}
