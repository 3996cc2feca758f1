package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// load drives the service and keeps each call's latency until the next sample takes them.
type load struct {
	svc     *service
	tenants []tenant
	seq     atomic.Int64

	mu        sync.Mutex
	latencies []time.Duration
	faults    int
	first     error // the first server fault, reported when the soak ends
}

func newLoad(svc *service, tenants []tenant) *load { return &load{svc: svc, tenants: tenants} }

// ingest sends rate events a second: half one per request from four clients, half as one batch.
func (l *load) ingest(ctx context.Context, rate int) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		t := l.tenants[l.seq.Add(1)%int64(len(l.tenants))]
		auth := http.Header{"Authorization": {"Bearer " + t.ingestKey}}
		go func() {
			events := make([]string, rate/2)
			for i := range events {
				events[i] = l.event()
			}
			l.do(ctx, http.MethodPost, "/ingest/v1/event-batches", auth, `{"events":[`+strings.Join(events, ",")+`]}`)
		}()
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for range (rate/2 + 3 - w) / 4 {
					l.do(ctx, http.MethodPost, "/ingest/v1/events", auth, l.event())
				}
			})
		}
		wg.Wait()
	}
}

// event alternates between a Voucherify and a Shipping event type.
func (l *load) event() string {
	n := l.seq.Add(1)
	typ := "voucher.created"
	if n%2 == 0 {
		typ = "tracking_parcel.created"
	}
	return fmt.Sprintf(`{"id":"soak-%d","type":%q,"data":{"n":%d,"pad":%q}}`, n, typ, n, strings.Repeat("x", 200))
}

// calls makes perSecond management calls a second: reads and replacements of a webhook, and a
// page of the account's delivery log, which reads the history.
func (l *load) calls(ctx context.Context, perSecond int) {
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	admin := http.Header{"Authorization": {"Bearer " + adminToken}}
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		t := l.tenants[n%len(l.tenants)]
		switch n % 3 {
		case 0:
			l.do(ctx, http.MethodGet, t.webhooksPath()+"/"+t.hookID, t.voucherify(), "")
		case 1:
			body := fmt.Sprintf(`{"target_url":%q,"events":["voucher.created","voucher.updated"]}`, t.hookTarget)
			l.do(ctx, http.MethodPut, t.webhooksPath()+"/"+t.hookID, t.voucherify(), body)
		case 2:
			l.do(ctx, http.MethodGet, "/admin/v1/accounts/"+t.id+"/deliveries?limit=50", admin, "")
		}
	}
}

func (l *load) do(ctx context.Context, method, path string, header http.Header, body string) {
	began := time.Now()
	err := l.svc.Call(ctx, method, path, header, body, nil)
	took := time.Since(began)
	if ctx.Err() != nil {
		return // cut short by the end of the soak
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.latencies = append(l.latencies, took)
	if err != nil && isServerFault(err) {
		l.faults++
		if l.first == nil {
			l.first = err
		}
	}
}

// take returns the p99 of the calls since the last take, their count and the server faults.
func (l *load) take() (p99 time.Duration, calls, faults int) {
	l.mu.Lock()
	lat, f := l.latencies, l.faults
	l.latencies, l.faults = nil, 0
	l.mu.Unlock()
	if len(lat) == 0 {
		return 0, 0, f
	}
	slices.Sort(lat)
	return lat[len(lat)*99/100], len(lat), f
}

func (l *load) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.first != nil {
		return fmt.Errorf("the service failed a call: %w", l.first)
	}
	return nil
}
