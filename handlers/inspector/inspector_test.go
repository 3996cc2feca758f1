package inspector_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/handlers/inspector"
	"github.com/webhookd/webhookd/internal/apitest"
)

func TestInspectorRecordsRequestsAsReceived(t *testing.T) {
	t.Parallel()
	off := apitest.New(t)
	if resp := off.Do(t, apitest.Request{Method: http.MethodPost, Path: inspector.Path, Body: `{}`}); resp.Status != http.StatusNotFound {
		t.Errorf("POST to an inspector that is off: %d", resp.Status)
	}
	env := apitest.New(t, func(c *handlers.Config) { c.Inspector = true })
	body := `{"type":  "voucher.created", "data": {"code": "SPRING"}}`
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: inspector.Path, Body: body, Header: apitest.Header("X-Signature", "abc")}); resp.Status != http.StatusNoContent {
		t.Fatalf("POST: %d %s", resp.Status, resp.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: inspector.Path, Body: `{not json`}); resp.Status != http.StatusBadRequest {
		t.Errorf("a body that is not JSON: %d", resp.Status)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: inspector.Path}); resp.Status != http.StatusUnauthorized {
		t.Errorf("listing without the admin token: %d", resp.Status)
	}
	var list struct {
		Results []struct {
			Method, Path, Body string
			Headers            map[string][]string
		}
	}
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: inspector.Path, Header: apitest.Admin()}).Decode(t, &list)
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
		env.Do(t, apitest.Request{Method: http.MethodPost, Path: inspector.Path, Body: fmt.Sprintf(`{"n":%d}`, i)})
	}
	var list struct{ Results []struct{ Body string } }
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: inspector.Path, Header: apitest.Admin()}).Decode(t, &list)
	if len(list.Results) != 100 || list.Results[0].Body != `{"n":104}` || list.Results[99].Body != `{"n":5}` {
		t.Fatalf("kept %d requests from %v to %v; want the latest 100, newest first", len(list.Results), list.Results[0], list.Results[len(list.Results)-1])
	}
}
