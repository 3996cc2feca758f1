package admin_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
	"github.com/webhookd/webhookd/internal/apitest"
)

// credentialCall is one request per credential of an account, with what it answers while the
// account lives and once its erasure has begun.
type credentialCall struct {
	name           string
	req            apitest.Request
	live, refused  int
	refusedMessage string
}

func credentialCalls(t *testing.T, env *apitest.Env, a gen.AccountCreated) []credentialCall {
	t.Helper()
	arkynToken := apitest.ArkynLogin(t, env, a)
	bearer := func(token string) http.Header { return apitest.Header("Authorization", "Bearer "+token) }
	get := func(path string, h http.Header) apitest.Request {
		return apitest.Request{Method: http.MethodGet, Path: path, Header: h}
	}
	return []credentialCall{
		{"voucherify", get(apitest.VoucherifyWebhooksPath(a), apitest.Voucherify(a)), 200, 401, ""},
		{"bird", get(apitest.BirdSubscriptionsPath(a), apitest.Bird(a)), 200, 401, ""},
		{"superoffice basic", get(apitest.SuperOfficeWebhooksPath, apitest.SuperOffice(a)), 200, 401, ""},
		{"superoffice ticket", get(apitest.SuperOfficeWebhooksPath, apitest.Header("Authorization", "SOTicket "+a.Superoffice.Ticket)), 200, 401, ""},
		{"superoffice bearer", get(apitest.SuperOfficeWebhooksPath, bearer(a.Superoffice.BearerToken)), 200, 401, ""},
		{"shipping", get(apitest.ShippingSubscriptionsPath, apitest.Shipping(a)), 200, 401, ""},
		{"shipping read-only", get(apitest.ShippingSubscriptionsPath, bearer(a.Shipping.ReadOnlyApiKey)), 200, 401, ""},
		{"arkyn session", get("/traffic-source", arkynToken), 200, 401, ""},
		// Arkyn answers an unknown email or a wrong password alike.
		{"arkyn login", apitest.Request{Method: http.MethodPost, Path: "/user/auth",
			Body: map[string]string{"email": a.Arkyn.Email, "password": a.Arkyn.Password}}, 200, 404, "Invalid credentials"},
		{"ingest", apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/events", Header: bearer(a.Ingest.Key),
			Body: `{"type": "voucher.created"}`}, 202, 401, ""},
	}
}

// From the moment DELETE answers, the account is gone to the API on the instance that took the
// call, and within the credential cache's second on every other instance; ingestion stops on
// every instance at once. Nothing has been erased yet: no eraser runs here.
func TestDeleteAccountStopsItsCredentialsAndIDs(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	other := apitest.NewWithDB(t, env.DB) // another instance on the same database
	doomed, kept := env.CreateAccount(t, "doomed"), env.CreateAccount(t, "kept")
	calls := credentialCalls(t, env, doomed)
	// Arkyn tells another user's traffic source (403) from an unknown one (404).
	foreignSource := apitest.Request{Method: http.MethodGet, Path: "/webhooks/" + doomed.Arkyn.TrafficSourceId.String(),
		Header: apitest.ArkynLogin(t, env, kept)}
	if resp := env.Do(t, foreignSource); resp.Status != http.StatusForbidden {
		t.Fatalf("another user's traffic source: %d %s", resp.Status, resp.Body)
	}
	for _, c := range calls {
		for _, instance := range []*apitest.Env{env, other} { // both now trust the credential
			if resp := instance.Do(t, c.req); resp.Status != c.live {
				t.Fatalf("%s before erasure: %d %s", c.name, resp.Status, resp.Body)
			}
		}
	}

	path := "/admin/v1/accounts/" + doomed.Id.String()
	resp := env.Do(t, apitest.Request{Method: http.MethodDelete, Path: path, Header: apitest.Admin()})
	if resp.Status != http.StatusAccepted {
		t.Fatalf("delete: %d %s", resp.Status, resp.Body)
	}
	deleted := time.Now()
	var erasure gen.AccountErasure
	resp.Decode(t, &erasure)
	if erasure.Id != doomed.Id || erasure.Name != "doomed" || erasure.Status != gen.Erasing || time.Since(erasure.ErasingSince) > time.Minute {
		t.Errorf("delete answered %+v", erasure)
	}

	for _, c := range calls {
		if resp := env.Do(t, c.req); resp.Status != c.refused {
			t.Errorf("%s on the instance that erased: %d %s; want %d", c.name, resp.Status, resp.Body, c.refused)
		}
	}
	// Ingestion checks the account in the statement that writes, so a cached key stores nothing.
	if resp := other.Do(t, calls[len(calls)-1].req); resp.Status != http.StatusUnauthorized {
		t.Errorf("ingest on another instance right after: %d %s; want 401", resp.Status, resp.Body)
	}
	time.Sleep(time.Until(deleted.Add(kit.CredentialTTL + 10*time.Millisecond)))
	for _, c := range calls {
		resp := other.Do(t, c.req)
		if resp.Status != c.refused || c.refusedMessage != "" && resp.Map(t)["message"] != c.refusedMessage {
			t.Errorf("%s on another instance after a second: %d %s; want %d", c.name, resp.Status, resp.Body, c.refused)
		}
	}

	for _, req := range []apitest.Request{
		{Method: http.MethodGet, Path: path},
		{Method: http.MethodPatch, Path: path, Body: `{"name": "again"}`},
		{Method: http.MethodDelete, Path: path},
		{Method: http.MethodGet, Path: path + "/deliveries"},
	} {
		req.Header = apitest.Admin()
		if resp := env.Do(t, req); resp.Status != http.StatusNotFound || resp.Map(t)["code"] != "not_found" {
			t.Errorf("%s %s after delete: %d %s; want 404", req.Method, req.Path, resp.Status, resp.Body)
		}
	}
	if resp := env.Do(t, foreignSource); resp.Status != http.StatusNotFound {
		t.Errorf("the erased account's traffic source to another user: %d %s; want 404", resp.Status, resp.Body)
	}
	var list gen.AccountList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts", Header: apitest.Admin()}).Decode(t, &list)
	if len(list.Results) != 1 || list.Results[0].Id != kept.Id {
		t.Errorf("listed %+v; want only the kept account", list.Results)
	}

	// The other account is untouched.
	for _, c := range credentialCalls(t, env, kept) {
		if resp := other.Do(t, c.req); resp.Status != c.live {
			t.Errorf("%s of the kept account: %d %s", c.name, resp.Status, resp.Body)
		}
	}
}
