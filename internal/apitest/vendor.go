package apitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// VendorDocs are the vendors' own OpenAPI documents, read from ../shared beside the repository:
// Voucherify's webhook operations, and Bird's PATCH operation embedded in seed 002.
func VendorDocs(t testing.TB) map[string]*openapi3.T {
	t.Helper()
	vendorOnce.Do(loadVendorDocs)
	if vendorErr != nil {
		t.Fatalf("vendor documents: %v", vendorErr)
	}
	return vendorDocs
}

var (
	vendorOnce    sync.Once
	vendorDocs    map[string]*openapi3.T
	vendorRouters []routers.Router
	vendorErr     error
)

// SharedDir is ../shared relative to the repository root.
func SharedDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
}

func loadVendorDocs() {
	shared := SharedDir()
	voucherify, err := os.ReadFile(filepath.Join(shared, "reference", "voucherify-management-webhooks.json"))
	if err != nil {
		vendorErr = err
		return
	}
	seeds, _ := filepath.Glob(filepath.Join(shared, "seeds", "002_*.txt"))
	if len(seeds) != 1 {
		vendorErr = fmt.Errorf("seed 002 not found under %s", shared)
		return
	}
	seed, err := os.ReadFile(seeds[0])
	if err != nil {
		vendorErr = err
		return
	}
	bird, err := embeddedOpenAPI(seed)
	if err != nil {
		vendorErr = fmt.Errorf("seed 002: %w", err)
		return
	}
	vendorDocs = map[string]*openapi3.T{}
	for name, raw := range map[string][]byte{"voucherify": voucherify, "bird": bird} {
		doc, err := openapi3.NewLoader().LoadFromData(raw)
		if err != nil {
			vendorErr = fmt.Errorf("%s: %w", name, err)
			return
		}
		doc.Servers = nil
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			vendorErr = fmt.Errorf("%s: %w", name, err)
			return
		}
		vendorDocs[name] = doc
		vendorRouters = append(vendorRouters, router)
	}
}

// embeddedOpenAPI returns the fenced JSON block of a seed that holds an OpenAPI document.
func embeddedOpenAPI(seed []byte) ([]byte, error) {
	for _, block := range bytes.Split(seed, []byte("```json"))[1:] {
		body, _, ok := bytes.Cut(block, []byte("```"))
		if ok && bytes.Contains(body, []byte(`"openapi"`)) {
			return bytes.TrimSpace(body), nil
		}
	}
	return nil, errors.New("no embedded OpenAPI document")
}

// checkVendor validates a response against the vendor's own document when the vendor documents
// the operation: a client generated from the vendor's document must accept what we send.
// Status codes the vendor does not list (Bird's document lists no 401) are not judged.
func checkVendor(t testing.TB, req *Request, status int, header map[string][]string, body []byte, build func() (*requestForValidation, error)) {
	t.Helper()
	vendorOnce.Do(loadVendorDocs)
	if vendorErr != nil {
		t.Fatalf("vendor documents: %v", vendorErr)
	}
	for _, router := range vendorRouters {
		r, err := build()
		if err != nil {
			t.Fatal(err)
		}
		route, params, err := router.FindRoute(r.req)
		if err != nil {
			continue
		}
		input := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{
				Request: r.req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
			},
			Status:  status,
			Header:  header,
			Body:    io.NopCloser(bytes.NewReader(body)),
			Options: &openapi3filter.Options{MultiError: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
			t.Fatalf("%s %s answered %d %s\nwhich the vendor's own document does not allow: %v",
				req.Method, req.Path, status, body, strings.TrimSpace(err.Error()))
		}
	}
}
