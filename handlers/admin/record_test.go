package admin_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

// history ingests acme's events: two shipment.created and a shipment.updated for its Shipping
// subscription, a voucher.created for its Voucherify webhook. No engine runs: the deliveries
// stay pending, but for one made failed here.
func history(t *testing.T, env *apitest.Env, acme gen.AccountCreated) (shipping, voucherify gen.Delivery, all []gen.Delivery) {
	t.Helper()
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.ShippingSubscriptionsPath, Header: apitest.Shipping(acme),
		Body: `{"name": "s", "url": "https://hooks.example.com/s", "events": ["shipment.created", "shipment.updated"]}`}); resp.Status != 201 {
		t.Fatalf("shipping subscription: %d %s", resp.Status, resp.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: apitest.Voucherify(acme),
		Body: `{"target_url": "https://hooks.example.com/v", "events": ["voucher.created"]}`}); resp.Status != 200 {
		t.Fatalf("voucherify webhook: %d %s", resp.Status, resp.Body)
	}
	for _, ev := range []string{
		`{"id": "e1", "type": "shipment.created", "data": {"n": 1}}`,
		`{"id": "e2", "type": "shipment.created", "data": {"n": 2}}`,
		`{"id": "e3", "type": "shipment.updated", "data": {"n": 3}, "attributes": {"carrier": "PostNL"}}`,
		`{"id": "e4", "type": "voucher.created", "data": {"code": "SPRING"}, "scope": {"voucherifyProjectId": "` + acme.Voucherify.ProjectId + `"}}`,
	} {
		resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/events", Header: apitest.Header("Authorization", "Bearer "+acme.Ingest.Key), Body: ev})
		if resp.Status != http.StatusAccepted {
			t.Fatalf("ingest: %d %s", resp.Status, resp.Body)
		}
	}
	all = listDeliveries(t, env, acme, "")
	if len(all) != 4 {
		t.Fatalf("deliveries = %+v", all)
	}
	// Newest first: e4 (Voucherify), e3, e2, e1.
	voucherify, shipping = all[0], all[2]
	if _, err := env.DB.Exec(`UPDATE deliveries SET status = 'failed' WHERE account_id = $1 AND id = $2`, acme.Id, shipping.Id); err != nil {
		t.Fatal(err)
	}
	return shipping, voucherify, listDeliveries(t, env, acme, "")
}

func listDeliveries(t *testing.T, env *apitest.Env, a gen.AccountCreated, query string) []gen.Delivery {
	t.Helper()
	resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/" + a.Id.String() + "/deliveries?" + query, Header: apitest.Admin()})
	if resp.Status != http.StatusOK {
		t.Fatalf("list %s: %d %s", query, resp.Status, resp.Body)
	}
	var list gen.DeliveryList
	resp.Decode(t, &list)
	return list.Results
}

func TestDeliveryAndEventListsFilter(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	shipping, voucherify, all := history(t, env, acme)
	ts := func(tm time.Time) string { return url.QueryEscape(tm.UTC().Format(time.RFC3339Nano)) }
	for _, c := range []struct {
		query string
		want  []int // indexes into all, newest first
	}{
		{"", []int{0, 1, 2, 3}},
		{"status=failed", []int{2}},
		{"status=pending", []int{0, 1, 3}},
		{"status=dropped", nil},
		{"dialect=voucherify", []int{0}},
		{"subscriptionUuid=" + shipping.SubscriptionUuid.String(), []int{1, 2, 3}},
		{"subscriptionUuid=" + voucherify.SubscriptionUuid.String() + "&status=pending", []int{0}},
		{"eventType=shipment.created", []int{2, 3}},
		{"eventType=shipment.created&status=pending&dialect=shipping", []int{3}},
		{"since=" + ts(all[1].CreatedAt), []int{0, 1}},
		{"until=" + ts(all[1].CreatedAt), []int{2, 3}},
		{"since=" + ts(all[2].CreatedAt) + "&until=" + ts(all[0].CreatedAt), []int{1, 2}},
	} {
		got := listDeliveries(t, env, acme, c.query)
		ok := len(got) == len(c.want)
		for i := 0; ok && i < len(got); i++ {
			ok = got[i].Id == all[c.want[i]].Id
		}
		if !ok {
			t.Errorf("?%s listed %d deliveries %+v; want %v", c.query, len(got), got, c.want)
		}
	}
	if all[2].Status != gen.DeliveryStatusFailed || all[0].SubscriptionUuid == all[1].SubscriptionUuid || all[0].EventType != "voucher.created" {
		t.Errorf("deliveries = %+v", all)
	}

	// Paging keeps the filters.
	base := "/admin/v1/accounts/" + acme.Id.String()
	var page gen.DeliveryList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: base + "/deliveries?dialect=shipping&limit=2", Header: apitest.Admin()}).Decode(t, &page)
	if len(page.Results) != 2 || page.NextPageToken == nil || page.Results[0].Id != all[1].Id {
		t.Fatalf("first page = %+v", page)
	}
	var last gen.DeliveryList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: base + "/deliveries?dialect=shipping&limit=2&pageToken=" + *page.NextPageToken, Header: apitest.Admin()}).Decode(t, &last)
	if len(last.Results) != 1 || last.NextPageToken != nil || last.Results[0].Id != all[3].Id {
		t.Fatalf("second page = %+v", last)
	}

	// One delivery by its id.
	var d gen.Delivery
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: base + "/deliveries/" + shipping.Id.String(), Header: apitest.Admin()}).Decode(t, &d)
	if d.Id != shipping.Id || d.Status != gen.DeliveryStatusFailed || d.SubscriptionId != shipping.SubscriptionId || len(d.AttemptLog) != 0 {
		t.Errorf("delivery = %+v", d)
	}

	// Events, newest first, with paging, a type filter and one by id.
	var events gen.EventList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: base + "/events?limit=3", Header: apitest.Admin()}).Decode(t, &events)
	if len(events.Results) != 3 || events.NextPageToken == nil || events.Results[0].ExternalId != "e4" || events.Results[2].ExternalId != "e2" {
		t.Fatalf("events = %+v", events)
	}
	if e4 := events.Results[0]; e4.Scope == nil || e4.Scope.Dialect != "voucherify" || e4.Scope.Id != acme.Voucherify.ProjectId || e4.Data["code"] != "SPRING" {
		t.Errorf("e4 = %+v", e4)
	}
	var lastEvents, updated gen.EventList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: base + "/events?limit=3&pageToken=" + *events.NextPageToken, Header: apitest.Admin()}).Decode(t, &lastEvents)
	if len(lastEvents.Results) != 1 || lastEvents.Results[0].ExternalId != "e1" || lastEvents.NextPageToken != nil {
		t.Errorf("second page of events = %+v", lastEvents)
	}
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: base + "/events?type=shipment.updated", Header: apitest.Admin()}).Decode(t, &updated)
	if len(updated.Results) != 1 || updated.Results[0].ExternalId != "e3" || updated.Results[0].Attributes["carrier"] != "PostNL" || updated.Results[0].Scope != nil {
		t.Fatalf("shipment.updated events = %+v", updated)
	}
	var ev gen.EventRecord
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: base + "/events/" + all[1].EventId.String(), Header: apitest.Admin()}).Decode(t, &ev)
	if ev.Id != all[1].EventId || ev.ExternalId != "e3" || ev.Data["n"] != 3.0 {
		t.Errorf("event = %+v", ev)
	}
}

// Another account's deliveries, events and subscriptions are not found, as unknown ids are;
// bad input is refused with 400; neither changes anything.
func TestRecordOperationsRefuseOthersAndBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme, other := env.CreateAccount(t, "acme"), env.CreateAccount(t, "other")
	shipping, _, _ := history(t, env, acme)
	state := func() string {
		var events, deliveries string
		if err := env.DB.QueryRow(`SELECT count(*)::text FROM events`).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.QueryRow(`SELECT string_agg(status || next_attempt_at::text || manual::text, ',' ORDER BY id) FROM deliveries`).Scan(&deliveries); err != nil {
			t.Fatal(err)
		}
		return events + "/" + deliveries
	}
	before := state()
	mine, theirs := "/admin/v1/accounts/"+acme.Id.String(), "/admin/v1/accounts/"+other.Id.String()
	unknown := "/admin/v1/accounts/7f1f1f8e-3a51-4a8e-9d1e-2f6f1c9b7a10"
	sub := "/subscriptions/" + shipping.SubscriptionUuid.String()
	since := `{"since": "2020-01-01T00:00:00Z"}`
	for _, c := range []struct {
		name   string
		method string
		path   string
		body   string
		status int
	}{
		{"another's delivery", http.MethodGet, theirs + "/deliveries/" + shipping.Id.String(), "", 404},
		{"resend another's delivery", http.MethodPost, theirs + "/deliveries/" + shipping.Id.String() + "/resend", "", 404},
		{"another's event", http.MethodGet, theirs + "/events/" + shipping.EventId.String(), "", 404},
		{"recover another's subscription", http.MethodPost, theirs + sub + "/recover", since, 404},
		{"test another's subscription", http.MethodPost, theirs + sub + "/test", `{}`, 404},
		{"unknown account's events", http.MethodGet, unknown + "/events", "", 404},
		{"unknown account's delivery", http.MethodGet, unknown + "/deliveries/" + shipping.Id.String(), "", 404},
		{"unknown delivery", http.MethodPost, mine + "/deliveries/7f1f1f8e-3a51-4a8e-9d1e-2f6f1c9b7a10/resend", "", 404},
		{"unknown subscription", http.MethodPost, mine + "/subscriptions/7f1f1f8e-3a51-4a8e-9d1e-2f6f1c9b7a10/test", "", 404},
		{"a delivery's id as an event's", http.MethodGet, mine + "/events/" + shipping.Id.String(), "", 404},

		{"malformed delivery id", http.MethodPost, mine + "/deliveries/x/resend", "", 400},
		{"malformed subscription id", http.MethodPost, mine + "/subscriptions/x/recover", since, 400},
		{"unknown status", http.MethodGet, mine + "/deliveries?status=lost", "", 400},
		{"unknown dialect", http.MethodGet, mine + "/deliveries?dialect=smtp", "", 400},
		{"malformed since", http.MethodGet, mine + "/events?since=yesterday", "", 400},
		{"window ending before it begins", http.MethodGet, mine + "/deliveries?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "", 400},
		{"empty window", http.MethodGet, mine + "/events?since=2026-01-02T00:00:00Z&until=2026-01-02T00:00:00Z", "", 400},
		{"forged page token", http.MethodGet, mine + "/events?pageToken=nope", "", 400},
		{"recover without since", http.MethodPost, mine + sub + "/recover", `{}`, 400},
		{"recover a window ending before it begins", http.MethodPost, mine + sub + "/recover", `{"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}`, 400},
		{"recover with an unknown member", http.MethodPost, mine + sub + "/recover", `{"since": "2020-01-01T00:00:00Z", "all": true}`, 400},
		{"test with an empty type", http.MethodPost, mine + sub + "/test", `{"eventType": ""}`, 400},
		{"test with a type not received", http.MethodPost, mine + sub + "/test", `{"eventType": "voucher.created"}`, 400},
		{"test with an unknown member", http.MethodPost, mine + sub + "/test", `{"payload": {}}`, 400},
		{"resend without the token", http.MethodPost, mine + "/deliveries/" + shipping.Id.String() + "/resend", "", 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := apitest.Admin()
			if c.status == 401 {
				h = nil
			}
			resp := env.Do(t, apitest.Request{Method: c.method, Path: c.path, Body: c.body, Header: h})
			if resp.Status != c.status {
				t.Fatalf("%d %s, want %d", resp.Status, resp.Body, c.status)
			}
		})
	}
	if after := state(); after != before {
		t.Errorf("refused requests changed history:\n%s\n%s", before, after)
	}
}
