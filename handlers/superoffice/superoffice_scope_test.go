package superoffice_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/webhookd/webhookd/internal/apitest"
)

// Another installation's webhook id answers exactly as an unknown one, on every operation, and
// a missing webhook outranks what is wrong with a replacing entity.
func TestSuperOfficeForeignWebhooks(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	globex := env.CreateAccount(t, "globex")
	w := soCreate(t, env, acme, `{"Name": "Orders", "Events": ["sale.changed"], "TargetUrl": "https://example.com/a", "Secret": "s3cret"}`)
	id := itoa(w.WebhookId)
	path := apitest.SuperOfficeWebhooksPath + "/" + id
	intruder := apitest.SuperOffice(globex)
	entity := `{"Name": "Evil", "Events": ["a.b"], "TargetUrl": "https://evil.example.com"}`
	for _, tt := range []struct {
		name string
		req  apitest.Request
	}{
		{"get", apitest.Request{Method: http.MethodGet, Path: path}},
		{"last error", apitest.Request{Method: http.MethodGet, Path: path + "/LastError"}},
		{"put", apitest.Request{Method: http.MethodPut, Path: path, Body: entity}},
		{"put an invalid entity", apitest.Request{Method: http.MethodPut, Path: path, Body: `{"Events": [], "TargetUrl": "http://evil.example.com"}`}},
		{"json patch", apitest.Request{Method: http.MethodPatch, Path: path, Header: http.Header{"Content-Type": {"application/json-patch+json"}}, Body: `[{"op": "replace", "path": "/Name", "value": "Evil"}]`}},
		{"merge patch", apitest.Request{Method: http.MethodPatch, Path: path, Header: http.Header{"Content-Type": {"application/merge-patch+json"}}, Body: `{"Name": "Evil"}`}},
		{"delete", apitest.Request{Method: http.MethodDelete, Path: path}},
		{"agent get", apitest.Request{Method: http.MethodPost, Path: soAgentPath + "GetWebhook?webhookId=" + id}},
		{"agent last error", apitest.Request{Method: http.MethodPost, Path: soAgentPath + "GetLastError", Body: `{"WebhookId": ` + id + `}`}},
		{"agent save an invalid entity", apitest.Request{Method: http.MethodPost, Path: soAgentPath + "SaveWebhook", Body: `{"WebhookId": ` + id + `, "Events": [], "TargetUrl": "https://evil.example.com"}`}},
		{"agent delete", apitest.Request{Method: http.MethodPost, Path: soAgentPath + "DeleteWebhook?WebhookId=" + id}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := intruder.Clone()
			for k, v := range tt.req.Header {
				h[k] = v
			}
			tt.req.Header = h
			resp := env.Do(t, tt.req)
			if want := fmt.Sprintf(`{"Error":"Webhook %s not found","ErrorType":"NotFound"}`, id); resp.Status != http.StatusNotFound || strings.TrimSpace(string(resp.Body)) != want {
				t.Errorf("got %d %s, want 404 %s", resp.Status, resp.Body, want)
			}
		})
	}
	var still soWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: apitest.SuperOffice(acme)}).Decode(t, &still)
	if *still.Name != "Orders" || *still.TargetUrl != "https://example.com/a" || !still.Updated.Equal(*w.Updated) {
		t.Errorf("another installation changed the webhook: %+v", still)
	}
	var theirs []soWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath, Header: intruder}).Decode(t, &theirs)
	if len(theirs) != 0 {
		t.Errorf("another installation lists %d webhooks", len(theirs))
	}
	// Their own unknown id with an invalid entity is a 404 too, and a known one a 400.
	unknown := env.Do(t, apitest.Request{Method: http.MethodPut, Path: apitest.SuperOfficeWebhooksPath + "/999999", Header: intruder, Body: `{"Events": []}`})
	known := env.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Header: apitest.SuperOffice(acme), Body: `{"Events": [], "TargetUrl": "https://example.com"}`})
	if unknown.Status != http.StatusNotFound || known.Status != http.StatusBadRequest {
		t.Errorf("invalid entity: unknown id %d %s, known id %d %s", unknown.Status, unknown.Body, known.Status, known.Body)
	}
}

// Concurrent patches of one webhook each apply to what the others stored: none is lost.
func TestSuperOfficeConcurrentPatchesKeepEveryChange(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	w := soCreate(t, env, acme, `{"Name": "Orders", "Events": ["e.0"], "TargetUrl": "https://example.com/a"}`)
	path := apitest.SuperOfficeWebhooksPath + "/" + itoa(w.WebhookId)
	header := apitest.WithContentType(apitest.SuperOffice(acme), "application/json-patch+json")
	const n = 8
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Go(func() {
			body := fmt.Sprintf(`[{"op": "add", "path": "/Events/-", "value": "e.%d"}]`, i)
			if resp := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: path, Header: header, Body: body}); resp.Status != http.StatusOK {
				t.Errorf("patch %d = %d %s", i, resp.Status, resp.Body)
			}
		})
	}
	wg.Wait()
	var got soWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: apitest.SuperOffice(acme)}).Decode(t, &got)
	if len(got.Events) != n+1 {
		t.Errorf("events after %d concurrent patches: %v", n, got.Events)
	}
}

// Replacing a webhook keeps the secret, headers and properties it leaves out (or sends as null)
// and replaces those it sends; a changed state clears the reason the delivery engine stopped it
// for, and re-enabling starts the failure streak afresh.
func TestSuperOfficeReplaceKeepsWhatIsLeftOut(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.SuperOffice(acme)
	w := soCreate(t, env, acme, `{"Name": "Orders", "Events": ["a.b"], "TargetUrl": "https://example.com/a", "Secret": "s3cret",
		"Headers": {"X-Tenant": "acme"}, "Properties": {"tier": "gold"}, "ErrorsEmail": "ops@example.com"}`)
	path := apitest.SuperOfficeWebhooksPath + "/" + itoa(w.WebhookId)
	stored := func() (reason string, failures int) {
		t.Helper()
		err := env.DB.QueryRowContext(context.Background(), `SELECT status_reason, consecutive_failures FROM subscriptions WHERE dialect = 'superoffice' AND external_id = $1`, itoa(w.WebhookId)).Scan(&reason, &failures)
		if err != nil {
			t.Fatal(err)
		}
		return reason, failures
	}
	if _, err := env.DB.ExecContext(context.Background(), `UPDATE subscriptions SET status = 'too_many_errors', status_reason = 'failing', consecutive_failures = 9 WHERE dialect = 'superoffice' AND external_id = $1`, itoa(w.WebhookId)); err != nil {
		t.Fatal(err)
	}

	var got soWebhook
	env.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Header: auth,
		Body: `{"Name": "v2", "Events": ["a.b"], "TargetUrl": "https://example.com/b", "State": "TooManyErrors", "Headers": null}`}).Decode(t, &got)
	if *got.Secret != "s3cret" || got.Headers["X-Tenant"] != "acme" || got.Properties["tier"] != "gold" || *got.ErrorsEmail != "" || *got.State != "TooManyErrors" {
		t.Fatalf("put leaving members out = %+v", got)
	}
	if reason, failures := stored(); reason != "failing" || failures != 9 {
		t.Errorf("an unchanged state lost its reason or streak: %q, %d", reason, failures)
	}

	got = soWebhook{}
	env.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Header: auth,
		Body: `{"Name": "v3", "Events": ["a.b"], "TargetUrl": "https://example.com/c", "Secret": "", "Headers": {}, "Properties": {"tier": "silver"}}`}).Decode(t, &got)
	if *got.Secret != "" || len(got.Headers) != 0 || got.Properties["tier"] != "silver" || *got.State != "Active" {
		t.Fatalf("put sending members = %+v", got)
	}
	if reason, failures := stored(); reason != "" || failures != 0 {
		t.Errorf("re-enabled with reason %q and %d failures in a row", reason, failures)
	}
}
