package shipping

import (
	"testing"
	"time"
)

func TestParseRateLimit(t *testing.T) {
	for in, want := range map[string]RateLimit{"100/1h": {100, time.Hour}, " 5 / 30s ": {5, 30 * time.Second}} {
		if got, err := ParseRateLimit(in); err != nil || got != want {
			t.Errorf("ParseRateLimit(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "100", "x/1h", "0/1h", "10/1ms", "10/forever"} {
		if _, err := ParseRateLimit(in); err == nil {
			t.Errorf("ParseRateLimit(%q) accepted", in)
		}
	}
}
