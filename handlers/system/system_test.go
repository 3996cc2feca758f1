package system_test

import (
	"database/sql"
	"net/http"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/apitest"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/healthz"}); resp.Status != http.StatusOK || resp.Map(t)["status"] != "ok" {
		t.Fatalf("healthz = %d %s", resp.Status, resp.Body)
	}

	dead, err := sql.Open("postgres", "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	down := apitest.NewWithDB(t, dead)
	if resp := down.Do(t, apitest.Request{Method: http.MethodGet, Path: "/healthz"}); resp.Status != http.StatusServiceUnavailable || resp.Map(t)["status"] != "unavailable" {
		t.Fatalf("healthz without a database = %d %s", resp.Status, resp.Body)
	}
}

func TestEveryResponseHasARequestID(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/healthz"})
	b := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/healthz"})
	if a.Header.Get("X-Request-Id") == b.Header.Get("X-Request-Id") {
		t.Errorf("two requests share the id %s", a.Header.Get("X-Request-Id"))
	}
	// A caller's id is kept when it is tame and replaced when it is not.
	if got := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/healthz", Header: apitest.Header("X-Request-Id", "trace-42")}); got.Header.Get("X-Request-Id") != "trace-42" {
		t.Errorf("a tame X-Request-Id was replaced by %q", got.Header.Get("X-Request-Id"))
	}
	if got := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/healthz", Header: apitest.Header("X-Request-Id", "a b<script>")}); got.Header.Get("X-Request-Id") == "a b<script>" {
		t.Errorf("an unsafe X-Request-Id was echoed")
	}
	// Off-spec requests too, in the shape of the dialect their path belongs to.
	for _, tt := range []struct {
		method, path string
		status       int
		want         string
	}{
		{http.MethodGet, "/nowhere", 404, `"code":"not_found"`},
		{http.MethodGet, "/management/v1/projects/p/elsewhere", 404, `"key":"not_found"`},
		{http.MethodPost, "/workspaces/0edf722b-93b4-4451-8a5d-4fafba5cdf8b/available-webhooks", 405, `"code":"MethodNotAllowed"`},
		{http.MethodDelete, "/admin/v1/accounts", 405, `"code":"invalid_request"`},
	} {
		resp := env.Raw(t, apitest.Request{Method: tt.method, Path: tt.path})
		if resp.Status != tt.status || !strings.Contains(string(resp.Body), tt.want) {
			t.Errorf("%s %s = %d %s, want %d with %s", tt.method, tt.path, resp.Status, resp.Body, tt.status, tt.want)
		}
	}
}
