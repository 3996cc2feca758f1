package shipping_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/handlers/shipping"
	"github.com/webhookd/webhookd/internal/apitest"
)

func TestShippingLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.Shipping(acme)

	sub := apitest.CreateShipping(t, env, acme, `{"name": "Channels", "url": "https://example.com/hooks", "events": ["shipping_channel.created", "shipment.created"], "secret": "s3cret-value"}`)
	if !strings.HasPrefix(sub.Id, "wh_") || sub.Name != "Channels" || !sub.Active || len(sub.Events) != 2 || sub.Secret != "••••••••••••••••" {
		t.Fatalf("created = %+v", sub)
	}
	path := apitest.ShippingSubscriptionsPath + "/" + sub.Id

	got := env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: auth})
	if got.Status != http.StatusOK || !strings.Contains(string(got.Body), `"data":{`) || strings.Contains(string(got.Body), "s3cret") {
		t.Fatalf("get = %d %s", got.Status, got.Body)
	}

	// name is required; absent members are kept.
	put := env.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Header: auth, Body: `{"name": "Renamed", "active": false}`})
	var updated gen.ShippingWebhookSubscriptionEnvelope
	put.Decode(t, &updated)
	if put.Status != http.StatusOK || updated.Data.Name != "Renamed" || updated.Data.Active || updated.Data.Url != sub.Url || len(updated.Data.Events) != 2 ||
		!updated.Data.CreatedAt.Equal(sub.CreatedAt) || !updated.Data.UpdatedAt.After(sub.UpdatedAt) {
		t.Fatalf("put = %d %s", put.Status, put.Body)
	}
	put = env.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Header: auth,
		Body: `{"name": "Renamed", "url": "https://example.com/moved", "events": ["tracking_parcel.status_changed"], "secret": ""}`})
	put.Decode(t, &updated)
	if updated.Data.Url != "https://example.com/moved" || len(updated.Data.Events) != 1 || updated.Data.Events[0] != "tracking_parcel.status_changed" {
		t.Fatalf("put = %s", put.Body)
	}

	deleted := env.Do(t, apitest.Request{Method: http.MethodDelete, Path: path, Header: auth})
	if deleted.Status != http.StatusNoContent {
		t.Fatalf("delete = %d", deleted.Status)
	}
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		resp := env.Do(t, apitest.Request{Method: m, Path: path, Header: auth})
		if resp.Status != http.StatusNotFound || !strings.Contains(string(resp.Body), `"code":"not_found"`) {
			t.Errorf("%s after delete = %d %s", m, resp.Status, resp.Body)
		}
	}
}

func TestShippingListPages(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.Shipping(acme)
	var ids []string
	for i := range 7 {
		ids = append(ids, apitest.CreateShipping(t, env, acme, fmt.Sprintf(`{"name": "n%d", "url": "https://example.com/%d", "events": ["shipment.created"]}`, i, i)).Id)
	}
	var all gen.ShippingWebhookSubscriptionList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.ShippingSubscriptionsPath, Header: auth}).Decode(t, &all)
	if len(all.Data) != 7 || all.Meta.Total != 7 || all.Meta.PerPage != 15 || all.Meta.LastPage != 1 || all.Meta.From.MustGet() != 1 || all.Meta.To.MustGet() != 7 ||
		!all.Links.Next.IsNull() || !all.Links.Prev.IsNull() || !strings.HasSuffix(all.Meta.Path, apitest.ShippingSubscriptionsPath) {
		t.Fatalf("default page = %+v", all)
	}
	var seen []string
	next := apitest.ShippingSubscriptionsPath + "?per_page=3"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		var page gen.ShippingWebhookSubscriptionList
		env.Do(t, apitest.Request{Method: http.MethodGet, Path: strings.TrimPrefix(next, env.URL), Header: auth}).Decode(t, &page)
		for _, s := range page.Data {
			seen = append(seen, s.Id)
		}
		if page.Meta.LastPage != 3 || page.Meta.PerPage != 3 {
			t.Fatalf("meta = %+v", page.Meta)
		}
		next = ""
		if page.Links.Next.IsSpecified() && !page.Links.Next.IsNull() {
			next = page.Links.Next.MustGet()
		}
	}
	if strings.Join(seen, ",") != strings.Join(ids, ",") {
		t.Errorf("following links visited %v, want %v", seen, ids)
	}
	var empty gen.ShippingWebhookSubscriptionList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.ShippingSubscriptionsPath + "?page=9", Header: auth}).Decode(t, &empty)
	if len(empty.Data) != 0 || !empty.Meta.From.IsNull() || empty.Meta.Total != 7 {
		t.Errorf("page beyond the end = %+v", empty)
	}
}

func TestShippingErrors(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	globex := env.CreateAccount(t, "globex")
	auth := apitest.Shipping(acme)
	readOnly := apitest.Header("Authorization", "Bearer "+acme.Shipping.ReadOnlyApiKey)
	sub := apitest.CreateShipping(t, env, acme, `{"name": "a", "url": "https://example.com/a", "events": ["shipment.created"]}`)
	path := apitest.ShippingSubscriptionsPath + "/" + sub.Id
	valid := `{"name": "b", "url": "https://example.com/b", "events": ["shipment.created"]}`

	tests := []struct {
		name   string
		req    apitest.Request
		status int
		want   string // a fragment of the body
	}{
		{"no key", apitest.Request{Method: http.MethodGet, Path: apitest.ShippingSubscriptionsPath}, 401, `"code":"unauthorized"`},
		{"wrong key", apitest.Request{Method: http.MethodGet, Path: apitest.ShippingSubscriptionsPath, Header: apitest.Header("Authorization", "Bearer nope")}, 401, `"status":401`},
		{"read-only create", apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: readOnly, Body: valid}, 403, `"code":"forbidden"`},
		{"read-only update", apitest.Request{Method: http.MethodPut, Path: path, Header: readOnly, Body: valid}, 403, `"status":403`},
		{"read-only delete", apitest.Request{Method: http.MethodDelete, Path: path, Header: readOnly}, 403, `"code":"forbidden"`},
		{"read-only reads", apitest.Request{Method: http.MethodGet, Path: path, Header: readOnly}, 200, `"data"`},
		{"missing name", apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: auth, Body: `{"url": "https://example.com", "events": ["shipment.created"]}`}, 422, `"name":["The name field is required."]`},
		{"bad url", apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: auth, Body: `{"name": "x", "url": "not a url", "events": ["shipment.created"]}`}, 422, `"url":["The url must be a valid URL."]`},
		{"events not an array", apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: auth, Body: `{"name": "x", "url": "https://example.com", "events": "shipment.created"}`}, 422, `"events":["The events must be an array."]`},
		{"unknown event", apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: auth, Body: `{"name": "x", "url": "https://example.com", "events": ["parcel.exploded"]}`}, 422, `"events.0":["The selected events.0 is invalid."]`},
		{"short secret", apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: auth, Body: `{"name": "x", "url": "https://example.com", "events": ["shipment.created"], "secret": "short"}`}, 422, `"secret":["The secret must be at least 8 characters."]`},
		{"update without name", apitest.Request{Method: http.MethodPut, Path: path, Header: auth, Body: `{"active": false}`}, 422, `"The given data was invalid."`},
		{"per_page over 100", apitest.Request{Method: http.MethodGet, Path: apitest.ShippingSubscriptionsPath + "?per_page=101", Header: auth}, 422, `"per_page"`},
		{"malformed JSON", apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: auth, Body: `{"name":`}, 400, `"code":"bad_request"`},
		{"unknown id", apitest.Request{Method: http.MethodGet, Path: apitest.ShippingSubscriptionsPath + "/wh_nothere", Header: auth}, 404, `"code":"not_found"`},
		{"another account's subscription", apitest.Request{Method: http.MethodGet, Path: path, Header: apitest.Shipping(globex)}, 404, `"code":"not_found"`},
		{"another account's update", apitest.Request{Method: http.MethodPut, Path: path, Header: apitest.Shipping(globex), Body: valid}, 404, `"code":"not_found"`},
		{"another account's delete", apitest.Request{Method: http.MethodDelete, Path: path, Header: apitest.Shipping(globex)}, 404, `"code":"not_found"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, tt.req)
			if resp.Status != tt.status || !strings.Contains(string(resp.Body), tt.want) {
				t.Fatalf("got %d %s, want %d with %s", resp.Status, resp.Body, tt.status, tt.want)
			}
			if tt.status != 401 && resp.Header.Get("X-RateLimit-Limit") != "100" {
				t.Errorf("X-RateLimit-Limit = %q", resp.Header.Get("X-RateLimit-Limit"))
			}
		})
	}
	var got gen.ShippingWebhookSubscriptionEnvelope
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: auth}).Decode(t, &got)
	if got.Data.Name != "a" || !got.Data.Active {
		t.Errorf("refused requests changed the subscription: %+v", got.Data)
	}
	var list gen.ShippingWebhookSubscriptionList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.ShippingSubscriptionsPath, Header: apitest.Shipping(globex)}).Decode(t, &list)
	if list.Meta.Total != 0 {
		t.Errorf("globex sees %d subscriptions", list.Meta.Total)
	}
}

func TestShippingRateLimit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *handlers.Config) { c.ShippingRateLimit = shipping.RateLimit{Requests: 3, Window: time.Hour} })
	acme := env.CreateAccount(t, "acme")
	globex := env.CreateAccount(t, "globex")
	for i := 1; i <= 3; i++ {
		resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.ShippingSubscriptionsPath, Header: apitest.Shipping(acme)})
		if resp.Status != http.StatusOK || resp.Header.Get("X-RateLimit-Limit") != "3" || resp.Header.Get("X-RateLimit-Remaining") != strconv.Itoa(3-i) {
			t.Fatalf("request %d: %d, limit %s, remaining %s", i, resp.Status, resp.Header.Get("X-RateLimit-Limit"), resp.Header.Get("X-RateLimit-Remaining"))
		}
		reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
		if err != nil || reset <= time.Now().Unix() || reset > time.Now().Add(time.Hour).Unix()+1 {
			t.Fatalf("X-RateLimit-Reset = %q", resp.Header.Get("X-RateLimit-Reset"))
		}
	}
	limited := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: apitest.Shipping(acme),
		Body: `{"name": "x", "url": "https://example.com", "events": ["shipment.created"]}`})
	var body gen.ShippingRateLimitError
	limited.Decode(t, &body)
	if limited.Status != http.StatusTooManyRequests || body.Error.Code != "rate_limit_exceeded" || body.Error.RetryAfter <= 0 ||
		limited.Header.Get("X-RateLimit-Remaining") != "0" || limited.Header.Get("Retry-After") == "" {
		t.Fatalf("over the limit = %d %s %v", limited.Status, limited.Body, limited.Header)
	}
	// Nothing was created by the refused request, and each key has its own budget.
	readOnly := apitest.Header("Authorization", "Bearer "+acme.Shipping.ReadOnlyApiKey)
	var list gen.ShippingWebhookSubscriptionList
	resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.ShippingSubscriptionsPath, Header: readOnly})
	resp.Decode(t, &list)
	if resp.Status != http.StatusOK || list.Meta.Total != 0 {
		t.Fatalf("read-only key: %d %s", resp.Status, resp.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.ShippingSubscriptionsPath, Header: apitest.Shipping(globex)}); resp.Status != http.StatusOK || resp.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Fatalf("another account's key: %d remaining %s", resp.Status, resp.Header.Get("X-RateLimit-Remaining"))
	}
}
