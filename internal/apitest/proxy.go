package apitest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Proxy stands in front of the API for clients the test does not drive through Do (a vendor's
// own Node client, say): it forwards every request and checks every response against
// openapi.yaml, failing the test on any response the spec does not allow.
type Proxy struct {
	URL  string
	mu   sync.Mutex
	seen map[string][]int
}

// Proxy starts a validating proxy to the API; it stops when the test ends.
func (e *Env) Proxy(t testing.TB) *Proxy {
	t.Helper()
	p := &Proxy{seen: map[string][]int{}}
	// Loopback only, and bounded: a request the API does not answer fails instead of hanging.
	client := &http.Client{Timeout: 30 * time.Second}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out, err := http.NewRequestWithContext(r.Context(), r.Method, e.URL+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		resp, err := client.Do(out)
		if err != nil {
			t.Errorf("proxy: %s %s: %v", r.Method, r.URL, err)
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		respBody, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Errorf("proxy: %s %s: %v", r.Method, r.URL, err)
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		validated, _ := http.NewRequest(r.Method, e.URL+r.URL.RequestURI(), bytes.NewReader(body))
		validated.Header = r.Header.Clone()
		op, err := e.validateResponse(validated, &Response{Status: resp.StatusCode, Header: resp.Header, Body: respBody})
		if err != nil {
			t.Error(err)
		} else if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s %s: response has no X-Request-Id", r.Method, r.URL)
		}
		if op != nil {
			p.mu.Lock()
			p.seen[op.OperationID] = append(p.seen[op.OperationID], resp.StatusCode)
			p.mu.Unlock()
		}
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(respBody)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Seen returns, per operationId, the statuses of the responses the proxy validated.
func (p *Proxy) Seen() map[string][]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string][]int, len(p.seen))
	for op, statuses := range p.seen {
		out[op] = append([]int(nil), statuses...)
	}
	return out
}
