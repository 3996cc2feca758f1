package handlers_test

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

// Whatever a client sends, the answer is documented and never a 500. Bodies that a dialect's
// schema tolerates (Arkyn ignores unknown members) may succeed without changing anything.
func TestOddInputNeverFailsTheServer(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	bodies := []string{``, `null`, `[]`, `"x"`, `42`, `{"a":`, "\x00\xff", `{"target_url": null, "events": null}`,
		`{"url": 5, "service": [], "event": {}, "eventFilters": "x"}`, `{"eventFilters": [null]}`,
		`{"name": "` + strings.Repeat("x", 300) + `"}`}
	type target struct {
		method, path string
		header       http.Header
	}
	sub := createBirdSubscription(t, env, acme, `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/a"}`)
	arkyn := arkynLogin(t, env, acme)
	targets := []target{
		{http.MethodPost, "/admin/v1/accounts", apitest.Admin()},
		{http.MethodPatch, "/admin/v1/accounts/" + acme.Id.String(), apitest.Admin()},
		{http.MethodPost, webhooksPath(acme), apitest.Voucherify(acme)},
		{http.MethodPut, webhooksPath(acme) + "/wh_x", apitest.Voucherify(acme)},
		{http.MethodPost, subscriptionsPath(acme), apitest.Bird(acme)},
		{http.MethodPatch, subscriptionsPath(acme) + "/" + sub.Id.String(), apitest.Bird(acme)},
		{http.MethodPost, "/user/auth", http.Header{}},
		{http.MethodPost, "/api/v1/Webhook", apitest.SuperOffice(acme)},
		{http.MethodPut, "/api/v1/Webhook/1", apitest.SuperOffice(acme)},
		{http.MethodPatch, "/api/v1/Webhook/1", apitest.SuperOffice(acme)},
		{http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(acme)},
		{http.MethodPost, "/traffic-source", arkyn},
		{http.MethodPut, "/webhooks/" + acme.Arkyn.TrafficSourceId.String(), arkyn},
	}
	for _, tg := range targets {
		for _, body := range bodies {
			for _, contentType := range []string{"application/json", "text/plain", "application/xml", "application/x-www-form-urlencoded", "application/json-patch+json"} {
				h := tg.header.Clone()
				h.Set("Content-Type", contentType)
				resp := env.Do(t, apitest.Request{Method: tg.method, Path: tg.path, Header: h, Body: body})
				if resp.Status >= 500 || resp.Status < 400 && tg.method != http.MethodPut {
					t.Errorf("%s %s %s %q = %d %s, want a 4xx", tg.method, tg.path, contentType, body, resp.Status, resp.Body)
				}
			}
		}
	}
}
