package superoffice_test

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/apitest"
)

const soAgentPath = "/api/v1/Agents/Webhook/"

// The agent methods and the REST routes work on the same webhooks, and the agent binds member
// names case-insensitively, as NetServer does.
func TestSuperOfficeAgentSharesTheRESTWebhooks(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.SuperOffice(acme)
	call := func(method, body string) *apitest.Response {
		t.Helper()
		req := apitest.Request{Method: http.MethodPost, Path: soAgentPath + method, Header: auth}
		if body != "" {
			req.Body = body
		}
		return env.Do(t, req)
	}

	var def soWebhook
	if resp := call("CreateDefaultWebhook", ""); resp.Status != http.StatusOK {
		t.Fatalf("CreateDefaultWebhook = %d %s", resp.Status, resp.Body)
	} else if resp.Decode(t, &def); def.WebhookId != 0 || *def.State != "Active" || strings.Contains(string(resp.Body), "_Links") {
		t.Fatalf("CreateDefaultWebhook = %s", resp.Body)
	}

	// Saved by the agent in camelCase, read through REST.
	resp := call("SaveWebhook", `{"webhookId": 0, "name": "Orders", "events": ["sale.changed"], "targetUrl": "https://example.com/a",
		"secret": "s3cret", "state": "Stopped", "headers": {"x-tenant": "acme"}, "registered": null, "errorAssociates": []}`)
	var saved soWebhook
	resp.Decode(t, &saved)
	if resp.Status != http.StatusOK || saved.WebhookId <= 0 || *saved.Name != "Orders" || *saved.State != "Stopped" || saved.Headers["x-tenant"] != "acme" {
		t.Fatalf("SaveWebhook = %d %s", resp.Status, resp.Body)
	}
	var viaREST soWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/" + itoa(saved.WebhookId), Header: auth}).Decode(t, &viaREST)
	if *viaREST.Name != "Orders" || *viaREST.Secret != "s3cret" || !viaREST.Registered.Equal(*saved.Registered) {
		t.Fatalf("REST sees %+v", viaREST)
	}

	// Created through REST, read and replaced by the agent.
	rest := soCreate(t, env, acme, `{"Name": "Invoices", "Events": ["invoice.paid"], "TargetUrl": "https://example.com/b"}`)
	var got soWebhook
	if resp := call("GetWebhook?webhookId="+itoa(rest.WebhookId), ""); resp.Status != http.StatusOK {
		t.Fatalf("GetWebhook = %d %s", resp.Status, resp.Body)
	} else if resp.Decode(t, &got); *got.Name != "Invoices" || got.Links != nil {
		t.Fatalf("GetWebhook = %s", resp.Body)
	}
	resp = call("SaveWebhook", `{"WebhookId": `+itoa(rest.WebhookId)+`, "Name": "Invoices v2", "Events": ["invoice.paid"], "TargetUrl": "https://example.com/b2"}`)
	if resp.Status != http.StatusOK {
		t.Fatalf("SaveWebhook (replace) = %d %s", resp.Status, resp.Body)
	}
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/" + itoa(rest.WebhookId), Header: auth}).Decode(t, &viaREST)
	if *viaREST.Name != "Invoices v2" || *viaREST.TargetUrl != "https://example.com/b2" {
		t.Fatalf("REST sees %+v after the agent saved it", viaREST)
	}

	for _, tt := range []struct {
		body string
		want []int32
	}{
		{``, []int32{saved.WebhookId, rest.WebhookId}},
		{`{}`, []int32{saved.WebhookId, rest.WebhookId}},
		{`{"nameFilter": "order"}`, []int32{saved.WebhookId}},
		{`{"EventFilter": "invoice.paid", "StatusFilter": "Active"}`, []int32{rest.WebhookId}},
		{`{"statusFilter": "Stopped", "nameFilter": null}`, []int32{saved.WebhookId}},
		{`{"StatusFilter": "Unknown", "EventFilter": ""}`, []int32{saved.WebhookId, rest.WebhookId}},
		{`{"StatusFilter": "TooManyErrors"}`, nil},
	} {
		var ws []soWebhook
		resp := call("GetAllWebhooks", tt.body)
		resp.Decode(t, &ws)
		ids := make([]int32, len(ws))
		for i, w := range ws {
			ids[i] = w.WebhookId
		}
		if resp.Status != http.StatusOK || len(ids) != len(tt.want) || (len(ids) > 0 && (ids[0] != tt.want[0] || ids[len(ids)-1] != tt.want[len(tt.want)-1])) {
			t.Errorf("GetAllWebhooks %s = %v, want %v", tt.body, ids, tt.want)
		}
	}

	// Where both spellings are sent, the schema's wins.
	var both soWebhook
	call("SaveWebhook", `{"name": "ignored", "Name": "Exact", "NAME": "ignored too", "events": ["a.b"], "TargetUrl": "https://example.com/c"}`).Decode(t, &both)
	if *both.Name != "Exact" {
		t.Errorf("Name and name: saved %q", *both.Name)
	}

	if resp := call("GetLastError", `{"webhookId": `+itoa(saved.WebhookId)+`}`); resp.Status != http.StatusOK || string(resp.Body) != "\"\"\n" {
		t.Errorf("GetLastError = %d %s", resp.Status, resp.Body)
	}
	if resp := call("SignalEvent", `{"eventName": "order.shipped", "primaryKey": 7, "data": {"carrier": "PostNL"}}`); resp.Status != http.StatusNoContent {
		t.Errorf("SignalEvent = %d %s", resp.Status, resp.Body)
	}
	if resp := call("DeleteWebhook?WebhookId="+itoa(saved.WebhookId), ""); resp.Status != http.StatusNoContent {
		t.Fatalf("DeleteWebhook = %d %s", resp.Status, resp.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/" + itoa(saved.WebhookId), Header: auth}); resp.Status != http.StatusNotFound {
		t.Errorf("REST GET after the agent deleted = %d %s", resp.Status, resp.Body)
	}
}

func TestSuperOfficeAgentErrors(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	globex := env.CreateAccount(t, "globex")
	auth := apitest.SuperOffice(acme)
	w := soCreate(t, env, acme, `{"Name": "Orders", "Events": ["sale.changed"], "TargetUrl": "https://example.com/a"}`)
	id := itoa(w.WebhookId)
	tests := []struct {
		name, method, body string
		header             http.Header
		status             int
		want               string
	}{
		{"no credentials", "GetAllWebhooks", `{}`, http.Header{}, 401, `"ErrorType":"Unauthorized"`},
		{"wrong ticket", "CreateDefaultWebhook", ``, apitest.Header("Authorization", "SOTicket nope"), 401, "Unauthorized"},
		{"unknown id", "GetWebhook?webhookId=999999", ``, auth, 404, "Webhook 999999 not found"},
		{"foreign id", "GetWebhook?webhookId=" + id, ``, apitest.SuperOffice(globex), 404, `"ErrorType":"NotFound"`},
		{"no webhookId", "GetWebhook", ``, auth, 400, "webhookId"},
		{"webhookId not a number", "GetWebhook?webhookId=x", ``, auth, 400, "webhookId"},
		{"delete unknown", "DeleteWebhook?WebhookId=999999", ``, auth, 404, "NotFound"},
		{"delete foreign", "DeleteWebhook?WebhookId=" + id, ``, apitest.SuperOffice(globex), 404, "NotFound"},
		{"last error unknown", "GetLastError", `{"WebhookId": 999999}`, auth, 404, "NotFound"},
		{"last error without id", "GetLastError", `{}`, auth, 400, "WebhookId"},
		{"save unknown id", "SaveWebhook", `{"WebhookId": 999999, "Events": ["a.b"], "TargetUrl": "https://example.com"}`, auth, 404, "NotFound"},
		{"save foreign id", "SaveWebhook", `{"WebhookId": ` + id + `, "Events": ["a.b"], "TargetUrl": "https://evil.example.com"}`, apitest.SuperOffice(globex), 404, "NotFound"},
		{"save http target", "SaveWebhook", `{"events": ["a.b"], "targetUrl": "http://example.com"}`, auth, 400, "https"},
		{"save no events", "SaveWebhook", `{"events": [], "targetUrl": "https://example.com"}`, auth, 400, "Events"},
		{"save wrong type", "SaveWebhook", `{"events": "a.b", "targetUrl": "https://example.com"}`, auth, 400, "Events"},
		{"save no entity", "SaveWebhook", ``, auth, 400, "BadRequest"},
		{"unknown status filter", "GetAllWebhooks", `{"statusFilter": "Sleeping"}`, auth, 400, "StatusFilter"},
		{"test without webhook", "TestWebhook", `{}`, auth, 400, "Entity to save is not in request body"},
		{"test http target", "TestWebhook", `{"webhook": {"events": ["a.b"], "targetUrl": "http://example.com"}}`, auth, 400, "https"},
		{"signal bad event", "SignalEvent", `{"eventName": "shipped", "primaryKey": 1}`, auth, 400, "EventName"},
		{"signal no event", "SignalEvent", `{"primaryKey": 1}`, auth, 400, "EventName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := apitest.Request{Method: http.MethodPost, Path: soAgentPath + tt.method, Header: tt.header}
			if tt.body != "" {
				req.Body = tt.body
			}
			resp := env.Do(t, req)
			if resp.Status != tt.status || !strings.Contains(string(resp.Body), tt.want) {
				t.Fatalf("got %d %s, want %d with %s", resp.Status, resp.Body, tt.status, tt.want)
			}
		})
	}
	var still soWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/" + id, Header: auth}).Decode(t, &still)
	if *still.Name != "Orders" || !still.Updated.Equal(*w.Updated) {
		t.Errorf("refused requests changed the webhook: %+v", still)
	}
}

// The agent methods take and answer the encodings the REST routes do.
func TestSuperOfficeAgentContentTypes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	xh := apitest.SuperOffice(acme)
	xh.Set("Accept", "application/xml")
	xh.Set("Content-Type", "application/xml")

	saved := env.Do(t, apitest.Request{Method: http.MethodPost, Path: soAgentPath + "SaveWebhook", Header: xh, Body: `<?xml version="1.0" encoding="utf-8"?>
<Webhook xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <WebhookId>0</WebhookId>
  <Name>From XML</Name>
  <Events><string>sale.changed</string></Events>
  <TargetUrl>https://example.com/xml</TargetUrl>
  <ErrorsEmail i:nil="true"/>
</Webhook>`})
	var got struct {
		XMLName   xml.Name `xml:"Webhook"`
		WebhookId int32
		Name      string
	}
	if err := xml.Unmarshal(saved.Body, &got); err != nil || saved.Status != http.StatusOK || got.WebhookId <= 0 || got.Name != "From XML" {
		t.Fatalf("XML SaveWebhook = %d %s (%v)", saved.Status, saved.Body, err)
	}
	list := env.Do(t, apitest.Request{Method: http.MethodPost, Path: soAgentPath + "GetAllWebhooks", Header: xh,
		Body: `<GetAllWebhooksRequest><NameFilter>xml</NameFilter><StatusFilter>Active</StatusFilter></GetAllWebhooksRequest>`})
	if list.Status != http.StatusOK || !strings.Contains(string(list.Body), "<ArrayOfWebhook") || strings.Count(string(list.Body), "<Webhook>") != 1 {
		t.Errorf("XML GetAllWebhooks = %d %s", list.Status, list.Body)
	}
	form := apitest.WithContentType(apitest.SuperOffice(acme), "application/x-www-form-urlencoded")
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: soAgentPath + "GetLastError", Header: form, Body: "WebhookId=" + itoa(got.WebhookId)}); resp.Status != http.StatusOK || string(resp.Body) != "\"\"\n" {
		t.Errorf("form GetLastError = %d %s", resp.Status, resp.Body)
	}
	tj := apitest.WithContentType(apitest.SuperOffice(acme), "text/json")
	tj.Set("Accept", "text/json")
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: soAgentPath + "GetWebhook?webhookId=999999", Header: tj}); resp.Status != http.StatusNotFound ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/json") || !strings.Contains(string(resp.Body), `"ErrorType":"NotFound"`) {
		t.Errorf("text/json 404 = %d %s %s", resp.Status, resp.Header.Get("Content-Type"), resp.Body)
	}
}
