package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/webhookd/webhookd/handlers/inspector"

	"github.com/webhookd/webhookd/gen"
)

// demo is what the first start creates, kept in the data directory so that later starts show the
// same account instead of making another.
type demo struct {
	Account gen.AccountCreated `json:"account"`
	// Inspector is the URL of the demo's Voucherify webhook, HookID its id; empty when the
	// inspector is off.
	Inspector string `json:"inspector,omitempty"`
	HookID    string `json:"hookId,omitempty"`
}

// demoClient talks to the service itself; it never leaves the machine.
var demoClient = &http.Client{Timeout: 10 * time.Second}

// runDemo creates the demo account once (through the admin API, as an operator would), with a
// Voucherify webhook to the inspector when it is on, and prints what a new user needs.
func runDemo(ctx context.Context, out io.Writer, base, adminToken, dataDir, inspectorURL string) error {
	path := filepath.Join(dataDir, "demo.json")
	var d demo
	reused := false
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &d) == nil {
		status, err := call(ctx, base, adminToken, http.MethodGet, "/admin/v1/accounts/"+d.Account.Id.String(), nil, nil, nil)
		if err != nil {
			return err
		}
		reused = status == http.StatusOK
	}
	if !reused {
		d = demo{}
		if _, err := call(ctx, base, adminToken, http.MethodPost, "/admin/v1/accounts", gen.AccountCreate{Name: "demo"}, &d.Account, []int{http.StatusCreated}); err != nil {
			return err
		}
	}
	if !reused || d.Inspector != inspectorURL {
		// A new port moves the inspector: the webhook follows it.
		if err := pointDemoHook(ctx, base, &d, inspectorURL); err != nil {
			return err
		}
		b, _ := json.MarshalIndent(d, "", "  ")
		if err := writePrivate(path, b); err != nil {
			return fmt.Errorf("WEBHOOKS_DATA_DIR: storing the demo account: %w", err)
		}
	}
	portal, err := portalLink(ctx, base, adminToken, d.Account.Id.String())
	if err != nil {
		return err
	}
	printDemo(out, base, adminToken, dataDir, d, reused, portal)
	return nil
}

// portalLink opens a portal session for the demo account, for the console as its tenant sees it.
func portalLink(ctx context.Context, base, adminToken, accountID string) (string, error) {
	var session struct {
		URL string `json:"url"`
	}
	if _, err := call(ctx, base, adminToken, http.MethodPost, "/admin/v1/accounts/"+accountID+"/portal-sessions", map[string]any{}, &session, []int{http.StatusCreated}); err != nil {
		return "", fmt.Errorf("opening the demo's portal session: %w", err)
	}
	return session.URL, nil
}

// pointDemoHook replaces the demo's Voucherify webhook by one to inspectorURL (none when empty).
func pointDemoHook(ctx context.Context, base string, d *demo, inspectorURL string) error {
	a := d.Account.Voucherify
	hooks := "/management/v1/projects/" + a.ProjectId + "/webhooks"
	auth := []string{"X-Management-Id", a.ManagementId, "X-Management-Token", a.ManagementToken}
	if d.HookID != "" {
		if _, err := call(ctx, base, "", http.MethodDelete, hooks+"/"+d.HookID, nil, nil, []int{http.StatusNoContent, http.StatusNotFound}, auth...); err != nil {
			return err
		}
	}
	d.Inspector, d.HookID = inspectorURL, ""
	if inspectorURL == "" {
		return nil
	}
	var created struct{ ID string }
	hook := map[string]any{"target_url": inspectorURL, "events": []string{"voucher.created"}}
	if _, err := call(ctx, base, "", http.MethodPost, hooks, hook, &created, []int{http.StatusOK, http.StatusCreated}, auth...); err != nil {
		return err
	}
	d.HookID = created.ID
	return nil
}

// call makes one request to the service; with want, another status is an error.
func call(ctx context.Context, base, adminToken, method, path string, body, into any, want []int, header ...string) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, r)
	if err != nil {
		return 0, err
	}
	if adminToken != "" {
		req.Header.Set("Authorization", "Bearer "+adminToken)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := demoClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if want != nil {
		ok := false
		for _, s := range want {
			ok = ok || resp.StatusCode == s
		}
		if !ok {
			return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			return resp.StatusCode, errors.Join(fmt.Errorf("%s %s", method, path), err)
		}
	}
	return resp.StatusCode, nil
}

func printDemo(out io.Writer, base, adminToken, dataDir string, d demo, reused bool, portal string) {
	a := d.Account
	state := "created on the first start"
	if reused {
		state = "created on an earlier start"
	}
	fmt.Fprintf(out, `
webhookd is running on %[1]s (pid %[20]d; stop it with Ctrl-C or kill -TERM %[20]d)
Console:   %[1]s/console#token=%[2]s
Reference: %[1]s/docs   Metrics: %[1]s/metrics
Admin token and demo account (%[21]s) are kept in %[22]s.

Paste into a shell to use the commands below and those in README.md:
  export WEBHOOKS_ADMIN_TOKEN=%[2]s INGEST_KEY=%[18]s

Demo account %[3]s:
  Voucherify  project %[4]s  X-Management-Id: %[5]s  X-Management-Token: %[6]s
  Bird        workspace %[7]s  Authorization: AccessKey %[8]s
  SuperOffice Basic %[14]s:%[15]s  or  Authorization: SOTicket %[16]s  or  Bearer %[17]s
  Shipping    Authorization: Bearer %[9]s  (read-only: %[10]s)
  Arkyn       email %[11]s  password %[12]s  traffic source %[13]s
  Events in   Authorization: Bearer $INGEST_KEY  (Voucherify deliveries are signed with %[19]s)

Try it:
  curl -s %[1]s/admin/v1/accounts -H "Authorization: Bearer $WEBHOOKS_ADMIN_TOKEN"
  curl -s %[1]s/management/v1/projects/%[4]s/webhooks -H 'X-Management-Id: %[5]s' -H 'X-Management-Token: %[6]s'
  curl -s %[1]s/workspaces/%[7]s/webhook-subscriptions -H 'Authorization: AccessKey %[8]s' -H 'Content-Type: application/json' -d '{"service":"channels","event":"sms.outbound","url":"https://example.com/hooks"}'
  curl -s %[1]s/api/v1/Webhook -u '%[14]s:%[15]s' -H 'Content-Type: application/json' -d '{"Name":"orders","Events":["sale.changed"],"TargetUrl":"https://example.com/hooks"}'
  curl -s %[1]s/v1/webhook-subscriptions -H 'Authorization: Bearer %[9]s' -H 'Content-Type: application/json' -d '{"name":"parcels","url":"https://example.com/hooks","events":["tracking_parcel.status_changed"]}'
  TOKEN=$(curl -s %[1]s/user/auth -H 'Content-Type: application/json' -d '{"email":"%[11]s","password":"%[12]s"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
  curl -s -X PUT %[1]s/webhooks/%[13]s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"discordChannelId":"987654321098765432"}'
  curl -s %[1]s/ingest/v1/events -H "Authorization: Bearer $INGEST_KEY" -H 'Content-Type: application/json' -d '{"type":"voucher.created","data":{"code":"SPRING"}}'
`, base, adminToken, a.Id, a.Voucherify.ProjectId, a.Voucherify.ManagementId, a.Voucherify.ManagementToken, a.Bird.WorkspaceId, a.Bird.AccessKey,
		a.Shipping.ApiKey, a.Shipping.ReadOnlyApiKey, a.Arkyn.Email, a.Arkyn.Password, a.Arkyn.TrafficSourceId,
		a.Superoffice.Username, a.Superoffice.Password, a.Superoffice.Ticket, a.Superoffice.BearerToken,
		a.Ingest.Key, a.Voucherify.WebhookSecret, os.Getpid(), state, dataDir)
	fmt.Fprintf(out, `
The demo account's own console (a portal session, valid for an hour from this start):
  %s
`, portal)
	if d.Inspector != "" {
		fmt.Fprintf(out, `
The demo's Voucherify webhook for voucher.created targets the built-in inspector (%[2]s),
so the event above is delivered on this machine; see the signed request as it was received:
  curl -s %[1]s%[3]s -H "Authorization: Bearer $WEBHOOKS_ADMIN_TOKEN"
`, base, d.Inspector, inspector.Path)
	}
	fmt.Fprintln(out)
}
