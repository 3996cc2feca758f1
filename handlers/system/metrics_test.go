package system_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/apitest"
)

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
