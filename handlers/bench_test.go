package handlers_test

import (
	"bytes"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/apitest"
)

// BenchmarkUpdateAPI measures Voucherify PUTs per second through the whole stack (routing,
// authentication, validation, one UPDATE in PostgreSQL, the response) from 8 concurrent
// clients over 100 webhooks; and the same without validation beyond routing and
// authentication, which tells what validation costs:
//
//	go test -run '^$' -bench UpdateAPI -benchtime 5s ./handlers
func BenchmarkUpdateAPI(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []apitest.Option
	}{
		{"validation=on", nil},
		{"validation=off", []apitest.Option{handlers.WithoutChecks}},
	} {
		b.Run(bc.name, func(b *testing.B) { benchmarkUpdates(b, bc.opts...) })
	}
}

func benchmarkUpdates(b *testing.B, opts ...apitest.Option) {
	env := apitest.New(b, opts...)
	a := env.CreateAccount(b, "bench")
	path := "/management/v1/projects/" + a.Voucherify.ProjectId + "/webhooks"
	urls := make([]string, 100)
	for i := range urls {
		var hook gen.ManagementProjectsWebhook
		env.Do(b, apitest.Request{Method: http.MethodPost, Path: path, Header: apitest.Voucherify(a),
			Body: `{"target_url": "https://example.com/a", "events": ["voucher.created"]}`}).Decode(b, &hook)
		urls[i] = env.URL + path + "/" + hook.Id
	}
	body := []byte(`{"target_url": "https://example.com/b", "events": ["voucher.created", "voucher.updated"]}`)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next atomic.Uint64
	b.SetParallelism(8) // 8 clients per core at most; the pool has as many connections
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPut, urls[next.Add(1)%uint64(len(urls))], bytes.NewReader(body))
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
