package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/apitest"
)

func TestListAccountsPages(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	for i := range 3 {
		env.CreateAccount(t, fmt.Sprintf("acct-%d", i))
	}
	var names []string
	path := "/admin/v1/accounts?limit=2"
	for pages := 0; ; pages++ {
		var page struct {
			Results []struct {
				Name       string
				Voucherify struct{ ProjectId string }
			}
			NextPageToken *string
		}
		env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: apitest.Admin()}).Decode(t, &page)
		for _, a := range page.Results {
			if a.Voucherify.ProjectId == "" {
				t.Errorf("account %s is listed without its identifiers", a.Name)
			}
			names = append(names, a.Name)
		}
		if page.NextPageToken == nil {
			break
		}
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		path = "/admin/v1/accounts?limit=2&pageToken=" + *page.NextPageToken
	}
	if strings.Join(names, ",") != "acct-2,acct-1,acct-0" {
		t.Errorf("listed %v; want the three accounts, newest first", names)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts"}); resp.Status != http.StatusUnauthorized {
		t.Errorf("without the admin token: %d", resp.Status)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts?pageToken=nope", Header: apitest.Admin()}); resp.Status != http.StatusBadRequest {
		t.Errorf("a forged page token: %d %s", resp.Status, resp.Body)
	}
}

func TestInspectorRecordsRequestsAsReceived(t *testing.T) {
	t.Parallel()
	off := apitest.New(t)
	if resp := off.Do(t, apitest.Request{Method: http.MethodPost, Path: handlers.InspectorPath, Body: `{}`}); resp.Status != http.StatusNotFound {
		t.Errorf("POST to an inspector that is off: %d", resp.Status)
	}
	env := apitest.New(t, func(c *handlers.Config) { c.Inspector = true })
	body := `{"type":  "voucher.created", "data": {"code": "SPRING"}}`
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: handlers.InspectorPath, Body: body, Header: apitest.Header("X-Signature", "abc")}); resp.Status != http.StatusNoContent {
		t.Fatalf("POST: %d %s", resp.Status, resp.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: handlers.InspectorPath, Body: `{not json`}); resp.Status != http.StatusBadRequest {
		t.Errorf("a body that is not JSON: %d", resp.Status)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: handlers.InspectorPath}); resp.Status != http.StatusUnauthorized {
		t.Errorf("listing without the admin token: %d", resp.Status)
	}
	var list struct {
		Results []struct {
			Method, Path, Body string
			Headers            map[string][]string
		}
	}
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: handlers.InspectorPath, Header: apitest.Admin()}).Decode(t, &list)
	if len(list.Results) != 1 {
		t.Fatalf("the inspector lists %d requests; want the one valid POST", len(list.Results))
	}
	got := list.Results[0]
	if got.Body != body || got.Method != http.MethodPost || got.Headers["X-Signature"][0] != "abc" {
		t.Errorf("recorded %+v; want the request byte for byte", got)
	}
}

func TestInspectorKeepsTheLatestHundred(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *handlers.Config) { c.Inspector = true })
	for i := range 105 {
		env.Do(t, apitest.Request{Method: http.MethodPost, Path: handlers.InspectorPath, Body: fmt.Sprintf(`{"n":%d}`, i)})
	}
	var list struct{ Results []struct{ Body string } }
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: handlers.InspectorPath, Header: apitest.Admin()}).Decode(t, &list)
	if len(list.Results) != 100 || list.Results[0].Body != `{"n":104}` || list.Results[99].Body != `{"n":5}` {
		t.Fatalf("kept %d requests from %v to %v; want the latest 100, newest first", len(list.Results), list.Results[0], list.Results[len(list.Results)-1])
	}
}

func TestMetricsAndRoot(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/healthz"})
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts"}) // 401
	resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/metrics"})
	text := string(resp.Body)
	for _, want := range []string{
		`webhookd_http_requests_total{operation="getHealth",status="200"} 1`,
		`webhookd_http_requests_total{operation="adminListAccounts",status="401"} 1`,
		`webhookd_http_request_duration_seconds_count{operation="getHealth",status="200"} 1`,
		"webhookd_delivery_queue_depth 0",
		`go_sql_max_open_connections{db_name="webhookd"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	if root := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/"}); root.Status != http.StatusOK || !strings.Contains(string(root.Body), `<meta http-equiv="refresh" content="0; url=docs">`) {
		t.Errorf("GET / = %d %s; want a page that refreshes to docs", root.Status, root.Body)
	}
}
