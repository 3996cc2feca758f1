package frontdoor_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/apitest"
)

// Whatever a client sends, the answer is documented and never a 500. Bodies that a dialect's
// schema tolerates (Arkyn ignores unknown members) may succeed without changing anything.
func TestOddInputNeverFailsTheServer(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	bodies := []string{``, `null`, `[]`, `"x"`, `42`, `{"a":`, "\x00\xff", `{"target_url": null, "events": null}`,
		`{"url": 5, "service": [], "event": {}, "eventFilters": "x"}`, `{"eventFilters": [null]}`,
		`{"name": "` + strings.Repeat("x", 300) + `"}`}
	type target struct {
		method, path string
		header       http.Header
	}
	sub := apitest.CreateBirdSubscription(t, env, acme, `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/a"}`)
	arkyn := apitest.ArkynLogin(t, env, acme)
	targets := []target{
		{http.MethodPost, "/admin/v1/accounts", apitest.Admin()},
		{http.MethodPatch, "/admin/v1/accounts/" + acme.Id.String(), apitest.Admin()},
		{http.MethodPost, apitest.VoucherifyWebhooksPath(acme), apitest.Voucherify(acme)},
		{http.MethodPut, apitest.VoucherifyWebhooksPath(acme) + "/wh_x", apitest.Voucherify(acme)},
		{http.MethodPost, apitest.BirdSubscriptionsPath(acme), apitest.Bird(acme)},
		{http.MethodPatch, apitest.BirdSubscriptionsPath(acme) + "/" + sub.Id.String(), apitest.Bird(acme)},
		{http.MethodPost, "/user/auth", http.Header{}},
		{http.MethodPost, "/api/v1/Webhook", apitest.SuperOffice(acme)},
		{http.MethodPut, "/api/v1/Webhook/1", apitest.SuperOffice(acme)},
		{http.MethodPatch, "/api/v1/Webhook/1", apitest.SuperOffice(acme)},
		{http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(acme)},
		{http.MethodPost, "/traffic-source", arkyn},
		{http.MethodPut, "/webhooks/" + acme.Arkyn.TrafficSourceId.String(), arkyn},
	}
	for _, tg := range targets {
		for _, body := range bodies {
			for _, contentType := range []string{"application/json", "text/plain", "application/xml", "application/x-www-form-urlencoded", "application/json-patch+json"} {
				h := tg.header.Clone()
				h.Set("Content-Type", contentType)
				resp := env.Do(t, apitest.Request{Method: tg.method, Path: tg.path, Header: h, Body: body})
				if resp.Status >= 500 || resp.Status < 400 && tg.method != http.MethodPut {
					t.Errorf("%s %s %s %q = %d %s, want a 4xx", tg.method, tg.path, contentType, body, resp.Status, resp.Body)
				}
			}
		}
	}
}
