package superoffice_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/apitest"
)

// soWebhook is the subset of WebhookWithLinks the tests read.
type soWebhook struct {
	WebhookId   int32
	Name        *string
	Events      []string
	TargetUrl   *string
	Secret      *string
	State       *string
	Type        *string
	Headers     map[string]string
	Properties  map[string]any
	ErrorsEmail *string
	Registered  *time.Time
	Updated     *time.Time
	Links       map[string]string `json:"_Links"`
}

func soCreate(t *testing.T, env *apitest.Env, a gen.AccountCreated, body string) soWebhook {
	t.Helper()
	resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: apitest.SuperOffice(a), Body: body})
	if resp.Status != http.StatusOK {
		t.Fatalf("create: %d %s", resp.Status, resp.Body)
	}
	var w soWebhook
	resp.Decode(t, &w)
	return w
}

func TestSuperOfficeLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.SuperOffice(acme)

	def := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/default", Header: auth})
	var template soWebhook
	def.Decode(t, &template)
	if def.Status != http.StatusOK || template.WebhookId != 0 || *template.State != "Active" || *template.Type != "webhook" || len(template.Events) != 2 {
		t.Fatalf("default = %d %s", def.Status, def.Body)
	}

	w := soCreate(t, env, acme, `{"Name": "Orders", "Events": ["contact.created", "sale.changed"], "TargetUrl": "https://example.com/hooks",
		"Secret": "s3cret", "Headers": {"X-Tenant": "acme"}, "Properties": {"source": "crm"}, "ErrorsEmail": "ops@example.com"}`)
	if w.WebhookId <= 0 || *w.Name != "Orders" || *w.State != "Active" || *w.Type != "webhook" || w.Headers["X-Tenant"] != "acme" ||
		w.Properties["source"] != "crm" || *w.ErrorsEmail != "ops@example.com" || !strings.HasSuffix(w.Links["Self"], apitest.SuperOfficeWebhooksPath+"/"+itoa(w.WebhookId)) {
		t.Fatalf("created = %+v", w)
	}
	path := apitest.SuperOfficeWebhooksPath + "/" + itoa(w.WebhookId)

	got := env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: auth})
	var fetched soWebhook
	got.Decode(t, &fetched)
	if got.Status != http.StatusOK || fetched.WebhookId != w.WebhookId || !fetched.Registered.Equal(*w.Registered) {
		t.Fatalf("get = %d %s", got.Status, got.Body)
	}

	// PUT replaces the entity; Secret, Headers and Properties are kept when left out.
	put := env.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Header: auth,
		Body: `{"Name": "Orders v2", "Events": ["sale.changed"], "TargetUrl": "https://example.com/v2", "State": "Stopped"}`})
	var replaced soWebhook
	put.Decode(t, &replaced)
	if put.Status != http.StatusOK || *replaced.Name != "Orders v2" || len(replaced.Events) != 1 || *replaced.State != "Stopped" ||
		*replaced.Secret != "s3cret" || replaced.Headers["X-Tenant"] != "acme" || *replaced.ErrorsEmail != "" ||
		!replaced.Registered.Equal(*w.Registered) || !replaced.Updated.After(*w.Updated) {
		t.Fatalf("put = %d %s", put.Status, put.Body)
	}

	// JSON Patch, with a test that holds.
	patch := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: path, Header: apitest.WithContentType(auth, "application/json-patch+json"),
		Body: `[{"op": "test", "path": "/Name", "value": "Orders v2"}, {"op": "replace", "path": "/State", "value": "Active"},
		        {"op": "add", "path": "/Events/-", "value": "person.created"}, {"op": "remove", "path": "/Headers/X-Tenant"}]`})
	var patched soWebhook
	patch.Decode(t, &patched)
	if patch.Status != http.StatusOK || *patched.State != "Active" || len(patched.Events) != 2 || patched.Events[1] != "person.created" || len(patched.Headers) != 0 {
		t.Fatalf("json patch = %d %s", patch.Status, patch.Body)
	}
	// Merge patch: null removes, members replace.
	merge := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: path, Header: apitest.WithContentType(auth, "application/merge-patch+json"),
		Body: `{"Name": "Merged", "Properties": {"source": null, "tier": "gold"}}`})
	var merged soWebhook
	merge.Decode(t, &merged)
	if merge.Status != http.StatusOK || *merged.Name != "Merged" || merged.Properties["tier"] != "gold" || merged.Properties["source"] != nil || len(merged.Events) != 2 {
		t.Fatalf("merge patch = %d %s", merge.Status, merge.Body)
	}

	lastErr := env.Do(t, apitest.Request{Method: http.MethodGet, Path: path + "/LastError", Header: auth})
	if lastErr.Status != http.StatusOK || string(lastErr.Body) != "\"\"\n" {
		t.Fatalf("LastError = %d %q", lastErr.Status, lastErr.Body)
	}

	if resp := env.Do(t, apitest.Request{Method: http.MethodDelete, Path: path, Header: auth}); resp.Status != http.StatusNoContent {
		t.Fatalf("delete = %d %s", resp.Status, resp.Body)
	}
	for _, req := range []apitest.Request{{Method: http.MethodGet, Path: path}, {Method: http.MethodDelete, Path: path}, {Method: http.MethodGet, Path: path + "/LastError"}} {
		req.Header = auth
		if resp := env.Do(t, req); resp.Status != http.StatusNotFound || !strings.Contains(string(resp.Body), `"ErrorType":"NotFound"`) {
			t.Errorf("%s %s after delete = %d %s", req.Method, req.Path, resp.Status, resp.Body)
		}
	}
}

func TestSuperOfficeListFiltersAndSelect(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.SuperOffice(acme)
	a := soCreate(t, env, acme, `{"Name": "Orders", "Events": ["sale.changed"], "TargetUrl": "https://example.com/a"}`)
	soCreate(t, env, acme, `{"Name": "People", "Events": ["person.created"], "TargetUrl": "https://example.com/b", "State": "Stopped"}`)

	list := func(query string) []soWebhook {
		resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + query, Header: auth})
		var ws []soWebhook
		resp.Decode(t, &ws)
		return ws
	}
	if ws := list(""); len(ws) != 2 {
		t.Fatalf("all = %d", len(ws))
	}
	if ws := list("?nameFilter=ORD"); len(ws) != 1 || ws[0].WebhookId != a.WebhookId {
		t.Errorf("nameFilter = %+v", ws)
	}
	if ws := list("?eventFilter=person.created"); len(ws) != 1 || *ws[0].Name != "People" {
		t.Errorf("eventFilter = %+v", ws)
	}
	if ws := list("?statusFilter=Stopped"); len(ws) != 1 || *ws[0].Name != "People" {
		t.Errorf("statusFilter = %+v", ws)
	}
	if ws := list("?statusFilter=TooManyErrors"); len(ws) != 0 {
		t.Errorf("TooManyErrors = %+v", ws)
	}

	sel := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/" + itoa(a.WebhookId) + "?$select=name,State", Header: auth})
	var m map[string]any
	sel.Decode(t, &m)
	if m["Name"] != "Orders" || m["State"] != "Active" || m["TargetUrl"] != nil || m["Events"] != nil || m["WebhookId"] != nil {
		t.Errorf("$select = %s", sel.Body)
	}
	if _, present := m["TargetUrl"]; !present {
		t.Errorf("$select dropped TargetUrl instead of nulling it: %s", sel.Body)
	}
}

func TestSuperOfficeAuthSchemes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	globex := env.CreateAccount(t, "globex")
	w := soCreate(t, env, acme, `{"Name": "Orders", "Events": ["sale.changed"], "TargetUrl": "https://example.com/a"}`)
	path := apitest.SuperOfficeWebhooksPath + "/" + itoa(w.WebhookId)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(acme.Superoffice.Username+":"+acme.Superoffice.Password))
	for _, authz := range []string{basic, "basic " + strings.TrimPrefix(basic, "Basic "), "SOTicket " + acme.Superoffice.Ticket,
		"soticket " + acme.Superoffice.Ticket, "Bearer " + acme.Superoffice.BearerToken, "bearer " + acme.Superoffice.BearerToken} {
		if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: apitest.Header("Authorization", authz)}); resp.Status != http.StatusOK {
			t.Errorf("%s…: %d %s", authz[:10], resp.Status, resp.Body)
		}
	}
	wrongPassword := "Basic " + base64.StdEncoding.EncodeToString([]byte(acme.Superoffice.Username+":"+globex.Superoffice.Password))
	for _, authz := range []string{"", wrongPassword, "SOTicket nope", "Bearer " + acme.Superoffice.Ticket, "SOTicket " + acme.Superoffice.BearerToken, "AccessKey " + acme.Bird.AccessKey} {
		resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: apitest.Header("Authorization", authz)})
		if resp.Status != http.StatusUnauthorized || !strings.Contains(string(resp.Body), `"ErrorType":"Unauthorized"`) {
			t.Errorf("%q: %d %s", authz, resp.Status, resp.Body)
		}
	}
	// Another installation sees none of it.
	other := apitest.SuperOffice(globex)
	for _, req := range []apitest.Request{
		{Method: http.MethodGet, Path: path}, {Method: http.MethodDelete, Path: path}, {Method: http.MethodGet, Path: path + "/LastError"},
		{Method: http.MethodPut, Path: path, Body: `{"Name": "x", "Events": ["a.b"], "TargetUrl": "https://evil.example.com"}`},
		{Method: http.MethodPatch, Path: path, Body: `[{"op": "replace", "path": "/Name", "value": "x"}]`, Header: apitest.WithContentType(other, "application/json-patch+json")},
	} {
		if req.Header == nil {
			req.Header = other
		}
		if resp := env.Do(t, req); resp.Status != http.StatusNotFound {
			t.Errorf("%s %s by another account = %d %s", req.Method, req.Path, resp.Status, resp.Body)
		}
	}
	var ws []soWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath, Header: other}).Decode(t, &ws)
	if len(ws) != 0 {
		t.Errorf("globex lists %d webhooks", len(ws))
	}
	var still soWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: apitest.SuperOffice(acme)}).Decode(t, &still)
	if *still.Name != "Orders" {
		t.Errorf("another account changed the webhook: %+v", still)
	}
}

func TestSuperOfficeErrors(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.SuperOffice(acme)
	w := soCreate(t, env, acme, `{"Name": "Orders", "Events": ["sale.changed"], "TargetUrl": "https://example.com/a"}`)
	path := apitest.SuperOfficeWebhooksPath + "/" + itoa(w.WebhookId)
	jsonPatch := apitest.WithContentType(auth, "application/json-patch+json")
	since := func(d time.Duration) http.Header {
		h := jsonPatch.Clone()
		h.Set("If-Unmodified-Since", time.Now().Add(d).UTC().Format(http.TimeFormat))
		return h
	}
	tests := []struct {
		name   string
		req    apitest.Request
		status int
		want   string
	}{
		{"no entity", apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: auth}, 400, "Entity to save is not in request body"},
		{"null entity", apitest.Request{Method: http.MethodPut, Path: path, Header: auth, Body: `null`}, 400, `"ErrorType":"BadRequest"`},
		{"http target", apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: auth, Body: `{"Events": ["a.b"], "TargetUrl": "http://example.com"}`}, 400, "https"},
		{"no events", apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: auth, Body: `{"Events": [], "TargetUrl": "https://example.com"}`}, 400, "Events"},
		{"unknown state", apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: auth, Body: `{"Events": ["a.b"], "TargetUrl": "https://example.com", "State": "Sleeping"}`}, 400, "State"},
		{"Unknown state", apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: auth, Body: `{"Events": ["a.b"], "TargetUrl": "https://example.com", "State": "Unknown"}`}, 400, "State"},
		{"bad header", apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: auth, Body: `{"Events": ["a.b"], "TargetUrl": "https://example.com", "Headers": {"Bad Header": "x"}}`}, 400, "Headers"},
		{"reserved header", apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: auth, Body: `{"Events": ["a.b"], "TargetUrl": "https://example.com", "Headers": {"content-length": "1"}}`}, 400, "Content-Length"},
		{"bad email", apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: auth, Body: `{"Events": ["a.b"], "TargetUrl": "https://example.com", "ErrorsEmail": "nobody"}`}, 400, "ErrorsEmail"},
		{"wrong type", apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: auth, Body: `{"Events": "a.b", "TargetUrl": "https://example.com"}`}, 400, "Events"},
		{"id not a number", apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/abc", Header: auth}, 400, "id"},
		{"unknown id", apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/999999", Header: auth}, 404, "Webhook 999999 not found"},
		{"put unknown id", apitest.Request{Method: http.MethodPut, Path: apitest.SuperOfficeWebhooksPath + "/999999", Header: auth, Body: `{"Events": ["a.b"], "TargetUrl": "https://example.com"}`}, 404, "NotFound"},
		{"patch test fails", apitest.Request{Method: http.MethodPatch, Path: path, Header: jsonPatch, Body: `[{"op": "test", "path": "/Name", "value": "Other"}, {"op": "replace", "path": "/Name", "value": "x"}]`}, 409, `"ErrorType":"Conflict"`},
		{"patch missing path", apitest.Request{Method: http.MethodPatch, Path: path, Header: jsonPatch, Body: `[{"op": "replace", "path": "/Nope/x", "value": 1}]`}, 400, "JSON Patch"},
		{"patch unknown op", apitest.Request{Method: http.MethodPatch, Path: path, Header: jsonPatch, Body: `[{"op": "explode", "path": "/Name"}]`}, 400, "op"},
		{"patch leaves it invalid", apitest.Request{Method: http.MethodPatch, Path: path, Header: jsonPatch, Body: `[{"op": "replace", "path": "/TargetUrl", "value": "ftp://x"}]`}, 400, "https"},
		{"patch wrong type", apitest.Request{Method: http.MethodPatch, Path: path, Header: jsonPatch, Body: `[{"op": "replace", "path": "/Events", "value": 5}]`}, 400, "BadRequest"},
		{"stale If-Unmodified-Since", apitest.Request{Method: http.MethodPatch, Path: path, Header: since(-time.Hour), Body: `[{"op": "replace", "path": "/Name", "value": "x"}]`}, 412, "PreconditionFailed"},
		{"bad If-Unmodified-Since", apitest.Request{Method: http.MethodPatch, Path: path, Header: func() http.Header { h := jsonPatch.Clone(); h.Set("If-Unmodified-Since", "yesterday"); return h }(), Body: `[]`}, 400, "If-Unmodified-Since"},
		{"patch unknown id", apitest.Request{Method: http.MethodPatch, Path: apitest.SuperOfficeWebhooksPath + "/999999", Header: jsonPatch, Body: `[]`}, 404, "NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, tt.req)
			if resp.Status != tt.status || !strings.Contains(string(resp.Body), tt.want) {
				t.Fatalf("got %d %s, want %d with %s", resp.Status, resp.Body, tt.status, tt.want)
			}
		})
	}
	var still soWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: auth}).Decode(t, &still)
	if *still.Name != "Orders" || *still.TargetUrl != "https://example.com/a" || !still.Updated.Equal(*w.Updated) {
		t.Errorf("refused requests changed the webhook: %+v", still)
	}
	// A fresh If-Unmodified-Since lets the patch through.
	if resp := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: path, Header: since(time.Hour), Body: `[{"op": "replace", "path": "/Name", "value": "x"}]`}); resp.Status != http.StatusOK {
		t.Errorf("fresh If-Unmodified-Since = %d %s", resp.Status, resp.Body)
	}
}

func TestSuperOfficeTestCallsTheTarget(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var gotBody []byte
	var gotHeader http.Header
	target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		gotBody, _ = io.ReadAll(r.Body)
		gotHeader = r.Header.Clone()
		if r.URL.Path == "/fail" {
			http.Error(w, "nope", http.StatusServiceUnavailable)
		}
	}))
	defer target.Close()
	env := apitest.New(t, func(c *handlers.Config) { c.TargetTransport = target.Client().Transport })
	acme := env.CreateAccount(t, "acme")

	resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath + "/Test", Header: apitest.SuperOffice(acme),
		Body: `{"Name": "Probe", "Events": ["a.b"], "TargetUrl": "` + target.URL + `/ok", "Secret": "s3cret", "Headers": {"X-Tenant": "acme"}, "Properties": {"source": "crm"}}`})
	var result gen.WebhookResult
	resp.Decode(t, &result)
	if resp.Status != http.StatusOK || !result.Success {
		t.Fatalf("test = %d %s", resp.Status, resp.Body)
	}
	mu.Lock()
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(gotBody)
	var payload map[string]any
	_ = json.Unmarshal(gotBody, &payload)
	if gotHeader.Get("X-SuperOffice-Signature") != base64.StdEncoding.EncodeToString(mac.Sum(nil)) || gotHeader.Get("X-Tenant") != "acme" ||
		gotHeader.Get("X-SuperOffice-Event") != "test" || payload["Event"] != "test" || payload["source"] != "crm" || payload["WebhookName"] != "Probe" {
		t.Errorf("target received %v %s", gotHeader, gotBody)
	}
	mu.Unlock()

	resp = env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath + "/Test", Header: apitest.SuperOffice(acme),
		Body: `{"Events": ["a.b"], "TargetUrl": "` + target.URL + `/fail"}`})
	resp.Decode(t, &result)
	if result.Success || !strings.Contains(result.Message, "503") {
		t.Errorf("failing target: %+v", result)
	}
	var ws []soWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath, Header: apitest.SuperOffice(acme)}).Decode(t, &ws)
	if len(ws) != 0 {
		t.Errorf("Test saved %d webhooks", len(ws))
	}

	// Without a test transport, only public addresses are called.
	guarded := apitest.New(t)
	other := guarded.CreateAccount(t, "other")
	resp = guarded.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath + "/Test", Header: apitest.SuperOffice(other),
		Body: `{"Events": ["a.b"], "TargetUrl": "` + target.URL + `/ok"}`})
	resp.Decode(t, &result)
	if result.Success || !strings.Contains(result.Message, "TargetUrl cannot be reached: target address is not allowed") || strings.Contains(result.Message, "127.0.0.1") {
		t.Errorf("loopback target with the default transport: %+v", result)
	}
}

func itoa(n int32) string { return jsonNumber(n) }

func jsonNumber(n int32) string {
	b, _ := json.Marshal(n)
	return string(b)
}
