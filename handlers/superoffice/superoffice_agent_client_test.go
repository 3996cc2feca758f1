package superoffice_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/apitest"
)

// SuperOffice's own npm client (@superoffice/webapi, pinned in package.json) runs a webhook's
// lifecycle through its WebhookAgent, unchanged; every response it gets is checked against
// openapi.yaml on the way, and the REST routes see what it did.
func TestSuperOfficeAgentNodeClient(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "@superoffice", "webapi", "package.json")); err != nil {
		t.Fatalf("the npm packages are not installed (go tool task test installs them with npm ci): %v", err)
	}
	var mu sync.Mutex
	var calls []string
	target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.URL.Path+" "+r.Header.Get("X-SuperOffice-Event"))
		mu.Unlock()
		if r.URL.Path == "/fail" {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		}
	}))
	defer target.Close()
	env := apitest.New(t, func(c *handlers.Config) {
		c.TargetTransport = target.Client().Transport
		c.Egress.Allowed = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} // the target runs on loopback
	})
	acme := env.CreateAccount(t, "acme")
	auth := apitest.SuperOffice(acme)
	rest := soCreate(t, env, acme, `{"Name": "Shipments", "Events": ["shipment.created"], "TargetUrl": "https://example.com/shipments"}`)
	proxy := env.Proxy(t)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(root, "clients", "superoffice", "lifecycle.cjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "BASE_URL="+proxy.URL, "TARGET_URL="+target.URL,
		"SO_USERNAME="+acme.Superoffice.Username, "SO_PASSWORD="+acme.Superoffice.Password,
		"SO_TICKET="+acme.Superoffice.Ticket, "SO_BEARER="+acme.Superoffice.BearerToken,
		"REST_ID="+itoa(rest.WebhookId), "REST_NAME=Shipments")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lifecycle.cjs: %v\n%s", err, out)
	}
	var result struct{ Kept, Deleted int32 }
	line, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "ok: ")
	if !ok {
		t.Fatalf("lifecycle.cjs printed %q", out)
	}
	(&apitest.Response{Body: []byte(line)}).Decode(t, &result)

	// Every method of WebhookAgent was called, and the errors were the documented ones.
	seen := proxy.Seen()
	for op, want := range map[string][]int{
		"superOfficeAgentCreateDefaultWebhook": {200},
		"superOfficeAgentSaveWebhook":          {200, 400},
		"superOfficeAgentGetWebhook":           {200, 404},
		"superOfficeAgentGetAllWebhooks":       {200, 401},
		"superOfficeAgentTestWebhook":          {200},
		"superOfficeAgentGetLastError":         {200, 404},
		"superOfficeAgentSignalEvent":          {204},
		"superOfficeAgentDeleteWebhook":        {204, 404},
	} {
		for _, status := range want {
			if !slices.Contains(seen[op], status) {
				t.Errorf("%s: no %d among the validated responses %v", op, status, seen[op])
			}
		}
	}
	for op := range seen {
		if !strings.HasPrefix(op, "superOfficeAgent") {
			t.Errorf("the client called %s", op)
		}
	}

	// The REST routes see the agent's webhooks.
	var kept soWebhook
	resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/" + itoa(result.Kept), Header: auth})
	resp.Decode(t, &kept)
	if resp.Status != http.StatusOK || *kept.Name != "Orders v2" || *kept.TargetUrl != target.URL+"/orders" || *kept.Secret != "s3cret" ||
		kept.Headers["X-Tenant"] != "acme" || kept.Properties["tier"] != "gold" || !slices.Equal(kept.Events, []string{"sale.changed", "order.shipped"}) {
		t.Errorf("REST GET of the agent's webhook = %d %s", resp.Status, resp.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/" + itoa(result.Deleted), Header: auth}); resp.Status != http.StatusNotFound {
		t.Errorf("REST GET of the webhook the agent deleted = %d %s", resp.Status, resp.Body)
	}
	var all []soWebhook
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath, Header: auth}).Decode(t, &all)
	if len(all) != 2 || all[0].WebhookId != rest.WebhookId || all[1].WebhookId != result.Kept {
		t.Errorf("REST lists %+v", all)
	}

	// TestWebhook called the target twice and saved nothing; SignalEvent queued a delivery.
	mu.Lock()
	if !slices.Equal(calls, []string{"/orders test", "/fail test"}) {
		t.Errorf("the target received %q", calls)
	}
	mu.Unlock()
	var deliveries struct {
		Results []struct{ SubscriptionId, EventType string }
	}
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/" + acme.Id.String() + "/deliveries", Header: apitest.Admin()}).Decode(t, &deliveries)
	if len(deliveries.Results) != 1 || deliveries.Results[0].SubscriptionId != itoa(result.Kept) || deliveries.Results[0].EventType != "order.shipped" {
		t.Errorf("deliveries = %+v", deliveries)
	}
}
