package arkyn_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

// Reading and changing a webhook answer 404 for an unknown traffic source, 403 for another
// user's and 404 for one without a webhook, in Arkyn's words, and change nothing.
func TestArkynWebhookRefusals(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	globex := env.CreateAccount(t, "globex")
	auth := apitest.ArkynLogin(t, env, acme)
	ctx := context.Background()
	var bare gen.ArkynTrafficSource
	env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/traffic-source", Header: auth, Body: `{"name": "bare", "trafficDomain": "bare.example.com"}`}).Decode(t, &bare)
	if _, err := env.DB.ExecContext(ctx, `DELETE FROM subscriptions WHERE scope_id = (SELECT id FROM scopes WHERE dialect = 'arkyn' AND external_id = $1)`, bare.Id.String()); err != nil {
		t.Fatal(err)
	}
	var before gen.ArkynWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/webhooks/" + globex.Arkyn.TrafficSourceId.String(), Header: apitest.ArkynLogin(t, env, globex)}).Decode(t, &before)

	sources := []struct {
		name, id     string
		status       int
		errName, msg string
	}{
		{"unknown", "12345678-1234-4234-9234-123456789abc", 404, "NotFound", "Traffic source not found"},
		{"another user's", globex.Arkyn.TrafficSourceId.String(), 403, "Forbidden", "You do not own this traffic source."},
		{"without a webhook", bare.Id.String(), 404, "NotFound", "Webhook not found for this traffic source"},
	}
	for _, src := range sources {
		for _, req := range []apitest.Request{
			{Method: http.MethodGet},
			{Method: http.MethodPut, Body: `{}`},
			{Method: http.MethodPut, Body: `{"discordChannelId": "987654321098765432"}`},
			{Method: http.MethodPut, Body: `{"discordChannelId": null}`},
		} {
			req.Path, req.Header = "/webhooks/"+src.id, auth
			resp := env.Do(t, req)
			if m := resp.Map(t); resp.Status != src.status || m["name"] != src.errName || m["message"] != src.msg || len(m) != 2 {
				t.Errorf("%s %v on %s = %d %s, want %d %s %q", req.Method, req.Body, src.name, resp.Status, resp.Body, src.status, src.errName, src.msg)
			}
		}
	}
	var after gen.ArkynWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/webhooks/" + globex.Arkyn.TrafficSourceId.String(), Header: apitest.ArkynLogin(t, env, globex)}).Decode(t, &after)
	if !after.UpdatedAt.Equal(before.UpdatedAt) || !after.DiscordChannelId.IsNull() {
		t.Errorf("another user changed the webhook: %+v", after)
	}
	var n int
	if err := env.DB.QueryRowContext(ctx, `SELECT count(*) FROM subscriptions WHERE dialect = 'arkyn'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d Arkyn webhooks, want the two left (%v)", n, err)
	}
}

// Setting a channel re-enables the webhook: the reason it was stopped for, its last error and
// its failure streak are cleared. An empty body changes nothing, not even updatedAt.
func TestArkynWebhookChannel(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.ArkynLogin(t, env, acme)
	ctx := context.Background()
	path := "/webhooks/" + acme.Arkyn.TrafficSourceId.String()
	var hook gen.ArkynWebhook
	env.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Header: auth, Body: `{"discordChannelId": "987654321098765432"}`}).Decode(t, &hook)
	if _, err := env.DB.ExecContext(ctx, `UPDATE subscriptions SET status = 'stopped', status_reason = 'gone', last_error = '404', consecutive_failures = 3 WHERE external_id = $1`, hook.Id); err != nil {
		t.Fatal(err)
	}
	stored := func() (status, reason, lastError string, failures int) {
		t.Helper()
		err := env.DB.QueryRowContext(ctx, `SELECT status, status_reason, last_error, consecutive_failures FROM subscriptions WHERE external_id = $1`, hook.Id).Scan(&status, &reason, &lastError, &failures)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	var same gen.ArkynWebhook
	env.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Header: auth, Body: `{}`}).Decode(t, &same)
	if !same.UpdatedAt.Equal(hook.UpdatedAt) || same.DiscordChannelId.MustGet() != "987654321098765432" {
		t.Errorf("an empty body changed the webhook: %+v, was %+v", same, hook)
	}
	if status, reason, _, _ := stored(); status != "stopped" || reason != "gone" {
		t.Errorf("an empty body changed the status to %s (%s)", status, reason)
	}
	env.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Header: auth, Body: `{"discordChannelId": "123456789012345678"}`})
	if status, reason, lastError, failures := stored(); status != "active" || reason != "" || lastError != "" || failures != 0 {
		t.Errorf("re-enabled: %s %q %q %d", status, reason, lastError, failures)
	}
	env.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Header: auth, Body: `{"discordChannelId": null}`})
	if status, _, _, _ := stored(); status != "inactive" {
		t.Errorf("cleared channel leaves the webhook %s", status)
	}
	// A traffic source refused for its domain leaves no webhook behind.
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/traffic-source", Header: auth, Body: `{"name": "again", "trafficDomain": "acme.example.com"}`}); resp.Status != http.StatusConflict {
		t.Fatalf("same domain = %d %s", resp.Status, resp.Body)
	}
	var n int
	if err := env.DB.QueryRowContext(ctx, `SELECT count(*) FROM subscriptions WHERE dialect = 'arkyn'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d Arkyn webhooks after a refused traffic source, want 1 (%v)", n, err)
	}
}
