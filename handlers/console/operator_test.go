package console_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

// An operator opens the console link with the admin token: the token leaves the address bar,
// the accounts are listed (names as text, never markup), an account's delivery log shows its
// deliveries newest first and refreshes by itself, and a failed delivery shows its attempts.
func TestOperatorConsole(t *testing.T) {
	env := apitest.New(t)
	hooks := newReceiver(t)
	startEngine(t, env, hooks)
	acme := newTenant(t, env, hooks, "acme")
	hostile := `<img src=x onerror=alert(1)>`
	env.CreateAccount(t, hostile)
	acme.ingest(t, env, "shipment.created")
	acme.ingest(t, env, "sale.changed")
	list := settle(t, env, acme.Id.String(), 2)
	failed := byStatus(list, gen.DeliveryStatusFailed)
	if len(failed) != 1 || len(byStatus(list, gen.DeliveryStatusSucceeded)) != 1 {
		t.Fatalf("deliveries: %+v", list)
	}

	b := newBrowser(t, env)
	b.open("/console")
	b.see(tid("signin"))
	b.screenshot("sign-in")

	b.open("/console#token=not-the-admin-token")
	if msg := b.text(tid("signin-message")); !strings.Contains(msg, "refused") {
		t.Errorf("a wrong token shows %q", msg)
	}

	b.open("/console#token=" + apitest.AdminToken)
	b.until("both accounts", `document.querySelectorAll('[data-testid=account-row]').length === 2`)
	var href, stored string
	b.eval(`location.href`, &href)
	b.eval(`sessionStorage.getItem('webhookd.console.token')`, &stored)
	if strings.Contains(href, apitest.AdminToken) || !strings.HasSuffix(href, "/console#/accounts") || stored != apitest.AdminToken {
		t.Errorf("after opening the link: address %s, stored token %q", href, stored)
	}
	names := b.attrs(tid("account-link"), "href")
	if len(names) != 2 || b.count(tid("accounts-table")+" img") != 0 || !strings.Contains(b.text(tid("accounts-table")), hostile) {
		t.Errorf("the account named %s is not shown as text: %s", hostile, b.text(tid("accounts-table")))
	}
	b.screenshot("accounts")

	b.click(tid("account-row") + `[data-account-id="` + acme.Id.String() + `"]`)
	b.click(tid("tab-deliveries"))
	b.until("two deliveries", `document.querySelectorAll('[data-testid=delivery-row]').length === 2`)
	var want []string
	for _, d := range list {
		want = append(want, d.Id.String())
	}
	if got := b.attrs(tid("delivery-row"), "data-delivery-id"); !slices.Equal(got, want) {
		t.Errorf("the log shows %v; the API lists %v (newest first)", got, want)
	}
	if got := b.attrs(tid("delivery-row"), "data-status"); !slices.Contains(got, "failed") || !slices.Contains(got, "succeeded") {
		t.Errorf("statuses shown: %v", got)
	}
	b.screenshot("deliveries")

	// Live: a new delivery appears on top without reloading the page.
	acme.ingest(t, env, "shipment.created")
	settle(t, env, acme.Id.String(), 3)
	b.until("the new delivery on top", `document.querySelectorAll('[data-testid=delivery-row]').length === 3 && document.querySelector('[data-testid=delivery-row]').dataset.status === 'succeeded'`)
	b.screenshot("deliveries-refreshed")

	b.click(tid("delivery-row") + `[data-delivery-id="` + failed[0].Id.String() + `"]`)
	b.see(tid("delivery-detail") + `[data-status="failed"]`)
	b.until("every attempt", `document.querySelectorAll('[data-testid=attempt]').length === `+itoa(failed[0].Attempts))
	if codes := b.attrs(tid("attempt"), "data-status-code"); len(codes) == 0 || codes[0] != "503" {
		t.Errorf("attempts' status codes: %v", codes)
	}
	if msg := b.text(tid("attempt-error")); msg == "" {
		t.Error("a failed attempt shows no error")
	}
	b.screenshot("delivery-failed")

	// The session lasts for the tab: the console opens again without the token in the link.
	b.open("/console")
	b.until("the accounts again", `document.querySelectorAll('[data-testid=account-row]').length === 2`)
	b.click(tid("sign-out"))
	b.see(tid("signin"))
	b.eval(`sessionStorage.getItem('webhookd.console.token') || ''`, &stored)
	if stored != "" {
		t.Errorf("signing out left the token %q", stored)
	}
}

// The chart draws a minute per entry, bars by outcome and the two latency lines over the minutes
// with attempts, from numbers shaped as adminDeliveryStats answers them.
func TestChartDrawsTheLastHour(t *testing.T) {
	env := apitest.New(t)
	b := newBrowser(t, env)
	b.open("/console#token=" + apitest.AdminToken)
	b.see(tid("accounts-table"))
	var drawn struct {
		Minutes, Succeeded, Failed, P50, P99 int
		Labels                               []string
	}
	b.eval(`import('./console/chart.js').then(({ statsChart, legend }) => {
		const start = Date.parse('2026-11-23T10:00:00Z');
		const minutes = Array.from({ length: 60 }, (_, i) => ({
			minute: new Date(start + i * 60000).toISOString(),
			succeeded: i % 3 === 0 ? 5 : 0, failed: i % 10 === 0 ? 2 : 0, p50Ms: i % 3 === 0 ? 20 : 0, p99Ms: i % 3 === 0 ? 180 : 0,
		}));
		const svg = statsChart(minutes);
		document.querySelector('[data-testid=main]').replaceChildren(svg, legend());
		return {
			minutes: svg.querySelectorAll('[data-testid=stats-minute]').length,
			succeeded: svg.querySelectorAll('.bar-succeeded').length,
			failed: svg.querySelectorAll('.bar-failed').length,
			p50: svg.querySelector('[data-testid=p50-line]').getAttribute('points').split(' ').length,
			p99: svg.querySelector('[data-testid=p99-line]').getAttribute('points').split(' ').length,
			labels: [...svg.querySelectorAll('text.axis')].map((e) => e.textContent),
		};
	})`, &drawn)
	if drawn.Minutes != 60 || drawn.Succeeded != 20 || drawn.Failed != 6 || drawn.P50 != 24 || drawn.P99 != 24 {
		t.Errorf("drawn: %+v", drawn)
	}
	if !slices.Contains(drawn.Labels, "200 ms") || !slices.Contains(drawn.Labels, "10") {
		t.Errorf("the latency axis does not reach the p99 of 180 ms: %v", drawn.Labels)
	}
	b.screenshot("chart")
}

func itoa(n int) string { return strconv.Itoa(n) }
