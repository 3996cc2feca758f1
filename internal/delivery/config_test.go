package delivery

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/egress"
)

func TestTheResponseMayTakeAsLongAsTheAttempt(t *testing.T) {
	t.Parallel()
	for _, attempt := range []time.Duration{2 * time.Second, 30 * time.Second, 2 * time.Minute} {
		e, err := New(nil, Config{AttemptTimeout: attempt, Transport: egress.Policy{}.Transport(nil)})
		if err != nil {
			t.Fatal(err)
		}
		tr := e.client.Transport.(*http.Transport)
		if tr.ResponseHeaderTimeout != attempt || tr.MaxIdleConnsPerHost < DefaultPerTarget {
			t.Errorf("AttemptTimeout %s: ResponseHeaderTimeout = %s, %d idle connections per host", attempt, tr.ResponseHeaderTimeout, tr.MaxIdleConnsPerHost)
		}
		if tr.DialContext == nil || tr.HTTP2 == nil || tr.TLSHandshakeTimeout <= 0 {
			t.Errorf("not the egress transport: %+v", tr)
		}
	}
	e, err := New(nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if e.client.Transport.(*http.Transport).ResponseHeaderTimeout != DefaultAttemptTimeout {
		t.Error("the default transport does not follow the default attempt timeout")
	}
}

func TestZeroFieldsTakeTheDefaults(t *testing.T) {
	t.Parallel()
	got, err := Config{}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	if got.Concurrency != want.Concurrency || got.Batch != want.Batch || got.PerTarget != want.PerTarget ||
		got.PerAccount != want.PerAccount || got.BreakAfter != want.BreakAfter || got.BreakFor != want.BreakFor ||
		got.PollInterval != want.PollInterval || got.Lease != want.Lease || got.AttemptTimeout != want.AttemptTimeout ||
		got.ScheduleScale != want.ScheduleScale || got.DrainTimeout != want.DrainTimeout ||
		got.WorkerID == "" || got.Transport == nil || got.Logger == nil {
		t.Errorf("resolved %+v\nwant %+v", got, want)
	}
	// Defaults that follow another field follow its given value.
	got, err = Config{Concurrency: 8, AttemptTimeout: 2 * time.Minute}.resolve()
	if err != nil || got.PerAccount != 6 || got.Lease != 4*time.Minute {
		t.Errorf("PerAccount %d and Lease %s (%v); want 6 and 4m0s", got.PerAccount, got.Lease, err)
	}
	got, err = Config{Concurrency: 1}.resolve()
	if err != nil || got.PerAccount != 1 {
		t.Errorf("one slot leaves a tenant %d (%v)", got.PerAccount, err)
	}
}

// A value out of range is an error naming its field, never quietly replaced by the default.
func TestNewRefusesWhatNoDefaultMayReplace(t *testing.T) {
	t.Parallel()
	for field, cfg := range map[string]Config{
		"Concurrency":    {Concurrency: -1},
		"Batch":          {Batch: -128},
		"PerTarget":      {PerTarget: -1},
		"PerAccount":     {PerAccount: -1},
		"BreakAfter":     {BreakAfter: -5},
		"BreakFor":       {BreakFor: -time.Second},
		"PollInterval":   {PollInterval: -time.Millisecond},
		"Lease":          {Lease: 5 * time.Second},
		"AttemptTimeout": {AttemptTimeout: -time.Second},
		"DrainTimeout":   {DrainTimeout: -time.Second},
		"ScheduleScale":  {ScheduleScale: math.NaN()},
	} {
		if _, err := New(nil, cfg); err == nil || !strings.Contains(err.Error(), "Config."+field) {
			t.Errorf("%+v: error %v; want one naming %s", cfg, err, field)
		}
	}
	for _, cfg := range []Config{{ScheduleScale: -1}, {ScheduleScale: math.Inf(1)}, {Lease: time.Minute, AttemptTimeout: time.Minute}} {
		if _, err := New(nil, cfg); err == nil {
			t.Errorf("%+v: accepted", cfg)
		}
	}
}
