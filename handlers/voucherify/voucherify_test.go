package voucherify_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

func TestVoucherifyWebhookLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.Voucherify(acme)

	created := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth,
		Body: `{"target_url": "https://example.com/hooks", "events": ["redemption.succeeded", "voucher.loyalty_card.points_aded"]}`})
	if created.Status != http.StatusOK {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	var hook gen.ManagementProjectsWebhook
	created.Decode(t, &hook)
	if !regexp.MustCompile(`^wh_[A-Za-z0-9]{24}$`).MatchString(hook.Id) {
		t.Errorf("id = %q, want wh_ and 24 alphanumerics", hook.Id)
	}
	if !hook.Active || hook.Object != "webhook" || hook.TargetUrl != "https://example.com/hooks" || len(hook.Events) != 2 {
		t.Errorf("created = %+v", hook)
	}

	second := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth,
		Body: `{"target_url": "https://example.com/other", "events": ["voucher.created"], "active": false}`})
	var other gen.ManagementProjectsWebhook
	second.Decode(t, &other)
	if other.Active {
		t.Errorf("active false was not kept: %s", second.Body)
	}

	list := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth})
	var page gen.ManagementProjectsWebhooksListResponseBody
	list.Decode(t, &page)
	if list.Status != http.StatusOK || page.Object != "list" || page.DataRef != "data" || page.Total != 2 ||
		len(page.Data) != 2 || page.Data[0].Id != hook.Id || page.Data[1].Id != other.Id {
		t.Fatalf("list = %d %s, want both webhooks oldest first", list.Status, list.Body)
	}

	hookPath := apitest.VoucherifyWebhooksPath(acme) + "/" + hook.Id
	got := env.Do(t, apitest.Request{Method: http.MethodGet, Path: hookPath, Header: auth})
	var fetched gen.ManagementProjectsWebhook
	got.Decode(t, &fetched)
	if got.Status != http.StatusOK || fetched.Id != hook.Id || !fetched.CreatedAt.Equal(hook.CreatedAt) {
		t.Fatalf("get = %d %s", got.Status, got.Body)
	}

	// PUT replaces the events; active is kept when absent.
	updated := env.Do(t, apitest.Request{Method: http.MethodPut, Path: hookPath, Header: auth,
		Body: `{"target_url": "https://example.com/moved", "events": ["voucher.deleted"]}`})
	var put gen.ManagementProjectsWebhook
	updated.Decode(t, &put)
	if updated.Status != http.StatusOK || put.TargetUrl != "https://example.com/moved" || len(put.Events) != 1 ||
		put.Events[0] != "voucher.deleted" || !put.Active || !put.CreatedAt.Equal(hook.CreatedAt) {
		t.Fatalf("put = %d %s", updated.Status, updated.Body)
	}
	deactivated := env.Do(t, apitest.Request{Method: http.MethodPut, Path: hookPath, Header: auth,
		Body: `{"target_url": "https://example.com/moved", "events": ["voucher.deleted"], "active": false}`})
	if deactivated.Map(t)["active"] != false {
		t.Errorf("active false: %s", deactivated.Body)
	}

	deleted := env.Do(t, apitest.Request{Method: http.MethodDelete, Path: hookPath, Header: auth})
	if deleted.Status != http.StatusNoContent || len(deleted.Body) != 0 {
		t.Fatalf("delete = %d %q", deleted.Status, deleted.Body)
	}
	gone := env.Do(t, apitest.Request{Method: http.MethodGet, Path: hookPath, Header: auth})
	if gone.Status != http.StatusNotFound {
		t.Fatalf("get after delete = %d", gone.Status)
	}
	again := env.Do(t, apitest.Request{Method: http.MethodDelete, Path: hookPath, Header: auth})
	if again.Status != http.StatusNotFound {
		t.Fatalf("second delete = %d", again.Status)
	}
	if n := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth}).Map(t)["total"]; n != 1.0 {
		t.Errorf("total after delete = %v, want 1", n)
	}
}

func TestVoucherifyUpdatedAtMovesAndCreatedAtStays(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.Voucherify(acme)
	var hook gen.ManagementProjectsWebhook
	env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth,
		Body: `{"target_url": "https://example.com/a", "events": ["voucher.created"]}`}).Decode(t, &hook)
	time.Sleep(5 * time.Millisecond)
	var put gen.ManagementProjectsWebhook
	env.Do(t, apitest.Request{Method: http.MethodPut, Path: apitest.VoucherifyWebhooksPath(acme) + "/" + hook.Id, Header: auth,
		Body: `{"target_url": "https://example.com/b", "events": ["voucher.created"]}`}).Decode(t, &put)
	if !put.CreatedAt.Equal(hook.CreatedAt) {
		t.Fatalf("created_at changed: %v -> %v", hook.CreatedAt, put.CreatedAt)
	}
}

func TestVoucherifyErrors(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.Voucherify(acme)
	var hook gen.ManagementProjectsWebhook
	env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth,
		Body: `{"target_url": "https://example.com/a", "events": ["voucher.created"]}`}).Decode(t, &hook)
	hookPath := apitest.VoucherifyWebhooksPath(acme) + "/" + hook.Id

	tests := []struct {
		name    string
		req     apitest.Request
		status  int
		key     string
		details string // a substring of details
	}{
		{"no headers", apitest.Request{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme)}, 401, "unauthorized", ""},
		{"id without token", apitest.Request{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme), Header: apitest.Header("X-Management-Id", acme.Voucherify.ManagementId)}, 401, "unauthorized", ""},
		{"wrong token", apitest.Request{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme), Header: apitest.Header("X-Management-Id", acme.Voucherify.ManagementId, "X-Management-Token", "x")}, 401, "unauthorized", ""},
		{"unauthorized before invalid body", apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Body: `{`}, 401, "unauthorized", ""},
		{"missing target_url", apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth, Body: `{"events": ["voucher.created"]}`}, 400, "invalid_payload", "Property .target_url is required"},
		{"missing events on PUT", apitest.Request{Method: http.MethodPut, Path: hookPath, Header: auth, Body: `{"target_url": "https://example.com"}`}, 400, "invalid_payload", "Property .events is required"},
		{"unknown event", apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth, Body: `{"target_url": "https://example.com", "events": ["voucher.exploded"]}`}, 400, "invalid_payload", "Property .events[0]"},
		{"wrong type", apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth, Body: `{"target_url": "https://example.com", "events": ["voucher.created"], "active": "yes"}`}, 400, "invalid_payload", "Property .active"},
		{"not a URL", apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth, Body: `{"target_url": "example", "events": ["voucher.created"]}`}, 400, "invalid_payload", "Property .target_url must be an absolute"},
		{"no events", apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth, Body: `{"target_url": "https://example.com", "events": []}`}, 400, "invalid_payload", "Property .events must list"},
		{"malformed JSON", apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth, Body: `{"target_url": `}, 400, "invalid_payload", "Invalid request payload JSON format"},
		{"no body", apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth}, 400, "invalid_payload", "Request body is required"},
		{"body not an object", apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth, Body: `[1]`}, 400, "invalid_payload", ""},
		{"unknown project", apitest.Request{Method: http.MethodGet, Path: "/management/v1/projects/proj_nothere/webhooks", Header: auth}, 404, "not_found", "Cannot find project with id proj_nothere"},
		{"unknown webhook", apitest.Request{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme) + "/wh_nothere", Header: auth}, 404, "not_found", "Cannot find webhook with id wh_nothere"},
		{"PUT unknown webhook", apitest.Request{Method: http.MethodPut, Path: apitest.VoucherifyWebhooksPath(acme) + "/wh_nothere", Header: auth, Body: `{"target_url": "https://example.com", "events": ["voucher.created"]}`}, 404, "not_found", "Cannot find webhook"},
		{"DELETE in unknown project", apitest.Request{Method: http.MethodDelete, Path: "/management/v1/projects/proj_nothere/webhooks/" + hook.Id, Header: auth}, 404, "not_found", "Cannot find project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, tt.req)
			body := resp.Map(t)
			if resp.Status != tt.status || body["key"] != tt.key || body["code"] != float64(tt.status) {
				t.Fatalf("got %d %s, want %d with key %s", resp.Status, resp.Body, tt.status, tt.key)
			}
			details, _ := body["details"].(string)
			if !strings.Contains(details, tt.details) {
				t.Errorf("details = %q, want it to contain %q", details, tt.details)
			}
			if tt.status == 400 || tt.status == 404 {
				if body["request_id"] != resp.Header.Get("X-Request-Id") {
					t.Errorf("request_id = %v, header = %s", body["request_id"], resp.Header.Get("X-Request-Id"))
				}
			}
			if tt.status == 404 {
				if body["resource_id"] == nil || body["resource_type"] == nil {
					t.Errorf("404 without resource_id/resource_type: %s", resp.Body)
				}
			}
		})
	}
	// Nothing of the rejected requests was written.
	if n := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth}).Map(t)["total"]; n != 1.0 {
		t.Errorf("total = %v after rejected requests, want 1", n)
	}
}

func TestVoucherifyPaymentRequiredWithoutManagementAPI(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.Voucherify(acme)
	var hook gen.ManagementProjectsWebhook
	env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: auth,
		Body: `{"target_url": "https://example.com/a", "events": ["voucher.created"]}`}).Decode(t, &hook)
	env.Do(t, apitest.Request{Method: http.MethodPatch, Path: "/admin/v1/accounts/" + acme.Id.String(), Header: apitest.Admin(),
		Body: `{"features": {"managementApi": false}}`})

	hookPath := apitest.VoucherifyWebhooksPath(acme) + "/" + hook.Id
	body := `{"target_url": "https://example.com/a", "events": ["voucher.created"]}`
	for _, req := range []apitest.Request{
		{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Body: body},
		{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme)},
		{Method: http.MethodGet, Path: hookPath},
		{Method: http.MethodPut, Path: hookPath, Body: body},
		{Method: http.MethodDelete, Path: hookPath},
	} {
		req.Header = auth
		resp := env.Do(t, req)
		var e gen.ErrorPaymentRequired
		resp.Decode(t, &e)
		if resp.Status != http.StatusPaymentRequired || e.Key != "missing_required_feature" || e.Code != 402 {
			t.Errorf("%s %s = %d %s, want 402 missing_required_feature", req.Method, req.Path, resp.Status, resp.Body)
		}
	}
	// Wrong credentials still answer 401, not 402.
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme), Header: apitest.Header("X-Management-Id", acme.Voucherify.ManagementId, "X-Management-Token", "bad")}); resp.Status != 401 {
		t.Errorf("bad token on a 402 account = %d", resp.Status)
	}
	env.Do(t, apitest.Request{Method: http.MethodPatch, Path: "/admin/v1/accounts/" + acme.Id.String(), Header: apitest.Admin(),
		Body: `{"features": {"managementApi": true}}`})
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: hookPath, Header: auth}); resp.Status != http.StatusOK {
		t.Errorf("after re-enabling: %d %s (the webhook must have survived)", resp.Status, resp.Body)
	}
}

func TestVoucherifyTenantIsolation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	globex := env.CreateAccount(t, "globex")
	var hook gen.ManagementProjectsWebhook
	env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: apitest.Voucherify(acme),
		Body: `{"target_url": "https://example.com/a", "events": ["voucher.created"]}`}).Decode(t, &hook)

	intruder := apitest.Voucherify(globex)
	body := `{"target_url": "https://evil.example.com", "events": ["voucher.created"]}`
	for _, req := range []apitest.Request{
		{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme)},
		{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Body: body},
		{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme) + "/" + hook.Id},
		{Method: http.MethodPut, Path: apitest.VoucherifyWebhooksPath(acme) + "/" + hook.Id, Body: body},
		{Method: http.MethodDelete, Path: apitest.VoucherifyWebhooksPath(acme) + "/" + hook.Id},
		// Their own project with another's webhook id.
		{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(globex) + "/" + hook.Id},
		{Method: http.MethodDelete, Path: apitest.VoucherifyWebhooksPath(globex) + "/" + hook.Id},
	} {
		req.Header = intruder
		if resp := env.Do(t, req); resp.Status != http.StatusNotFound {
			t.Errorf("%s %s by another account = %d %s, want 404", req.Method, req.Path, resp.Status, resp.Body)
		}
	}
	// Another dialect's credential does not open Voucherify.
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme), Header: apitest.Header("X-Management-Id", acme.Voucherify.ManagementId, "X-Management-Token", acme.Bird.AccessKey)}); resp.Status != 401 {
		t.Errorf("Bird key as management token = %d", resp.Status)
	}
	var got gen.ManagementProjectsWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme) + "/" + hook.Id, Header: apitest.Voucherify(acme)}).Decode(t, &got)
	if got.TargetUrl != "https://example.com/a" {
		t.Errorf("webhook changed by another account: %+v", got)
	}
	if n := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(globex), Header: intruder}).Map(t)["total"]; n != 0.0 {
		t.Errorf("globex sees %v webhooks", n)
	}
}
