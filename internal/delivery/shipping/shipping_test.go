package shipping

import (
	"testing"
	"time"
)

func TestRetryFollowsStandardWebhooks(t *testing.T) {
	t.Parallel()
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	for i, w := range want {
		if got, ok := (Format{}).Retry(i+1, 0); got != w || !ok {
			t.Errorf("Retry(%d) = %v, %v; want %v", i+1, got, ok, w)
		}
	}
	if _, ok := (Format{}).Retry(len(want)+1, 0); ok {
		t.Error("retries after the schedule ends")
	}
	if status, _ := (Format{}).GiveUp(8, 100, "x"); status != "" {
		t.Errorf("a Shipping endpoint was stopped: %q", status)
	}
}
