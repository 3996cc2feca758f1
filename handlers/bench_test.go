package handlers_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

// BenchmarkUpdateAPI measures Voucherify PUTs per second through the whole stack: routing,
// authentication, spec validation, a locked read-modify-write in PostgreSQL, the response.
func BenchmarkUpdateAPI(b *testing.B) {
	env := apitest.New(b)
	a := env.CreateAccount(b, "bench")
	path := "/management/v1/projects/" + a.Voucherify.ProjectId + "/webhooks"
	var hook gen.ManagementProjectsWebhook
	env.Do(b, apitest.Request{Method: http.MethodPost, Path: path, Header: apitest.Voucherify(a),
		Body: `{"target_url": "https://example.com/a", "events": ["voucher.created"]}`}).Decode(b, &hook)
	url := env.URL + path + "/" + hook.Id
	body := []byte(`{"target_url": "https://example.com/b", "events": ["voucher.created", "voucher.updated"]}`)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Management-Id", a.Voucherify.ManagementId)
			req.Header.Set("X-Management-Token", a.Voucherify.ManagementToken)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body) // drained, so the connection is reused
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("PUT: %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}
