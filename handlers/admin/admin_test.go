package admin_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

func TestAdminCreateGetUpdateAccount(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	created := env.CreateAccount(t, "acme")
	if created.Name != "acme" || created.Features.ManagementApi == nil || !*created.Features.ManagementApi {
		t.Fatalf("created = %+v, want name acme with managementApi true by default", created)
	}
	if !regexp.MustCompile(`^proj_[A-Za-z0-9]{8}$`).MatchString(created.Voucherify.ProjectId) {
		t.Errorf("projectId = %q", created.Voucherify.ProjectId)
	}
	if created.Voucherify.ManagementId == "" || len(created.Voucherify.ManagementToken) < 32 || len(created.Bird.AccessKey) < 32 {
		t.Errorf("credentials too short: %+v", created)
	}

	path := "/admin/v1/accounts/" + created.Id.String()
	got := env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: apitest.Admin()})
	if got.Status != http.StatusOK {
		t.Fatalf("get: %d %s", got.Status, got.Body)
	}
	body := got.Map(t)
	if v := body["voucherify"].(map[string]any); v["projectId"] != created.Voucherify.ProjectId || v["managementToken"] != nil {
		t.Errorf("get voucherify = %v, want the project id and no token", v)
	}
	if b := body["bird"].(map[string]any); b["workspaceId"] != created.Bird.WorkspaceId.String() || b["accessKey"] != nil {
		t.Errorf("get bird = %v, want the workspace id and no access key", b)
	}

	upd := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: path, Header: apitest.Admin(),
		Body: `{"features": {"managementApi": false}}`})
	if upd.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", upd.Status, upd.Body)
	}
	var account gen.Account
	upd.Decode(t, &account)
	if *account.Features.ManagementApi || account.Name != "acme" || !account.UpdatedAt.After(account.CreatedAt) && !account.UpdatedAt.Equal(account.CreatedAt) {
		t.Errorf("patched = %+v, want managementApi false and the name kept", account)
	}
	if !account.CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("createdAt changed from %v to %v", created.CreatedAt, account.CreatedAt)
	}

	disabled := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/admin/v1/accounts", Header: apitest.Admin(),
		Body: `{"name": "plain", "features": {"managementApi": false}}`})
	var plain gen.AccountCreated
	disabled.Decode(t, &plain)
	if disabled.Status != http.StatusCreated || *plain.Features.ManagementApi {
		t.Errorf("create with managementApi false: %d %s", disabled.Status, disabled.Body)
	}
}

func TestAdminErrors(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	account := env.CreateAccount(t, "acme")
	tests := []struct {
		name   string
		req    apitest.Request
		status int
		code   string
	}{
		{"no token", apitest.Request{Method: http.MethodPost, Path: "/admin/v1/accounts", Body: `{"name":"x"}`}, 401, "unauthorized"},
		{"wrong token", apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/" + account.Id.String(), Header: apitest.Header("Authorization", "Bearer nope")}, 401, "unauthorized"},
		{"another dialect's credential", apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/" + account.Id.String(), Header: apitest.Header("Authorization", "Bearer "+account.Bird.AccessKey)}, 401, "unauthorized"},
		{"missing name", apitest.Request{Method: http.MethodPost, Path: "/admin/v1/accounts", Body: `{}`, Header: apitest.Admin()}, 400, "invalid_request"},
		{"empty name", apitest.Request{Method: http.MethodPost, Path: "/admin/v1/accounts", Body: `{"name":""}`, Header: apitest.Admin()}, 400, "invalid_request"},
		{"unknown member", apitest.Request{Method: http.MethodPost, Path: "/admin/v1/accounts", Body: `{"name":"x","plan":"gold"}`, Header: apitest.Admin()}, 400, "invalid_request"},
		{"malformed JSON", apitest.Request{Method: http.MethodPost, Path: "/admin/v1/accounts", Body: `{"name":`, Header: apitest.Admin()}, 400, "invalid_request"},
		{"empty patch", apitest.Request{Method: http.MethodPatch, Path: "/admin/v1/accounts/" + account.Id.String(), Body: `{}`, Header: apitest.Admin()}, 400, "invalid_request"},
		{"malformed id", apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/not-a-uuid", Header: apitest.Admin()}, 400, "invalid_request"},
		{"unknown account", apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/7f1f1f8e-3a51-4a8e-9d1e-2f6f1c9b7a10", Header: apitest.Admin()}, 404, "not_found"},
		{"patch unknown account", apitest.Request{Method: http.MethodPatch, Path: "/admin/v1/accounts/7f1f1f8e-3a51-4a8e-9d1e-2f6f1c9b7a10", Body: `{"name":"y"}`, Header: apitest.Admin()}, 404, "not_found"},
		{"delete unknown account", apitest.Request{Method: http.MethodDelete, Path: "/admin/v1/accounts/7f1f1f8e-3a51-4a8e-9d1e-2f6f1c9b7a10", Header: apitest.Admin()}, 404, "not_found"},
		{"delete without token", apitest.Request{Method: http.MethodDelete, Path: "/admin/v1/accounts/" + account.Id.String()}, 401, "unauthorized"},
		{"delete malformed id", apitest.Request{Method: http.MethodDelete, Path: "/admin/v1/accounts/not-a-uuid", Header: apitest.Admin()}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, tt.req)
			if resp.Status != tt.status || resp.Map(t)["code"] != tt.code {
				t.Fatalf("got %d %s, want %d with code %s", resp.Status, resp.Body, tt.status, tt.code)
			}
		})
	}
}
