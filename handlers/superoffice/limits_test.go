package superoffice_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/apitest"
)

// The agent methods that take a body refuse one over SuperOffice's 256 KiB as the REST
// routes do: 413 with the same body, in JSON and in XML.
func TestSuperOfficeAgentRefusesOversizedBodiesAsRESTDoes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	padding := strings.Repeat("x", 300<<10)
	encodings := []struct {
		mediaType, body string
	}{
		{"application/json", `{"Name": "` + padding + `"}`},
		{"application/xml", `<Webhook><Name>` + padding + `</Name></Webhook>`},
	}
	methods := []string{"SaveWebhook", "GetAllWebhooks", "TestWebhook", "SignalEvent", "GetLastError"}
	for _, enc := range encodings {
		h := apitest.SuperOffice(acme)
		h.Set("Content-Type", enc.mediaType)
		h.Set("Accept", enc.mediaType)
		rest := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: h, Body: enc.body})
		if rest.Status != http.StatusRequestEntityTooLarge || !bytes.Contains(rest.Body, []byte("PayloadTooLarge")) {
			t.Fatalf("%s: REST POST = %d %s, want 413", enc.mediaType, rest.Status, rest.Body)
		}
		for _, method := range methods {
			// Raw: the comparison with the validated REST answer is the check, and it says more
			// than a schema error would.
			got := env.Raw(t, apitest.Request{Method: http.MethodPost, Path: soAgentPath + method, Header: h, Body: enc.body})
			if got.Status != http.StatusRequestEntityTooLarge {
				t.Errorf("%s %s = %d %s, want 413", enc.mediaType, method, got.Status, got.Body)
				continue
			}
			if got.Header.Get("Content-Type") != rest.Header.Get("Content-Type") || !bytes.Equal(got.Body, rest.Body) {
				t.Errorf("%s %s answered 413 as %s %s\nwhile the REST route answers %s %s", enc.mediaType, method,
					got.Header.Get("Content-Type"), got.Body, rest.Header.Get("Content-Type"), rest.Body)
			}
		}
	}
}
