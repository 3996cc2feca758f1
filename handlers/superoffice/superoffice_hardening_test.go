package superoffice_test

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/apitest"
)

// A patch is held to the schema PUT validates its body with: it cannot store what PUT refuses.
func TestSuperOfficePatchesAreValidatedAsPutIs(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.SuperOffice(acme)
	w := soCreate(t, env, acme, `{"Name": "hook", "Events": ["contact.created"], "TargetUrl": "https://example.com/h"}`)
	path := apitest.SuperOfficeWebhooksPath + "/" + itoa(w.WebhookId)
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
		resp := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: path, Header: apitest.WithContentType(auth, tc.contentType), Body: tc.body})
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
	ok := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: path, Header: apitest.WithContentType(auth, "application/merge-patch+json"), Body: `{"Name": "renamed"}`})
	if ok.Status != http.StatusOK || !strings.Contains(string(ok.Body), `"renamed"`) {
		t.Errorf("valid merge patch: %d %s", ok.Status, ok.Body)
	}
}

// Any Properties make well-formed XML, and that XML posted back stores the same Properties.
func TestSuperOfficeXMLCarriesAnyProperties(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.SuperOffice(acme)
	props := `{"a": {"b": {"c d": 1}}, "x:y": [true, "t", {"<&>": null}], "ctl": "tab\tand ]]> too"}`
	w := soCreate(t, env, acme, `{"Name": "n", "Events": ["contact.created"], "TargetUrl": "https://example.com/h", "Properties": `+props+`}`)
	xh := auth.Clone()
	xh.Set("Accept", "application/xml")
	list := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath, Header: xh})
	if list.Status != http.StatusOK || !strings.HasPrefix(list.Header.Get("Content-Type"), "application/xml") {
		t.Fatalf("XML list: %d %s %s", list.Status, list.Header.Get("Content-Type"), list.Body)
	}
	var doc struct {
		Items []struct {
			Name string
		} `xml:"WebhookWithLinks"`
	}
	if err := xml.Unmarshal(list.Body, &doc); err != nil || len(doc.Items) != 1 || doc.Items[0].Name != "n" {
		t.Fatalf("XML list is not well-formed (%v): %s", err, list.Body)
	}
	one := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/" + itoa(w.WebhookId), Header: xh})
	if one.Status != http.StatusOK {
		t.Fatalf("XML get: %d %s", one.Status, one.Body)
	}
	copied := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: apitest.WithContentType(auth, "application/xml"), Body: one.Body})
	if copied.Status != http.StatusOK {
		t.Fatalf("posting the XML back: %d %s", copied.Status, copied.Body)
	}
	var got soWebhook
	copied.Decode(t, &got)
	var want map[string]any
	_ = json.Unmarshal([]byte(props), &want)
	if !reflect.DeepEqual(got.Properties, want) {
		t.Errorf("Properties posted back as XML = %v, want %v\nvia %s", got.Properties, want, one.Body)
	}
}

// A deeply nested XML body is refused at once in SuperOffice's words.
func TestSuperOfficeRefusesDeepXML(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	h := apitest.WithContentType(apitest.SuperOffice(acme), "application/xml")
	for _, levels := range []int{33, 30000} { // 30,000 levels still fit in SuperOffice's 256 KiB
		body := "<Webhook><Properties>" + strings.Repeat("<a>", levels) + strings.Repeat("</a>", levels) + "</Properties></Webhook>"
		resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: h, Body: body})
		if resp.Status != http.StatusBadRequest || !strings.Contains(string(resp.Body), `"ErrorType":"BadRequest"`) ||
			!strings.Contains(string(resp.Body), "more than 32 levels deep") {
			t.Errorf("%d levels: %d %s", levels, resp.Status, resp.Body)
		}
	}
	var ws []soWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath, Header: apitest.SuperOffice(acme)}).Decode(t, &ws)
	if len(ws) != 0 {
		t.Errorf("%d webhooks stored", len(ws))
	}
}
