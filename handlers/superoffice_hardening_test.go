package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/apitest"
)

// A patch is held to the schema PUT validates its body with: it cannot store what PUT refuses.
func TestSuperOfficePatchesAreValidatedAsPutIs(t *testing.T) {
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.SuperOffice(acme)
	w := soCreate(t, env, acme, `{"Name": "hook", "Events": ["contact.created"], "TargetUrl": "https://example.com/h"}`)
	path := soPath + "/" + itoa(w.WebhookId)
	long := strings.Repeat("n", 300)

	put := env.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Header: auth,
		Body: `{"Name": "` + long + `", "Events": ["contact.created"], "TargetUrl": "https://example.com/h"}`})
	if put.Status != http.StatusBadRequest {
		t.Fatalf("PUT with a 300-character Name = %d %s", put.Status, put.Body)
	}
	for _, tc := range []struct {
		name, contentType, body, want string
	}{
		{"JSON Patch", "application/json-patch+json", `[{"op": "replace", "path": "/Name", "value": "` + long + `"}]`, "Name"},
		{"merge patch", "application/merge-patch+json", `{"Name": "` + long + `"}`, "Name"},
		{"event too long", "application/json-patch+json", `[{"op": "add", "path": "/Events/-", "value": "` + long + `"}]`, "Events"},
		{"empty event", "application/merge-patch+json", `{"Events": [""]}`, "Events"},
		{"secret too long", "application/merge-patch+json", `{"Secret": "` + long + `"}`, "Secret"},
	} {
		resp := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: path, Header: withContentType(auth, tc.contentType), Body: tc.body})
		if resp.Status != http.StatusBadRequest || !strings.Contains(string(resp.Body), `"ErrorType":"BadRequest"`) || !strings.Contains(string(resp.Body), tc.want) {
			t.Errorf("%s: %d %s", tc.name, resp.Status, resp.Body)
		}
	}
	var got soWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: auth}).Decode(t, &got)
	if got.Name == nil || *got.Name != "hook" || len(got.Events) != 1 || got.Secret == nil || *got.Secret != "" {
		t.Errorf("a refused patch was written: %+v", got)
	}
	// A valid patch still applies.
	ok := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: path, Header: withContentType(auth, "application/merge-patch+json"), Body: `{"Name": "renamed"}`})
	if ok.Status != http.StatusOK || !strings.Contains(string(ok.Body), `"renamed"`) {
		t.Errorf("valid merge patch: %d %s", ok.Status, ok.Body)
	}
}
