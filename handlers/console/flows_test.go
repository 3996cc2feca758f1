package console_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/webhookd/webhookd/internal/apitest"
)

// accountPage is one of the console's pages of an account: its route under
// #/accounts/<id>/ and the element that shows once its data is in.
type accountPage struct {
	route, ready string
	operatorOnly bool
}

var accountPages = []accountPage{
	{route: "subscriptions", ready: "subscriptions-table"},
	{route: "deliveries", ready: "deliveries-table"},
	{route: "activity", ready: "stats-chart"},
	{route: "events", ready: "events-table"},
	{route: "portal", ready: "portal-sessions-table", operatorOnly: true},
}

func accountRoute(accountID string, rest ...string) string {
	return "/console#/accounts/" + strings.Join(append([]string{accountID}, rest...), "/")
}

// Every page of an account, as the operator sees it, drawn without an error and saved.
func TestOperatorSeesEveryPage(t *testing.T) {
	env := apitest.New(t)
	hooks := newReceiver(t)
	startEngine(t, env, hooks)
	acme := newTenant(t, env, hooks, "acme")
	acme.ingest(t, env, "shipment.created")
	acme.ingest(t, env, "sale.changed")
	settle(t, env, acme.Id.String(), 2)
	b := newBrowser(t, env)
	b.open("/console#token=" + apitest.AdminToken)
	b.see(tid("accounts-table"))
	for _, p := range accountPages {
		t.Run(p.route, func(t *testing.T) {
			b := b.with(t)
			b.open(accountRoute(acme.Id.String(), p.route))
			b.see(tid(p.ready))
			if n := b.count(tid("view-error")); n != 0 {
				t.Errorf("%s shows an error: %s", p.route, b.text(tid("view-error")))
			}
			b.screenshot("operator-" + p.route)
		})
	}
}

// portalLink opens a portal session for the account through the admin API and returns its
// link's path and fragment. The console learns the account from the fragment:
// /console#account=<id>&token=<wps_ token>.
func portalLink(t *testing.T, env *apitest.Env, accountID string) string {
	t.Helper()
	resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/admin/v1/accounts/" + accountID + "/portal-sessions",
		Header: apitest.Admin(), Body: map[string]any{}})
	if resp.Status != http.StatusCreated {
		t.Fatalf("portal session: %d %s", resp.Status, resp.Body)
	}
	var session struct{ URL, Token string }
	resp.Decode(t, &session)
	path, fragment, _ := strings.Cut(strings.TrimPrefix(session.URL, env.URL), "#")
	values, err := url.ParseQuery(fragment)
	if path != "/console" || err != nil || values.Get("account") != accountID || values.Get("token") != session.Token ||
		!strings.HasPrefix(session.Token, "wps_") {
		t.Fatalf("portal session url %s: want %s/console#account=%s&token=<its wps_ token>", session.URL, env.URL, accountID)
	}
	return path + "#" + fragment
}

func portalToken(link string) string {
	_, fragment, _ := strings.Cut(link, "#")
	values, _ := url.ParseQuery(fragment)
	return values.Get("token")
}

// A tenant opens its portal link, finds the delivery that failed against its receiver, brings
// the receiver back, presses resend and sees the delivery succeed, with a manual attempt that
// shows the request and the answer.
func TestPortalResendsAFailedDelivery(t *testing.T) {
	env := apitest.New(t)
	hooks := newReceiver(t)
	startEngine(t, env, hooks)
	acme := newTenant(t, env, hooks, "acme")
	acme.ingest(t, env, "sale.changed")
	failed := byStatus(settle(t, env, acme.Id.String(), 1), "failed")
	if len(failed) != 1 {
		t.Fatal("the delivery did not fail")
	}

	b := newBrowser(t, env)
	b.open(portalLink(t, env, acme.Id.String()))
	if role := b.text(tid("role")); role != "Portal" {
		t.Errorf("a portal link shows the role %q", role)
	}
	if b.count(tid("tab-accounts"))+b.count(tid("tab-portal")) != 0 {
		t.Error("a portal link shows the operator's tabs")
	}
	b.click(tid("tab-deliveries"))
	b.click(tid("delivery-row") + `[data-status="failed"]`)
	b.see(tid("delivery-detail") + `[data-status="failed"]`)
	b.screenshot("portal-failed-delivery")

	hooks.up.Store(true)
	b.click(tid("delivery-resend"))
	b.see(tid("delivery-detail") + `[data-status="succeeded"]`)
	b.see(tid("attempt") + `[data-trigger="manual"][data-status-code="200"]`)
	manual := tid("attempt") + `[data-trigger="manual"] `
	if u := b.text(manual + tid("attempt-request-url")); u != hooks.url("/down") {
		t.Errorf("the manual attempt's request went to %q", u)
	}
	if body := b.text(manual + tid("attempt-response-body")); !strings.Contains(body, `"ok":true`) {
		t.Errorf("the manual attempt's answer: %q", body)
	}
	b.screenshot("portal-resent")
}

// After an outage, the tenant sees its subscription failing, recovers the period once the
// receiver is back, and every failed delivery succeeds; recovering again queues nothing.
func TestPortalRecoversAfterAnOutage(t *testing.T) {
	env := apitest.New(t)
	hooks := newReceiver(t)
	startEngine(t, env, hooks)
	acme := newTenant(t, env, hooks, "acme")
	for range 3 {
		acme.ingest(t, env, "sale.changed")
	}
	if n := len(byStatus(settle(t, env, acme.Id.String(), 3), "failed")); n != 3 {
		t.Fatalf("%d of 3 deliveries failed", n)
	}

	b := newBrowser(t, env)
	b.open(portalLink(t, env, acme.Id.String()))
	row := tid("subscription-row") + `[data-external-id="` + strconv.Itoa(int(acme.superOfficeID)) + `"]`
	b.see(row + `[data-state="failing"]`)
	b.screenshot("portal-subscriptions-failing")

	hooks.up.Store(true)
	b.click(row + " " + tid("sub-recover"))
	b.see(tid("recover-dialog"))
	b.click(tid("dialog-submit"))
	if queued := b.text(tid("recover-queued")); queued != "3" {
		t.Errorf("recover queued %s, want 3", queued)
	}
	b.screenshot("portal-recovered")
	deadline := time.Now().Add(waitFor)
	for len(byStatus(deliveries(t, env, acme.Id.String()), "succeeded")) != 3 {
		if time.Now().After(deadline) {
			t.Fatal("the recovered deliveries did not succeed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.click(tid("dialog-submit")) // the same period again
	b.until("a second recovery", `document.querySelector('[data-testid=recover-queued]').textContent === '0'`)
	b.click(tid("dialog-close"))
	b.see(row + `[data-state="active"]`)
	b.click(tid("tab-deliveries"))
	b.until("three successes", `[...document.querySelectorAll('[data-testid=delivery-row]')].filter((r) => r.dataset.status === 'succeeded').length === 3`)
	b.screenshot("portal-deliveries-after-recovery")
}

// The operator rotates a Shipping subscription's secret in the console; the test event sent
// from the console then carries signatures that an independent Standard Webhooks verifier
// accepts with the new secret and with the previous one, which the overlap keeps valid.
func TestRotateSignsWithBothSecrets(t *testing.T) {
	env := apitest.New(t)
	hooks := newReceiver(t)
	startEngine(t, env, hooks)
	acme := newTenant(t, env, hooks, "acme")

	b := newBrowser(t, env)
	b.open("/console#token=" + apitest.AdminToken)
	b.see(tid("accounts-table"))
	b.open(accountRoute(acme.Id.String(), "subscriptions"))
	row := tid("subscription-row") + `[data-external-id="` + acme.shippingID + `"]`
	b.click(row + " " + tid("sub-rotate"))
	b.see(tid("rotate-dialog"))
	b.click(tid("dialog-submit"))
	secret := b.text(tid("rotate-new-secret"))
	if secret == "" || secret == shippingSecret || !strings.Contains(b.text(tid("rotate-previous-valid-until")), "until") {
		t.Fatalf("rotation showed secret %q, %q", secret, b.text(tid("rotate-previous-valid-until")))
	}
	b.screenshot("rotated")
	b.click(tid("dialog-close"))

	before := len(hooks.requests("/ok"))
	b.click(row + " " + tid("sub-test"))
	b.see(tid("test-dialog"))
	b.click(tid("dialog-submit"))
	b.click(tid("test-delivery-link"))
	b.see(tid("delivery-detail") + `[data-status="succeeded"]`)
	b.screenshot("test-event-delivered")
	got := hooks.requests("/ok")
	if len(got) != before+1 {
		t.Fatalf("the receiver got %d test events", len(got)-before)
	}
	sent := got[len(got)-1]
	for name, s := range map[string]string{"new": secret, "previous": shippingSecret} {
		wh, err := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString([]byte(s)))
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(sent.body, sent.header); err != nil {
			t.Errorf("the %s secret does not verify the test event: %v (webhook-signature %q)", name, err, sent.header.Get("Webhook-Signature"))
		}
	}
}

// A tenant's portal link sees nothing of another account: every operation the console calls,
// with the other account's id or its resources' ids, answers 404 (or 401 where portal sessions
// are not accepted at all) and changes nothing; every page opened on the other account shows
// that 404 and none of its data; and the tenant's own pages show only its own.
func TestPortalSeesNothingOfAnotherAccount(t *testing.T) {
	env := apitest.New(t)
	hooks := newReceiver(t)
	startEngine(t, env, hooks)
	acme, globex := newTenant(t, env, hooks, "acme"), newTenant(t, env, hooks, "globex-secret-name")
	for _, tn := range []tenant{acme, globex} {
		tn.ingest(t, env, "sale.changed")
		tn.ingest(t, env, "shipment.created")
	}
	acmeList := settle(t, env, acme.Id.String(), 2)
	globexList := settle(t, env, globex.Id.String(), 2)
	failuresCounted(t, env, globex.Id.String(), globexList)
	var subs struct {
		Results []struct{ ID, ExternalID string }
	}
	globexSubs := func() *apitest.Response {
		return env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/" + globex.Id.String() + "/subscriptions", Header: apitest.Admin()})
	}
	subsBefore := globexSubs()
	subsBefore.Decode(t, &subs)
	if len(subs.Results) < 2 { // and the Arkyn webhook every account has
		t.Fatalf("globex has %d subscriptions", len(subs.Results))
	}
	link := portalLink(t, env, acme.Id.String())
	portal := apitest.Header("Authorization", "Bearer "+portalToken(link))

	// The API, operation by operation, as the console calls it.
	theirs := map[string]string{
		"deliveryId":       globexList[0].Id.String(),
		"eventId":          globexList[0].EventId.String(),
		"subscriptionUuid": subs.Results[0].ID,
		"sessionId":        "00000000-0000-4000-8000-000000000000",
	}
	bodies := map[string]any{
		"adminRecoverSubscription": map[string]any{"since": "2000-01-01T00:00:00Z"},
		"adminSendTestEvent":       map[string]any{},
		"adminRotateSecret":        map[string]any{},
		"adminCreatePortalSession": map[string]any{},
	}
	operatorOnly := map[string]bool{"adminListAccounts": true, "adminCreatePortalSession": true, "adminListPortalSessions": true, "adminRevokePortalSession": true}
	call := func(op consoleOperation, account string) {
		path := strings.ReplaceAll(op.path, "{accountId}", account)
		for k, v := range theirs {
			path = strings.ReplaceAll(path, "{"+k+"}", v)
		}
		want := http.StatusNotFound
		if operatorOnly[op.id] {
			want = http.StatusUnauthorized
		}
		resp := env.Do(t, apitest.Request{Method: op.method, Path: path, Header: portal, Body: bodies[op.id]})
		if resp.Status != want {
			t.Errorf("%s %s with acme's portal session = %d %s, want %d", op.method, path, resp.Status, resp.Body, want)
		}
	}
	for _, op := range consoleOperations(t) {
		call(op, globex.Id.String())
		// Under acme's own id, every operation that names one of globex's resources.
		if rest := strings.TrimPrefix(op.path, "/admin/v1/accounts/{accountId}"); rest != op.path && strings.Contains(rest, "{") {
			call(op, acme.Id.String())
		}
	}
	if subsAfter := globexSubs(); string(subsAfter.Body) != string(subsBefore.Body) {
		t.Errorf("globex's subscriptions changed: %s → %s", subsBefore.Body, subsAfter.Body)
	}
	after := deliveries(t, env, globex.Id.String())
	if len(after) != len(globexList) {
		t.Errorf("globex has %d deliveries after acme's attempts, had %d", len(after), len(globexList))
	}
	for i := range after {
		if after[i].Status != globexList[i].Status || after[i].Attempts != globexList[i].Attempts {
			t.Errorf("globex's delivery %s changed: %+v → %+v", after[i].Id, globexList[i], after[i])
		}
	}

	// The pages.
	secrets := []string{globex.Name, globex.Id.String()}
	for _, s := range subs.Results {
		secrets = append(secrets, s.ID, s.ExternalID)
	}
	for _, d := range globexList {
		secrets = append(secrets, d.Id.String(), d.EventId.String(), d.SubscriptionId)
	}
	// SuperOffice's ids are small numbers, found in any date: only the distinctive ones count.
	secrets = slices.DeleteFunc(secrets, func(s string) bool { return len(s) < 8 })
	b := newBrowser(t, env)
	b.open(link)
	b.see(tid("subscriptions-table"))
	routes := []string{accountRoute(globex.Id.String())}
	for _, p := range accountPages {
		if !p.operatorOnly {
			routes = append(routes, accountRoute(globex.Id.String(), p.route))
		}
	}
	routes = append(routes,
		accountRoute(globex.Id.String(), "deliveries", globexList[0].Id.String()),
		accountRoute(acme.Id.String(), "deliveries", globexList[0].Id.String()),
		accountRoute(globex.Id.String(), "events", globexList[0].EventId.String()),
		accountRoute(acme.Id.String(), "events", globexList[0].EventId.String()))
	for _, route := range routes {
		b.open(route)
		b.until("the refusal on "+route, `document.querySelector('[data-testid=view-error]') && /HTTP (401|404)/.test(document.querySelector('[data-testid=view-error]').textContent)`)
		time.Sleep(300 * time.Millisecond) // anything else the page might still draw
		text := b.pageText()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows globex's %s", route, s)
			}
		}
	}
	b.screenshot("portal-other-account")
	for _, p := range accountPages {
		if p.operatorOnly {
			continue
		}
		b.open(accountRoute(acme.Id.String(), p.route))
		b.see(tid(p.ready))
		time.Sleep(300 * time.Millisecond)
		text := b.pageText()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("acme's %s page shows globex's %s", p.route, s)
			}
		}
		if p.route == "deliveries" && !strings.Contains(text, acmeList[0].Id.String()) {
			t.Errorf("acme's deliveries page does not show acme's delivery %s", acmeList[0].Id)
		}
		b.screenshot("portal-" + p.route)
	}
}

// The operator's buttons on a subscription and the delivery log's filters: disable and enable
// change the state shown, each filter narrows the log, and a portal link made in the console
// opens the account until it is revoked.
func TestOperatorActionsAndFilters(t *testing.T) {
	env := apitest.New(t)
	hooks := newReceiver(t)
	startEngine(t, env, hooks)
	acme := newTenant(t, env, hooks, "acme")
	acme.ingest(t, env, "sale.changed")
	acme.ingest(t, env, "shipment.created")
	settle(t, env, acme.Id.String(), 2)

	b := newBrowser(t, env)
	b.open("/console#token=" + apitest.AdminToken)
	b.see(tid("accounts-table"))
	b.open(accountRoute(acme.Id.String(), "subscriptions"))
	row := tid("subscription-row") + `[data-external-id="` + acme.shippingID + `"]`
	b.click(row + " " + tid("sub-disable"))
	b.see(row + `[data-state="disabled"]`)
	b.screenshot("subscription-disabled")
	b.click(row + " " + tid("sub-enable"))
	b.see(row + `[data-state="active"]`)

	b.click(row + " " + tid("sub-deliveries"))
	b.until("only the Shipping delivery", `[...document.querySelectorAll('[data-testid=delivery-row]')].length === 1`)
	for filter, want := range map[string]string{"filter-status": "failed", "filter-dialect": "shipping"} {
		b.open(accountRoute(acme.Id.String(), "deliveries"))
		b.until("both deliveries", `document.querySelectorAll('[data-testid=delivery-row]').length === 2`)
		b.setValue(tid(filter), want)
		b.until(filter+" applied", `document.querySelectorAll('[data-testid=delivery-row]').length === 1`)
	}
	b.screenshot("deliveries-filtered")

	b.open(accountRoute(acme.Id.String(), "portal"))
	b.click(tid("portal-create"))
	b.see(tid("portal-url"))
	var link string
	b.eval(`document.querySelector('[data-testid=portal-url]').value`, &link)
	if !strings.Contains(link, "#account="+acme.Id.String()+"&token=wps_") && !strings.Contains(link, "token=wps_") {
		t.Errorf("the console shows the portal link %q", link)
	}
	b.see(tid("portal-session-row") + `[data-state="active"]`)
	b.screenshot("portal-link-created")
	b.click(tid("portal-revoke"))
	b.see(tid("portal-session-row") + `[data-state="revoked"]`)
	b.click(tid("sign-out"))
	b.open(strings.TrimPrefix(link, env.URL))
	if msg := b.text(tid("signin-message")); !strings.Contains(msg, "refused") {
		t.Errorf("a revoked portal link shows %q", msg)
	}
}
