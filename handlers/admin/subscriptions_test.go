package admin_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/egress"
)

// subscriptionsOf lists an account's subscriptions through the overview, by dialect.
func subscriptionsOf(t *testing.T, env *apitest.Env, account uuid.UUID, h http.Header) map[string]gen.SubscriptionSummary {
	t.Helper()
	resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: accountPath(account) + "/subscriptions", Header: h})
	if resp.Status != http.StatusOK {
		t.Fatalf("list subscriptions: %d %s", resp.Status, resp.Body)
	}
	var list gen.SubscriptionSummaryList
	resp.Decode(t, &list)
	out := map[string]gen.SubscriptionSummary{}
	for _, s := range list.Results {
		out[string(s.Dialect)] = s
	}
	return out
}

// switchSubscription enables or disables a subscription and returns the answer.
func switchSubscription(t *testing.T, env *apitest.Env, account, sub uuid.UUID, h http.Header, action string) *apitest.Response {
	t.Helper()
	return env.Do(t, apitest.Request{Method: http.MethodPost, Path: accountPath(account) + "/subscriptions/" + sub.String() + "/" + action, Header: h})
}

// The overview shows every dialect's subscriptions; disabling one puts it in its vendor's own
// stopped state, as the vendor's API then shows it, and enabling it again resets its failure
// streak as the vendor's own re-enable does.
func TestSubscriptionOverviewEnableDisable(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	env := apitest.New(t, withRegistry(reg))
	acme := env.CreateAccount(t, "acme")
	other := env.CreateAccount(t, "other")
	s := openPortal(t, env, acme.Id, nil)
	hook := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: apitest.Voucherify(acme),
		Body: `{"target_url": "https://hooks.example.com/v", "events": ["voucher.created"]}`}).Map(t)
	bird := apitest.CreateBirdSubscription(t, env, acme, `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/b"}`)
	ship := apitest.CreateShipping(t, env, acme, `{"name": "n", "url": "https://hooks.example.com/s", "events": ["tracking_parcel.created"]}`)
	soID := apitest.CreateSuperOfficeWebhook(t, env, acme, `{"Name": "Sales", "Events": ["sale.changed"], "TargetUrl": "https://hooks.example.com/so"}`)

	subs := subscriptionsOf(t, env, acme.Id, portal(s))
	if len(subs) != 5 {
		t.Fatalf("overview lists %v; want one subscription of each of the five dialects", subs)
	}
	for dialect, sub := range subs {
		want := gen.SubscriptionSummaryState("active")
		if dialect == "arkyn" {
			want = "disabled" // a traffic source's webhook waits for a Discord channel
		}
		if sub.State != want {
			t.Errorf("%s: state %s, want %s", dialect, sub.State, want)
		}
	}
	if v := subs["voucherify"]; v.ExternalId != hook["id"] || v.Url != "https://hooks.example.com/v" || len(v.Events) != 1 || v.Events[0] != "voucher.created" {
		t.Errorf("voucherify summary = %+v", v)
	}
	if so := subs["superoffice"]; so.ExternalId != fmt.Sprint(soID) || so.Name != "Sales" {
		t.Errorf("superoffice summary = %+v", so)
	}

	// Failing: active, with failed deliveries in a row.
	if _, err := env.DB.Exec(`UPDATE subscriptions SET consecutive_failures = 2, last_error = 'answered 503' WHERE account_id = $1 AND id = $2`,
		acme.Id, subs["voucherify"].Id); err != nil {
		t.Fatal(err)
	}
	if v := subscriptionsOf(t, env, acme.Id, portal(s))["voucherify"]; v.State != "failing" || v.ConsecutiveFailures != 2 || v.LastError != "answered 503" {
		t.Errorf("with a failure streak: %+v, want failing", v)
	}

	// How each vendor's own API shows the subscription's state.
	vendorView := map[string]func() string{
		"voucherify": func() string {
			return fmt.Sprint(env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.VoucherifyWebhooksPath(acme) + "/" + fmt.Sprint(hook["id"]), Header: apitest.Voucherify(acme)}).Map(t)["active"])
		},
		"bird": func() string {
			return fmt.Sprint(env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme) + "/" + bird.Id.String(), Header: apitest.Bird(acme)}).Map(t)["status"])
		},
		"shipping": func() string {
			data := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.ShippingSubscriptionsPath + "/" + ship.Id, Header: apitest.Shipping(acme)}).Map(t)["data"]
			return fmt.Sprint(data.(map[string]any)["active"])
		},
		"superoffice": func() string {
			return fmt.Sprint(env.Do(t, apitest.Request{Method: http.MethodGet, Path: fmt.Sprintf("%s/%d", apitest.SuperOfficeWebhooksPath, soID), Header: apitest.SuperOffice(acme)}).Map(t)["State"])
		},
	}
	enabled := map[string]string{"voucherify": "true", "bird": "active", "shipping": "true", "superoffice": "Active"}
	disabled := map[string]string{"voucherify": "false", "bird": "inactive", "shipping": "false", "superoffice": "Stopped"}
	for dialect, view := range vendorView {
		resp := switchSubscription(t, env, acme.Id, subs[dialect].Id, portal(s), "disable")
		var got gen.SubscriptionSummary
		resp.Decode(t, &got)
		if resp.Status != http.StatusOK || got.State != "disabled" || got.Id != subs[dialect].Id {
			t.Errorf("disable %s: %d %s", dialect, resp.Status, resp.Body)
		}
		if v := view(); v != disabled[dialect] {
			t.Errorf("%s's API shows the disabled subscription as %s, want %s", dialect, v, disabled[dialect])
		}
	}
	for dialect, view := range vendorView {
		resp := switchSubscription(t, env, acme.Id, subs[dialect].Id, portal(s), "enable")
		var got gen.SubscriptionSummary
		resp.Decode(t, &got)
		if resp.Status != http.StatusOK || got.State != "active" || got.ConsecutiveFailures != 0 || got.StatusReason != "" {
			t.Errorf("enable %s: %d %s; want active with its failure streak reset", dialect, resp.Status, resp.Body)
		}
		if v := view(); v != enabled[dialect] {
			t.Errorf("%s's API shows the enabled subscription as %s, want %s", dialect, v, enabled[dialect])
		}
	}
	if n := audited(t, reg, "subscription_disabled", "portal"); n != 4 {
		t.Errorf("subscription_disabled audited %d times for the portal, want 4", n)
	}
	if n := audited(t, reg, "subscription_enabled", "portal"); n != 4 {
		t.Errorf("subscription_enabled audited %d times for the portal, want 4", n)
	}

	// Enabling an active one changes nothing.
	before := subscriptionsOf(t, env, acme.Id, apitest.Admin())["bird"]
	if resp := switchSubscription(t, env, acme.Id, before.Id, apitest.Admin(), "enable"); resp.Status != http.StatusOK {
		t.Errorf("enable an active subscription: %d %s", resp.Status, resp.Body)
	}
	if after := subscriptionsOf(t, env, acme.Id, apitest.Admin())["bird"]; !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("enabling an active subscription changed it: %v -> %v", before.UpdatedAt, after.UpdatedAt)
	}

	// Stopped by the engine for too many errors: disabling keeps that reason, enabling clears it.
	if _, err := env.DB.Exec(`UPDATE subscriptions SET status = 'too_many_errors', status_reason = '5 deliveries in a row failed',
		consecutive_failures = 5 WHERE account_id = $1 AND id = $2`, acme.Id, subs["superoffice"].Id); err != nil {
		t.Fatal(err)
	}
	var so gen.SubscriptionSummary
	switchSubscription(t, env, acme.Id, subs["superoffice"].Id, portal(s), "disable").Decode(t, &so)
	if so.State != "disabled" || so.StatusReason != "5 deliveries in a row failed" || vendorView["superoffice"]() != "TooManyErrors" {
		t.Errorf("disabling a webhook stopped for too many errors: %+v, shown as %s; want it kept as it was", so, vendorView["superoffice"]())
	}
	switchSubscription(t, env, acme.Id, subs["superoffice"].Id, portal(s), "enable").Decode(t, &so)
	if so.State != "active" || so.StatusReason != "" || so.ConsecutiveFailures != 0 {
		t.Errorf("enabling a webhook stopped for too many errors: %+v", so)
	}

	// An Arkyn webhook without a channel has nowhere to go; with one, it switches like the rest.
	arkyn := subs["arkyn"]
	resp := switchSubscription(t, env, acme.Id, arkyn.Id, portal(s), "enable")
	if resp.Status != http.StatusConflict || resp.Map(t)["code"] != "conflict" {
		t.Errorf("enable an Arkyn webhook without a channel: %d %s, want 409 conflict", resp.Status, resp.Body)
	}
	if got := subscriptionsOf(t, env, acme.Id, apitest.Admin())["arkyn"]; got.State != "disabled" || !got.UpdatedAt.Equal(arkyn.UpdatedAt) {
		t.Errorf("a refused enable changed the webhook: %+v", got)
	}
	if n := audited(t, reg, "subscription_enabled", "portal"); n != 5 {
		t.Errorf("subscription_enabled audited %d times for the portal, want 5 (not the refused one)", n)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodPut, Path: "/webhooks/" + acme.Arkyn.TrafficSourceId.String(), Header: apitest.ArkynLogin(t, env, acme),
		Body: `{"discordChannelId": "987654321098765432"}`}); resp.Status != http.StatusOK {
		t.Fatalf("set the Arkyn channel: %d %s", resp.Status, resp.Body)
	}
	for action, want := range map[string]gen.SubscriptionSummaryState{"disable": "disabled", "enable": "active"} {
		var got gen.SubscriptionSummary
		switchSubscription(t, env, acme.Id, arkyn.Id, portal(s), action).Decode(t, &got)
		if got.State != want || got.Url != "discord://channels/987654321098765432" {
			t.Errorf("%s the Arkyn webhook: %+v, want %s with its channel kept", action, got, want)
		}
	}

	// Another account's subscription is not found, and stays as it is.
	theirs := apitest.CreateShipping(t, env, other, `{"name": "n", "url": "https://hooks.example.com/o", "events": ["tracking_parcel.created"]}`)
	theirSub := subscriptionsOf(t, env, other.Id, apitest.Admin())["shipping"]
	for _, action := range []string{"disable", "enable"} {
		for _, h := range []http.Header{apitest.Admin(), portal(s)} {
			resp := switchSubscription(t, env, acme.Id, theirSub.Id, h, action)
			if resp.Status != http.StatusNotFound || resp.Map(t)["message"] != "subscription not found" {
				t.Errorf("%s another account's subscription: %d %s, want 404", action, resp.Status, resp.Body)
			}
		}
	}
	if got := subscriptionsOf(t, env, other.Id, apitest.Admin())["shipping"]; got.State != "active" || !got.UpdatedAt.Equal(theirSub.UpdatedAt) || theirs.Id != got.ExternalId {
		t.Errorf("another account's subscription changed: %+v", got)
	}
	for _, path := range []string{
		accountPath(acme.Id) + "/subscriptions/" + uuid.NewString() + "/disable",
		accountPath(uuid.New()) + "/subscriptions/" + subs["bird"].Id.String() + "/disable",
	} {
		if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: path, Header: apitest.Admin()}); resp.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d %s, want 404", path, resp.Status, resp.Body)
		}
	}
	for _, path := range []string{accountPath(acme.Id) + "/subscriptions/nope/enable", "/admin/v1/accounts/nope/subscriptions"} {
		method := http.MethodPost
		if path == "/admin/v1/accounts/nope/subscriptions" {
			method = http.MethodGet
		}
		if resp := env.Do(t, apitest.Request{Method: method, Path: path, Header: apitest.Admin()}); resp.Status != http.StatusBadRequest {
			t.Errorf("%s %s: %d %s, want 400", method, path, resp.Status, resp.Body)
		}
	}
}

// A disabled subscription gets nothing: ingestion queues nothing for it, and the engine drops
// what was pending, as when its vendor's API stops it; enabled again, it is delivered to.
func TestEngineHonoursADisabledSubscription(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	var got atomic.Int32
	target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { got.Add(1) }))
	t.Cleanup(target.Close)
	_, port, _ := net.SplitHostPort(target.Listener.Addr().String())
	apitest.CreateShipping(t, env, acme, `{"name": "s", "url": "https://example.com:`+port+`/hook", "events": ["shipment.created"]}`)
	sub := subscriptionsOf(t, env, acme.Id, apitest.Admin())["shipping"]

	ingest := func(id string) int {
		t.Helper()
		resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/events", Header: apitest.Header("Authorization", "Bearer "+acme.Ingest.Key),
			Body: `{"id": "` + id + `", "type": "shipment.created"}`})
		if resp.Status != http.StatusAccepted {
			t.Fatalf("ingest %s: %d %s", id, resp.Status, resp.Body)
		}
		var out gen.IngestedEvent
		resp.Decode(t, &out)
		return out.Deliveries
	}
	statusOf := func(eventExternalID string) string {
		var status string
		if err := env.DB.QueryRow(`SELECT d.status FROM deliveries d JOIN events e ON e.account_id = d.account_id AND e.id = d.event_id
			WHERE d.account_id = $1 AND e.external_id = $2`, acme.Id, eventExternalID).Scan(&status); err != nil {
			t.Fatal(err)
		}
		return status
	}
	if n := ingest("before"); n != 1 {
		t.Fatalf("ingested while active: %d deliveries, want 1", n)
	}
	if resp := switchSubscription(t, env, acme.Id, sub.Id, apitest.Admin(), "disable"); resp.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", resp.Status, resp.Body)
	}
	if n := ingest("while-disabled"); n != 0 {
		t.Errorf("ingested while disabled: %d deliveries, want none", n)
	}

	pool := x509.NewCertPool()
	pool.AddCert(target.Certificate())
	transport := egress.Policy{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}.Transport(pool)
	dial := transport.DialContext
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		return dial(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}
	apitest.RunEngine(t, env.DB, delivery.Config{Transport: transport, PollInterval: 10 * time.Millisecond, ScheduleScale: 1e-5,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

	waitFor := func(event, status string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); statusOf(event) != status; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("delivery of %s is %s, want %s", event, statusOf(event), status)
			}
		}
	}
	waitFor("before", "dropped")
	if n := got.Load(); n != 0 {
		t.Errorf("the disabled subscription's target got %d requests, want none", n)
	}
	if resp := switchSubscription(t, env, acme.Id, sub.Id, apitest.Admin(), "enable"); resp.Status != http.StatusOK {
		t.Fatalf("enable: %d %s", resp.Status, resp.Body)
	}
	if n := ingest("after"); n != 1 {
		t.Fatalf("ingested once enabled: %d deliveries, want 1", n)
	}
	waitFor("after", "succeeded")
	if n := got.Load(); n != 1 {
		t.Errorf("the target got %d requests, want the one ingested once enabled", n)
	}
}
