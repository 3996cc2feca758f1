package arkyn_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

func TestArkynLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.ArkynLogin(t, env, acme)

	// The account's first traffic source comes with a webhook whose notifications are off.
	hookPath := "/webhooks/" + acme.Arkyn.TrafficSourceId.String()
	first := env.Do(t, apitest.Request{Method: http.MethodGet, Path: hookPath, Header: auth})
	var hook gen.ArkynWebhook
	first.Decode(t, &hook)
	if first.Status != http.StatusOK || hook.TrafficSourceId != acme.Arkyn.TrafficSourceId || !hook.DiscordChannelId.IsNull() {
		t.Fatalf("webhook = %d %s", first.Status, first.Body)
	}

	set := env.Do(t, apitest.Request{Method: http.MethodPut, Path: hookPath, Header: auth, Body: `{"discordChannelId": "987654321098765432"}`})
	var updated gen.ArkynWebhook
	set.Decode(t, &updated)
	if set.Status != http.StatusOK || updated.DiscordChannelId.MustGet() != "987654321098765432" || updated.Id != hook.Id ||
		!updated.CreatedAt.Equal(hook.CreatedAt) || !updated.UpdatedAt.After(hook.UpdatedAt) {
		t.Fatalf("set channel = %d %s", set.Status, set.Body)
	}
	kept := env.Do(t, apitest.Request{Method: http.MethodPut, Path: hookPath, Header: auth, Body: `{}`})
	if kept.Map(t)["discordChannelId"] != "987654321098765432" {
		t.Errorf("an absent member changed the channel: %s", kept.Body)
	}
	off := env.Do(t, apitest.Request{Method: http.MethodPut, Path: hookPath, Header: auth, Body: `{"discordChannelId": null}`})
	if m := off.Map(t); off.Status != http.StatusOK || m["discordChannelId"] != nil {
		t.Fatalf("disable = %d %s", off.Status, off.Body)
	}

	// A new traffic source gets its own webhook.
	created := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/traffic-source", Header: auth,
		Body: `{"name": "Payments API", "trafficDomain": "api.payments.com"}`})
	var source gen.ArkynTrafficSource
	created.Decode(t, &source)
	if created.Status != http.StatusCreated || source.Name != "Payments API" || source.TrafficDomain != "api.payments.com" || source.UserId != acme.Id {
		t.Fatalf("create traffic source = %d %s", created.Status, created.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/webhooks/" + source.Id.String(), Header: auth}); resp.Status != http.StatusOK {
		t.Fatalf("new traffic source's webhook = %d %s", resp.Status, resp.Body)
	}
	dup := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/traffic-source", Header: auth,
		Body: `{"name": "Again", "trafficDomain": "API.payments.com"}`})
	if dup.Status != http.StatusConflict || dup.Map(t)["name"] != "Conflict" {
		t.Fatalf("same domain again = %d %s", dup.Status, dup.Body)
	}

	var page gen.ArkynTrafficSourceList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/traffic-source", Header: auth}).Decode(t, &page)
	if page.Meta.Total != 2 || len(page.Data) != 2 || len(page.Date) != 2 || page.Data[1].Id != source.Id || page.Meta.Limit != 10 || page.Meta.Page != 1 {
		t.Fatalf("list = %+v", page)
	}
	var second gen.ArkynTrafficSourceList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/traffic-source?page=2&limit=1", Header: auth}).Decode(t, &second)
	if len(second.Data) != 1 || second.Data[0].Id != source.Id || second.Meta.Total != 2 {
		t.Fatalf("page 2 = %+v", second)
	}
	var beyond gen.ArkynTrafficSourceList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/traffic-source?page=9", Header: auth}).Decode(t, &beyond)
	if len(beyond.Data) != 0 || beyond.Meta.Total != 2 {
		t.Fatalf("page beyond the end = %+v", beyond)
	}
}

func TestArkynErrors(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	globex := env.CreateAccount(t, "globex")
	auth := apitest.ArkynLogin(t, env, acme)
	hookPath := "/webhooks/" + acme.Arkyn.TrafficSourceId.String()

	tests := []struct {
		name    string
		req     apitest.Request
		status  int
		errName string
		message string
	}{
		{"no token", apitest.Request{Method: http.MethodGet, Path: hookPath}, 400, "BadRequest", "No token provided"},
		{"no token on create", apitest.Request{Method: http.MethodPost, Path: "/traffic-source", Body: `{}`}, 400, "BadRequest", "No token provided"},
		{"invalid token", apitest.Request{Method: http.MethodGet, Path: hookPath, Header: apitest.Header("Authorization", "Bearer nope")}, 401, "Unauthorized", "Invalid token"},
		{"another dialect's secret", apitest.Request{Method: http.MethodGet, Path: hookPath, Header: apitest.Header("Authorization", "Bearer "+acme.Bird.AccessKey)}, 401, "Unauthorized", ""},
		{"malformed id", apitest.Request{Method: http.MethodGet, Path: "/webhooks/123", Header: auth}, 400, "BadRequest", "trafficSourceId"},
		{"unknown traffic source", apitest.Request{Method: http.MethodGet, Path: "/webhooks/12345678-1234-4234-9234-123456789abc", Header: auth}, 404, "NotFound", "Traffic source not found"},
		{"another user's traffic source", apitest.Request{Method: http.MethodGet, Path: "/webhooks/" + globex.Arkyn.TrafficSourceId.String(), Header: auth}, 403, "Forbidden", "You do not own this traffic source."},
		{"update another user's", apitest.Request{Method: http.MethodPut, Path: "/webhooks/" + globex.Arkyn.TrafficSourceId.String(), Header: auth, Body: `{"discordChannelId": "987654321098765432"}`}, 403, "Forbidden", "You do not own this traffic source."},
		{"channel not a snowflake", apitest.Request{Method: http.MethodPut, Path: hookPath, Header: auth, Body: `{"discordChannelId": "general"}`}, 400, "BadRequest", "discordChannelId"},
		{"channel wrong type", apitest.Request{Method: http.MethodPut, Path: hookPath, Header: auth, Body: `{"discordChannelId": 42}`}, 400, "BadRequest", "discordChannelId"},
		{"missing domain", apitest.Request{Method: http.MethodPost, Path: "/traffic-source", Header: auth, Body: `{"name": "x"}`}, 400, "BadRequest", "trafficDomain"},
		{"limit too large", apitest.Request{Method: http.MethodGet, Path: "/traffic-source?limit=1000", Header: auth}, 400, "BadRequest", "limit"},
		{"wrong password", apitest.Request{Method: http.MethodPost, Path: "/user/auth", Body: map[string]string{"email": acme.Arkyn.Email, "password": "nope"}}, 404, "NotFound", "Invalid credentials"},
		{"unknown email", apitest.Request{Method: http.MethodPost, Path: "/user/auth", Body: map[string]string{"email": "who@example.com", "password": acme.Arkyn.Password}}, 404, "NotFound", "Invalid credentials"},
		{"another user's password", apitest.Request{Method: http.MethodPost, Path: "/user/auth", Body: map[string]string{"email": acme.Arkyn.Email, "password": globex.Arkyn.Password}}, 404, "NotFound", "Invalid credentials"},
		{"missing password", apitest.Request{Method: http.MethodPost, Path: "/user/auth", Body: `{"email": "x"}`}, 400, "BadRequest", "password"},
		{"malformed JSON", apitest.Request{Method: http.MethodPost, Path: "/user/auth", Body: `{"email":`}, 400, "BadRequest", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, tt.req)
			body := resp.Map(t)
			if resp.Status != tt.status || body["name"] != tt.errName {
				t.Fatalf("got %d %s, want %d %s", resp.Status, resp.Body, tt.status, tt.errName)
			}
			if msg, _ := body["message"].(string); !strings.Contains(msg, tt.message) {
				t.Errorf("message %q does not mention %q", msg, tt.message)
			}
		})
	}
	// The other user's webhook is untouched, and their list holds only their own sources.
	globexAuth := apitest.ArkynLogin(t, env, globex)
	if m := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/webhooks/" + globex.Arkyn.TrafficSourceId.String(), Header: globexAuth}).Map(t); m["discordChannelId"] != nil {
		t.Errorf("another user changed the webhook: %v", m)
	}
	var list gen.ArkynTrafficSourceList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/traffic-source", Header: globexAuth}).Decode(t, &list)
	if list.Meta.Total != 1 || list.Data[0].Id != globex.Arkyn.TrafficSourceId {
		t.Errorf("globex lists %+v", list)
	}
	// A domain registered by one user is free for another.
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/traffic-source", Header: globexAuth, Body: `{"name": "x", "trafficDomain": "acme.example.com"}`}); resp.Status != http.StatusCreated {
		t.Errorf("another user's domain = %d %s", resp.Status, resp.Body)
	}
}
