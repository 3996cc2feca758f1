package kit_test

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/apitest"
)

// Literal private, loopback, link-local and unspecified targets are refused when a webhook is
// registered or changed, in each dialect's validation error, unless the operator allows them.
// (Bird's URL pattern already demands a host name; its check stands behind that.)
func TestPrivateTargetsAreRefusedAtRegistration(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.CreateAccount(t, "acme")
	vPath := apitest.VoucherifyWebhooksPath(a)
	bPath := "/workspaces/" + a.Bird.WorkspaceId.String() + "/webhook-subscriptions"
	type call struct {
		name string
		req  apitest.Request
		want int
		body string
	}
	refused := func(target string) []call {
		return []call{
			{"voucherify create", apitest.Request{Method: http.MethodPost, Path: vPath, Header: apitest.Voucherify(a),
				Body: `{"target_url": "` + target + `", "events": ["voucher.created"]}`}, 400, `"key":"invalid_payload"`},
			{"bird create", apitest.Request{Method: http.MethodPost, Path: bPath, Header: apitest.Bird(a),
				Body: `{"service": "channels", "event": "sms.outbound", "url": "` + strings.Replace(target, "http://", "https://", 1) + `"}`}, 422, `"url":[`},
			{"superoffice create", apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: apitest.SuperOffice(a),
				Body: `{"Events": ["contact.created"], "TargetUrl": "` + strings.Replace(target, "http://", "https://", 1) + `"}`}, 400, `"ErrorType":"BadRequest"`},
			{"shipping create", apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: apitest.Shipping(a),
				Body: `{"name": "s", "url": "` + target + `", "events": ["shipment.created"]}`}, 422, `"url":["The url must not point at`},
		}
	}
	for _, target := range []string{"http://127.0.0.1:9/h", "http://10.1.2.3/h", "http://169.254.169.254/latest", "http://[::1]/h", "http://0.0.0.0/h", "http://[fe80::1]/h"} {
		for _, c := range refused(target) {
			resp := env.Do(t, c.req)
			if resp.Status != c.want || !strings.Contains(string(resp.Body), c.body) {
				t.Errorf("%s %s: %d %s", c.name, target, resp.Status, resp.Body)
			}
		}
	}

	// Updates: each dialect's webhook registered with a public name, then pointed at loopback.
	var vw struct{ ID string }
	env.Do(t, apitest.Request{Method: http.MethodPost, Path: vPath, Header: apitest.Voucherify(a), Body: `{"target_url": "https://example.com/v", "events": ["voucher.created"]}`}).Decode(t, &vw)
	var bw struct{ ID string }
	env.Do(t, apitest.Request{Method: http.MethodPost, Path: bPath, Header: apitest.Bird(a), Body: `{"service": "channels", "event": "sms.outbound", "url": "https://example.com/b"}`}).Decode(t, &bw)
	swID := apitest.CreateSuperOfficeWebhook(t, env, a, `{"Events": ["contact.created"], "TargetUrl": "https://example.com/s"}`)
	var shw struct{ Data struct{ ID string } }
	env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: apitest.Shipping(a), Body: `{"name": "s", "url": "https://example.com/sh", "events": ["shipment.created"]}`}).Decode(t, &shw)
	soAuth := apitest.SuperOffice(a)
	for _, c := range []call{
		{"voucherify update", apitest.Request{Method: http.MethodPut, Path: vPath + "/" + vw.ID, Header: apitest.Voucherify(a), Body: `{"target_url": "http://127.0.0.1/v", "events": ["voucher.created"]}`}, 400, `"key":"invalid_payload"`},
		{"bird update", apitest.Request{Method: http.MethodPatch, Path: bPath + "/" + bw.ID, Header: apitest.Bird(a), Body: `{"url": "https://127.0.0.1/b"}`}, 422, `"url":[`},
		{"superoffice put", apitest.Request{Method: http.MethodPut, Path: apitest.SuperOfficeWebhooksPath + "/" + strconv.Itoa(int(swID)), Header: soAuth, Body: `{"Events": ["contact.created"], "TargetUrl": "https://127.0.0.1/s"}`}, 400, "TargetUrl must not point at"},
		{"superoffice patch", apitest.Request{Method: http.MethodPatch, Path: apitest.SuperOfficeWebhooksPath + "/" + strconv.Itoa(int(swID)), Header: apitest.WithContentType(soAuth, "application/merge-patch+json"), Body: `{"TargetUrl": "https://[::1]/s"}`}, 400, "TargetUrl must not point at"},
		{"shipping update", apitest.Request{Method: http.MethodPut, Path: apitest.ShippingSubscriptionsPath + "/" + shw.Data.ID, Header: apitest.Shipping(a), Body: `{"name": "s", "url": "http://192.168.0.1/sh"}`}, 422, `"url":["The url must not point at`},
	} {
		resp := env.Do(t, c.req)
		if resp.Status != c.want || !strings.Contains(string(resp.Body), c.body) {
			t.Errorf("%s: %d %s", c.name, resp.Status, resp.Body)
		}
	}
	var rows int
	if err := env.DB.QueryRow(`SELECT count(*) FROM subscriptions WHERE url LIKE 'http%' AND url NOT LIKE 'https://example.com/%'`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("%d private targets stored (%v)", rows, err)
	}

	// The operator's WEBHOOKS_ALLOWED_TARGETS lets them through.
	allowed := apitest.New(t, func(c *handlers.Config) { c.Egress.Allowed = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	b := allowed.CreateAccount(t, "beta")
	if resp := allowed.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: apitest.Shipping(b),
		Body: `{"name": "s", "url": "http://127.0.0.1:9/h", "events": ["shipment.created"]}`}); resp.Status != http.StatusCreated {
		t.Errorf("an allowed loopback target: %d %s", resp.Status, resp.Body)
	}
	if resp := allowed.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: apitest.Shipping(b),
		Body: `{"name": "s", "url": "http://10.0.0.1/h", "events": ["shipment.created"]}`}); resp.Status != http.StatusUnprocessableEntity {
		t.Errorf("a private target outside the allowed prefixes: %d %s", resp.Status, resp.Body)
	}
}
