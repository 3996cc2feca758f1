// Package apitest runs the HTTP API against a fresh PostgreSQL database and checks every
// response it receives against openapi.yaml, so that a response that drifts from the published
// contract fails the test that provoked it.
package apitest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/webhookd/webhookd/handlers/superoffice"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/pgtest"
)

// AdminToken is the admin token of every test server.
const AdminToken = "test-admin-token"

// Env is one running API with its own database.
type Env struct {
	URL    string
	Server *httptest.Server
	// DB is the test's database, for starting delivery engines on it.
	DB     *sql.DB
	router routers.Router
}

// New starts the API on a fresh database; both go away when the test ends.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	conn := pgtest.New(t)
	return NewWithDB(t, conn, opts...)
}

// testLog shows the server's warnings and errors with the test's output, which go test prints
// only for a failing test (or with -v).
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// Option changes the configuration of a test server.
type Option func(*handlers.Config)

// NewWithDB starts the API on conn; health tests pass a database that does not answer.
func NewWithDB(t testing.TB, conn *sql.DB, opts ...Option) *Env {
	t.Helper()
	router := specRouter(t) // before any server runs: it registers decoders process-wide
	cfg := handlers.Config{DB: conn, AdminToken: AdminToken, Logger: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	for _, opt := range opts {
		opt(&cfg)
	}
	e, err := handlers.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &Env{URL: srv.URL, Server: srv, DB: conn, router: router}
}

// Request is one call to the API. Body is sent as is when it is a string or []byte and as
// JSON otherwise; a JSON content type is set unless Header names one.
type Request struct {
	Method string
	Path   string
	Body   any
	Header http.Header
}

// Response is what the API answered, already validated against the spec.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// Map returns the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.Decode(t, &m)
	return m
}

// Do sends req and fails the test unless the response is one the spec documents for the
// matched operation, with a body that validates against its schema and an X-Request-Id.
func (e *Env) Do(t testing.TB, req Request) *Response {
	t.Helper()
	httpReq, resp := e.send(t, req)
	if _, err := e.validateResponse(httpReq, resp); err != nil {
		t.Fatal(err)
	}
	checkVendor(t, &req, resp.Status, resp.Header, resp.Body, func() (*requestForValidation, error) {
		r, err := http.NewRequest(req.Method, e.URL+req.Path, nil)
		if err != nil {
			return nil, err
		}
		r.Header = httpReq.Header.Clone()
		return &requestForValidation{req: r}, nil
	})
	return resp
}

// validateResponse checks resp against the operation of openapi.yaml that req matches and
// returns that operation.
func (e *Env) validateResponse(req *http.Request, resp *Response) (*openapi3.Operation, error) {
	route, params, err := e.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s matches no operation of openapi.yaml: %w", req.Method, req.URL.RequestURI(), err)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: resp.Status,
		Header: resp.Header,
		Body:   io.NopCloser(bytes.NewReader(resp.Body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidator("uuid", kit.UUIDFormat)}},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return route.Operation, fmt.Errorf("%s %s answered %d %s\nwhich openapi.yaml does not allow: %w", req.Method, req.URL.RequestURI(), resp.Status, resp.Body, err)
	}
	return route.Operation, nil
}

// Raw sends a request that is deliberately outside the spec (an unknown path, say) and checks
// only what holds for every response.
func (e *Env) Raw(t testing.TB, req Request) *Response {
	t.Helper()
	_, resp := e.send(t, req)
	return resp
}

func (e *Env) send(t testing.TB, req Request) (*http.Request, *Response) {
	t.Helper()
	var body []byte
	switch b := req.Body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	httpReq, err := http.NewRequest(req.Method, e.URL+req.Path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range req.Header {
		httpReq.Header[k] = vs
	}
	if body != nil && httpReq.Header.Get("Content-Type") == "" {
		httpReq.Header.Set("Content-Type", "application/json")
	}
	httpResp, err := client.Do(httpReq)
	if err != nil {
		t.Fatal(err)
	}
	defer httpResp.Body.Close()
	respBody, err := io.ReadAll(httpResp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if httpResp.Header.Get("X-Request-Id") == "" {
		t.Fatalf("%s %s: response has no X-Request-Id", req.Method, req.Path)
	}
	// The request as the router sees it: a fresh body for the validator to read.
	validated, _ := http.NewRequest(req.Method, e.URL+req.Path, bytes.NewReader(body))
	validated.Header = httpReq.Header.Clone()
	return validated, &Response{Status: httpResp.StatusCode, Header: httpResp.Header, Body: respBody}
}

// client shows redirects as they are answered, so that they are validated too.
var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// CreateAccount creates an account through the admin API.
func (e *Env) CreateAccount(t testing.TB, name string) gen.AccountCreated {
	t.Helper()
	resp := e.Do(t, Request{Method: http.MethodPost, Path: "/admin/v1/accounts", Body: map[string]any{"name": name}, Header: Admin()})
	if resp.Status != http.StatusCreated {
		t.Fatalf("create account: %d %s", resp.Status, resp.Body)
	}
	var account gen.AccountCreated
	resp.Decode(t, &account)
	return account
}

// Admin returns the admin API's auth header.
func Admin() http.Header { return Header("Authorization", "Bearer "+AdminToken) }

// Voucherify returns the management headers of an account.
func Voucherify(a gen.AccountCreated) http.Header {
	return Header("X-Management-Id", a.Voucherify.ManagementId, "X-Management-Token", a.Voucherify.ManagementToken)
}

// Shipping returns the Shipping auth header of an account's read-write key.
func Shipping(a gen.AccountCreated) http.Header {
	return Header("Authorization", "Bearer "+a.Shipping.ApiKey)
}

// SuperOffice returns an account's SuperOffice Basic auth header.
func SuperOffice(a gen.AccountCreated) http.Header {
	h := http.Header{}
	r := &http.Request{Header: h}
	r.SetBasicAuth(a.Superoffice.Username, a.Superoffice.Password)
	return h
}

// Bird returns the Bird auth header of an account.
func Bird(a gen.AccountCreated) http.Header {
	return Header("Authorization", "AccessKey "+a.Bird.AccessKey)
}

// Header builds a header from name/value pairs.
func Header(pairs ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(pairs); i += 2 {
		h.Set(pairs[i], pairs[i+1])
	}
	return h
}

var (
	specOnce sync.Once
	spec     *openapi3.T
	specErr  error
)

// specRouter loads openapi.yaml itself, not the copy embedded in the binary.
func specRouter(t testing.TB) routers.Router {
	t.Helper()
	specOnce.Do(func() {
		registerBodyDecoders()
		loader := openapi3.NewLoader()
		spec, specErr = loader.LoadFromFile(specPath())
		if specErr == nil {
			specErr = spec.Validate(loader.Context)
		}
		if specErr == nil {
			spec.Servers = nil
		}
	})
	if specErr != nil {
		t.Fatalf("openapi.yaml: %v", specErr)
	}
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

type requestForValidation struct{ req *http.Request }

// registerBodyDecoders teaches kin-openapi (process-wide) to read the response media types of
// openapi.yaml that it does not know, so that every response can be checked against the spec.
func registerBodyDecoders() {
	openapi3filter.RegisterBodyDecoder("application/xml", superoffice.DecodeXMLBody)
	openapi3filter.RegisterBodyDecoder("text/xml", superoffice.DecodeXMLBody)
	openapi3filter.RegisterBodyDecoder("text/json", superoffice.DecodeTextJSONBody)
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/javascript", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/css", openapi3filter.FileBodyDecoder)
}

// specPath is openapi.yaml's place in the repository, whichever package's tests ask.
func specPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "openapi.yaml")
}
