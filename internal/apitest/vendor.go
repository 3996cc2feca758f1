package apitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/webhookd/webhookd/internal/vendordocs"
)

// VendorDocs are the vendors' own OpenAPI documents (see internal/vendordocs); the test is
// skipped when they are absent.
func VendorDocs(t testing.TB) map[string]*openapi3.T {
	t.Helper()
	if VendorDocsAbsent() {
		t.Skip(vendordocs.SkipNotice())
	}
	if vendorErr != nil {
		t.Fatalf("vendor documents: %v", vendorErr)
	}
	return vendorDocs
}

// VendorDocsAbsent reports whether the vendors' documents are missing from their default place,
// printing the skip notice once per test binary.
func VendorDocsAbsent() bool {
	vendorOnce.Do(loadVendorDocs)
	if !errors.Is(vendorErr, vendordocs.ErrAbsent) {
		return false
	}
	noticeOnce.Do(func() { fmt.Fprintln(os.Stderr, vendordocs.SkipNotice()) })
	return true
}

var (
	noticeOnce    sync.Once
	vendorOnce    sync.Once
	vendorDocs    map[string]*openapi3.T
	vendorRouters []routers.Router
	vendorErr     error
)

func loadVendorDocs() {
	raw, err := vendordocs.Load()
	if err != nil {
		vendorErr = err
		return
	}
	vendorDocs = map[string]*openapi3.T{}
	for name, data := range raw {
		doc, err := openapi3.NewLoader().LoadFromData(data)
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

// checkVendor validates a response against the vendor's own document when the vendor documents
// the operation: a client generated from the vendor's document must accept what we send.
// Status codes the vendor does not list (Bird's document lists no 401) are not judged.
func checkVendor(t testing.TB, req *Request, status int, header map[string][]string, body []byte, build func() (*requestForValidation, error)) {
	t.Helper()
	if VendorDocsAbsent() {
		return
	}
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
