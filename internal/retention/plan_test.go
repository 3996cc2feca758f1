package retention

import (
	"reflect"
	"testing"
	"time"
)

func TestWidthIsAnEighthOfTheRetentionWithinAMinuteAndAWeek(t *testing.T) {
	t.Parallel()
	for retention, want := range map[time.Duration]time.Duration{
		time.Second:          time.Minute,
		5 * time.Minute:      time.Minute,
		time.Hour:            7 * time.Minute, // 7m30s in whole minutes
		100 * time.Minute:    12 * time.Minute,
		24 * time.Hour:       3 * time.Hour,
		DefaultRetention:     90 * time.Hour,
		365 * 24 * time.Hour: 7 * 24 * time.Hour,
	} {
		if got := Width(retention); got != want {
			t.Errorf("Width(%s) = %s, want %s", retention, got, want)
		}
	}
}

func TestPlanCoversTheRangeOnTheGridAroundExistingSlices(t *testing.T) {
	t.Parallel()
	at := func(hhmm string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", "2026-12-03 "+hhmm)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	catchup := Slice{Until: at("10:07")}
	for _, c := range []struct {
		name     string
		existing []Slice
		from, to time.Time
		width    time.Duration
		want     []span
	}{
		{"nothing yet", nil, at("10:07"), at("10:27"), 10 * time.Minute,
			[]span{{at("10:00"), at("10:10")}, {at("10:10"), at("10:20")}, {at("10:20"), at("10:30")}}},
		{"after the catch-up slice", []Slice{catchup}, at("10:07"), at("10:27"), 10 * time.Minute,
			[]span{{at("10:07"), at("10:10")}, {at("10:10"), at("10:20")}, {at("10:20"), at("10:30")}}},
		{"covered", []Slice{catchup, {From: at("10:07"), Until: at("10:30")}}, at("10:08"), at("10:28"), 10 * time.Minute, nil},
		{"narrower after wider slices", []Slice{{From: at("10:00"), Until: at("11:00")}}, at("10:30"), at("11:10"), 5 * time.Minute,
			[]span{{at("11:00"), at("11:05")}, {at("11:05"), at("11:10")}}},
		{"wider after narrower slices", []Slice{{From: at("10:00"), Until: at("10:05")}}, at("10:01"), at("10:30"), time.Hour,
			[]span{{at("10:05"), at("11:00")}}},
		{"up to a later slice", []Slice{{From: at("10:15"), Until: at("10:20")}}, at("10:01"), at("10:21"), 10 * time.Minute,
			[]span{{at("10:00"), at("10:10")}, {at("10:10"), at("10:15")}, {at("10:20"), at("10:30")}}},
		{"a gap left by a long stop is not filled", []Slice{{From: at("08:00"), Until: at("08:10")}}, at("10:01"), at("10:09"), 10 * time.Minute,
			[]span{{at("10:00"), at("10:10")}}},
	} {
		if got := plan(c.existing, c.from, c.to, c.width); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: plan = %v, want %v", c.name, got, c.want)
		}
	}
}
