package bird_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

func TestBirdSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.Bird(acme)

	sub := apitest.CreateBirdSubscription(t, env, acme, `{"service": "channels", "event": "email.interaction",
		"url": "https://webhook.example/68be485e", "eventFilters": [{"key": "channelId", "value": "c1"}],
		"template": "t1", "signingKey": "s3cret"}`)
	if sub.Status != "active" || sub.Service != "channels" || sub.Event != "email.interaction" ||
		sub.WorkspaceId != acme.Bird.WorkspaceId || sub.OrganizationId != acme.Bird.OrganizationId ||
		len(*sub.EventFilters) != 1 || *sub.Template != "t1" || *sub.SigningKey != "s3cret" {
		t.Fatalf("created = %+v", sub)
	}
	subPath := apitest.BirdSubscriptionsPath(acme) + "/" + sub.Id.String()

	got := env.Do(t, apitest.Request{Method: http.MethodGet, Path: subPath, Header: auth})
	var fetched gen.WebhookSubscription
	got.Decode(t, &fetched)
	if got.Status != http.StatusOK || fetched.Id != sub.Id || fetched.Url != sub.Url {
		t.Fatalf("get = %d %s", got.Status, got.Body)
	}

	// Absent members stay; status and url change.
	patched := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: subPath, Header: auth,
		Body: `{"status": "inactive", "url": "https://webhook.another-example.com/x"}`})
	var p gen.WebhookSubscription
	patched.Decode(t, &p)
	if patched.Status != http.StatusOK || p.Status != "inactive" || p.Url != "https://webhook.another-example.com/x" ||
		len(*p.EventFilters) != 1 || *p.Template != "t1" || *p.SigningKey != "s3cret" {
		t.Fatalf("patch = %d %s", patched.Status, patched.Body)
	}
	if !p.CreatedAt.Equal(*sub.CreatedAt) || !p.UpdatedAt.After(*sub.UpdatedAt) {
		t.Errorf("createdAt %v -> %v, updatedAt %v -> %v: createdAt must stay and updatedAt move", sub.CreatedAt, p.CreatedAt, sub.UpdatedAt, p.UpdatedAt)
	}

	// An array replaces the filters; null removes them.
	replaced := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: subPath, Header: auth,
		Body: `{"eventFilters": [{"key": "interactionType", "value": "open"}, {"key": "channelId", "value": "c2"}]}`})
	replaced.Decode(t, &p)
	if replaced.Status != http.StatusOK || len(*p.EventFilters) != 2 || p.Status != "inactive" {
		t.Fatalf("replace filters = %d %s", replaced.Status, replaced.Body)
	}
	cleared := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: subPath, Header: auth, Body: `{"eventFilters": null}`})
	cleared.Decode(t, &p)
	if cleared.Status != http.StatusOK || len(*p.EventFilters) != 0 || *p.SigningKey != "s3cret" {
		t.Fatalf("null filters = %d %s", cleared.Status, cleared.Body)
	}

	deleted := env.Do(t, apitest.Request{Method: http.MethodDelete, Path: subPath, Header: auth})
	if deleted.Status != http.StatusNoContent || len(deleted.Body) != 0 {
		t.Fatalf("delete = %d %q", deleted.Status, deleted.Body)
	}
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		resp := env.Do(t, apitest.Request{Method: method, Path: subPath, Header: auth})
		if resp.Status != http.StatusNotFound || resp.Map(t)["code"] != "NotFound" {
			t.Errorf("%s after delete = %d %s", method, resp.Status, resp.Body)
		}
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: subPath, Header: auth, Body: `{"status": "active"}`}); resp.Status != http.StatusNotFound {
		t.Errorf("PATCH after delete = %d", resp.Status)
	}
}

func TestBirdListPagesVisitEverySubscriptionOnce(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.Bird(acme)
	const total = 23
	want := make([]string, 0, total)
	for i := range total {
		s := apitest.CreateBirdSubscription(t, env, acme, fmt.Sprintf(`{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/%d", "eventFilters": [{"key": "channelId", "value": "c%d"}]}`, i, i))
		want = append(want, s.Id.String())
	}

	for _, limit := range []int{1, 5, 10, 23, 100} {
		var seen []string
		token := ""
		pages := 0
		for {
			q := url.Values{"limit": {fmt.Sprint(limit)}}
			if token != "" {
				q.Set("pageToken", token)
			}
			resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme) + "?" + q.Encode(), Header: auth})
			var page gen.WebhookSubscriptionList
			resp.Decode(t, &page)
			if resp.Status != http.StatusOK || len(page.Results) > limit {
				t.Fatalf("limit %d: %d with %d results", limit, resp.Status, len(page.Results))
			}
			for _, s := range page.Results {
				seen = append(seen, s.Id.String())
			}
			pages++
			if page.NextPageToken == nil {
				break
			}
			token = *page.NextPageToken
		}
		if strings.Join(seen, ",") != strings.Join(want, ",") {
			t.Errorf("limit %d: visited %d subscriptions in %d pages, want each of %d once in creation order", limit, len(seen), pages, total)
		}
		if wantPages := (total + limit - 1) / limit; pages != wantPages {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, wantPages)
		}
	}

	// Default page size is 10.
	var first gen.WebhookSubscriptionList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme), Header: auth}).Decode(t, &first)
	if len(first.Results) != 10 || first.NextPageToken == nil {
		t.Fatalf("default page: %d results", len(first.Results))
	}

	// A subscription deleted between pages is neither repeated nor skipped over.
	env.Do(t, apitest.Request{Method: http.MethodDelete, Path: apitest.BirdSubscriptionsPath(acme) + "/" + want[10], Header: auth})
	var second gen.WebhookSubscriptionList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme) + "?pageToken=" + url.QueryEscape(*first.NextPageToken), Header: auth}).Decode(t, &second)
	if len(second.Results) != 10 || second.Results[0].Id.String() != want[11] {
		t.Errorf("page after a deletion starts at %v, want %s", second.Results[0].Id, want[11])
	}
}

func TestBirdAvailableWebhooks(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.Bird(acme)
	path := "/workspaces/" + acme.Bird.WorkspaceId.String() + "/available-webhooks"

	var all gen.AvailableWebhookList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: auth}).Decode(t, &all)
	services := map[gen.WebhookService]bool{}
	for _, w := range all.Results {
		services[w.Service] = true
	}
	if len(services) != 5 {
		t.Errorf("services listed: %v, want all five", services)
	}
	var channels gen.AvailableWebhookList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: path + "?service=channels", Header: auth}).Decode(t, &channels)
	if len(channels.Results) == 0 || len(channels.Results) >= len(all.Results) {
		t.Fatalf("channels: %d of %d", len(channels.Results), len(all.Results))
	}
	for _, w := range channels.Results {
		if w.Service != gen.Channels {
			t.Errorf("service filter let through %s", w.Service)
		}
		// Every listed event can be subscribed to, with each of its filter keys.
		filters := make([]string, len(w.EventFilterKeys))
		for i, k := range w.EventFilterKeys {
			filters[i] = fmt.Sprintf(`{"key": %q, "value": "v"}`, k)
		}
		apitest.CreateBirdSubscription(t, env, acme, fmt.Sprintf(`{"service": "channels", "event": %q, "url": "https://hooks.example.com/a", "eventFilters": [%s]}`, w.Event, strings.Join(filters, ",")))
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: path + "?service=pigeons", Header: auth}); resp.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown service = %d", resp.Status)
	}
}

func TestBirdErrors(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.Bird(acme)
	sub := apitest.CreateBirdSubscription(t, env, acme, `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/a"}`)
	subPath := apitest.BirdSubscriptionsPath(acme) + "/" + sub.Id.String()
	const unknownID = "0edf722b-93b4-4451-8a5d-4fafba5cdf8b"

	tests := []struct {
		name   string
		req    apitest.Request
		status int
		code   string
		path   string // a key expected in a 422's details
	}{
		{"no key", apitest.Request{Method: http.MethodGet, Path: subPath}, 401, "Unauthorized", ""},
		{"wrong key", apitest.Request{Method: http.MethodGet, Path: subPath, Header: apitest.Header("Authorization", "AccessKey nope")}, 401, "Unauthorized", ""},
		{"wrong scheme", apitest.Request{Method: http.MethodGet, Path: subPath, Header: apitest.Header("Authorization", "Bearer "+acme.Bird.AccessKey)}, 401, "Unauthorized", ""},
		{"unauthorized before invalid body", apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Body: `{}`}, 401, "Unauthorized", ""},
		{"http url", apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Header: auth, Body: `{"service": "channels", "event": "sms.outbound", "url": "http://hooks.example.com"}`}, 422, "InvalidPayload", "url"},
		{"missing members", apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Header: auth, Body: `{"url": "https://hooks.example.com"}`}, 422, "InvalidPayload", "service"},
		{"unknown member", apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Header: auth, Body: `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com", "colour": "red"}`}, 422, "InvalidPayload", "colour"},
		{"unknown service", apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Header: auth, Body: `{"service": "pigeons", "event": "sms.outbound", "url": "https://hooks.example.com"}`}, 422, "InvalidPayload", "service"},
		{"event of another service", apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Header: auth, Body: `{"service": "numbers", "event": "sms.outbound", "url": "https://hooks.example.com"}`}, 422, "InvalidPayload", "event"},
		{"filter key the event lacks", apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Header: auth, Body: `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com", "eventFilters": [{"key": "navigatorId", "value": "n"}]}`}, 422, "InvalidPayload", "eventFilters[0].key"},
		{"unknown filter key", apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Header: auth, Body: `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com", "eventFilters": [{"key": "colour", "value": "n"}]}`}, 422, "InvalidPayload", "eventFilters[0].key"},
		{"malformed JSON", apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Header: auth, Body: `{"service":`}, 422, "InvalidPayload", "body"},
		{"empty patch", apitest.Request{Method: http.MethodPatch, Path: subPath, Header: auth, Body: `{}`}, 422, "InvalidPayload", "body"},
		{"patch without body", apitest.Request{Method: http.MethodPatch, Path: subPath, Header: auth}, 422, "InvalidPayload", "body"},
		{"patch unknown member", apitest.Request{Method: http.MethodPatch, Path: subPath, Header: auth, Body: `{"service": "numbers"}`}, 422, "InvalidPayload", "service"},
		{"patch bad status", apitest.Request{Method: http.MethodPatch, Path: subPath, Header: auth, Body: `{"status": "paused"}`}, 422, "InvalidPayload", "status"},
		{"patch http url", apitest.Request{Method: http.MethodPatch, Path: subPath, Header: auth, Body: `{"url": "http://x.example.com"}`}, 422, "InvalidPayload", "url"},
		{"patch filter key the event lacks", apitest.Request{Method: http.MethodPatch, Path: subPath, Header: auth, Body: `{"eventFilters": [{"key": "navigatorId", "value": "n"}]}`}, 422, "InvalidPayload", "eventFilters[0].key"},
		{"limit 0", apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme) + "?limit=0", Header: auth}, 422, "InvalidPayload", "limit"},
		{"limit 101", apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme) + "?limit=101", Header: auth}, 422, "InvalidPayload", "limit"},
		{"limit not a number", apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme) + "?limit=ten", Header: auth}, 422, "InvalidPayload", "limit"},
		{"forged page token", apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme) + "?pageToken=bm9wZQ", Header: auth}, 422, "InvalidPayload", "pageToken"},
		{"malformed subscription id", apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme) + "/42", Header: auth}, 422, "InvalidPayload", "webhookSubscriptionId"},
		{"unknown subscription", apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme) + "/" + unknownID, Header: auth}, 404, "NotFound", ""},
		{"unknown workspace", apitest.Request{Method: http.MethodGet, Path: "/workspaces/" + unknownID + "/webhook-subscriptions", Header: auth}, 404, "NotFound", ""},
		{"unknown workspace catalog", apitest.Request{Method: http.MethodGet, Path: "/workspaces/" + unknownID + "/available-webhooks", Header: auth}, 404, "NotFound", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, tt.req)
			body := resp.Map(t)
			if resp.Status != tt.status || body["code"] != tt.code {
				t.Fatalf("got %d %s, want %d with code %s", resp.Status, resp.Body, tt.status, tt.code)
			}
			if tt.path != "" {
				details, _ := body["details"].(map[string]any)
				if _, ok := details[tt.path]; !ok {
					t.Errorf("details %v do not name %q", details, tt.path)
				}
			}
		})
	}
	var got gen.WebhookSubscription
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: subPath, Header: auth}).Decode(t, &got)
	if got.Url != sub.Url || got.Status != "active" || len(*got.EventFilters) != 0 || !got.UpdatedAt.Equal(*sub.UpdatedAt) {
		t.Errorf("rejected requests changed the subscription: %+v", got)
	}
	var list gen.WebhookSubscriptionList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme), Header: auth}).Decode(t, &list)
	if len(list.Results) != 1 {
		t.Errorf("rejected creates wrote %d subscriptions", len(list.Results)-1)
	}
}

func TestBirdAtMostFiveSubscriptionsShareEventAndFilters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	body := `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/%d", "eventFilters": [%s]}`
	ab := `{"key": "channelId", "value": "a"}, {"key": "platformId", "value": "sms"}`
	ba := `{"key": "platformId", "value": "sms"}, {"key": "channelId", "value": "a"}`
	for i := range 5 {
		order := ab
		if i%2 == 1 {
			order = ba // the same set in another order counts as the same combination
		}
		apitest.CreateBirdSubscription(t, env, acme, fmt.Sprintf(body, i, order))
	}
	resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Header: apitest.Bird(acme), Body: fmt.Sprintf(body, 5, ab)})
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("sixth identical subscription = %d %s", resp.Status, resp.Body)
	}
	// Another combination is still free.
	other := apitest.CreateBirdSubscription(t, env, acme, fmt.Sprintf(body, 6, `{"key": "channelId", "value": "b"}`))
	// ...and cannot be patched into the full one.
	patch := env.Do(t, apitest.Request{Method: http.MethodPatch, Path: apitest.BirdSubscriptionsPath(acme) + "/" + other.Id.String(), Header: apitest.Bird(acme), Body: `{"eventFilters": [` + ab + `]}`})
	if patch.Status != http.StatusUnprocessableEntity {
		t.Fatalf("patch into a full combination = %d %s", patch.Status, patch.Body)
	}
}

func TestBirdTenantIsolation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	globex := env.CreateAccount(t, "globex")
	sub := apitest.CreateBirdSubscription(t, env, acme, `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/a"}`)
	intruder := apitest.Bird(globex)
	create := `{"service": "channels", "event": "sms.outbound", "url": "https://evil.example.com/a"}`
	for _, req := range []apitest.Request{
		{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme)},
		{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Body: create},
		{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme) + "/" + sub.Id.String()},
		{Method: http.MethodPatch, Path: apitest.BirdSubscriptionsPath(acme) + "/" + sub.Id.String(), Body: `{"status": "inactive"}`},
		{Method: http.MethodDelete, Path: apitest.BirdSubscriptionsPath(acme) + "/" + sub.Id.String()},
		{Method: http.MethodGet, Path: "/workspaces/" + acme.Bird.WorkspaceId.String() + "/available-webhooks"},
		// Their own workspace with another's subscription id.
		{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(globex) + "/" + sub.Id.String()},
		{Method: http.MethodPatch, Path: apitest.BirdSubscriptionsPath(globex) + "/" + sub.Id.String(), Body: `{"status": "inactive"}`},
		{Method: http.MethodDelete, Path: apitest.BirdSubscriptionsPath(globex) + "/" + sub.Id.String()},
	} {
		req.Header = intruder
		if resp := env.Do(t, req); resp.Status != http.StatusNotFound {
			t.Errorf("%s %s by another account = %d %s, want 404", req.Method, req.Path, resp.Status, resp.Body)
		}
	}
	var got gen.WebhookSubscription
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme) + "/" + sub.Id.String(), Header: apitest.Bird(acme)}).Decode(t, &got)
	if got.Status != "active" {
		t.Errorf("another account changed the subscription: %+v", got)
	}
	var list gen.WebhookSubscriptionList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(globex), Header: intruder}).Decode(t, &list)
	if len(list.Results) != 0 {
		t.Errorf("globex lists %d subscriptions", len(list.Results))
	}
	// The access key scheme name is case-insensitive.
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme), Header: apitest.Header("Authorization", "accesskey "+acme.Bird.AccessKey)}); resp.Status != http.StatusOK {
		t.Errorf("lower-case scheme = %d", resp.Status)
	}
}
