package main

import (
	"fmt"
	"time"
)

func printHeader() {
	fmt.Printf("%6s %12s %8s %10s %6s %12s %8s %8s %7s %6s\n",
		"minute", "history MiB", "RSS MiB", "goroutines", "conns", "deliveries/s", "pending", "p99 ms", "calls", "5xx")
}

func printRow(s sample, start time.Time) {
	fmt.Printf("%6.1f %12.1f %8.1f %10.0f %6.0f %12.0f %8.0f %8.1f %7d %6d\n",
		s.at.Sub(start).Minutes(), s.historyMiB, s.rssMiB, s.goroutines, s.conns, s.deliveriesPerSecond, s.pending, s.p99ms, s.calls, s.faults)
}

// printSlopes fits a line through each series' samples taken after from (the end of the first
// retention period) and prints its slope per minute, and as a share of the series' mean.
func printSlopes(rows []sample, from time.Time) {
	var after []sample
	for _, s := range rows {
		if !s.at.Before(from) {
			after = append(after, s)
		}
	}
	if len(after) < 2 {
		fmt.Println("\ntoo few samples after the first retention period for a slope")
		return
	}
	fmt.Printf("\nslopes over the %d samples after the first retention period (per minute; share of the mean):\n", len(after))
	for _, series := range []struct {
		name string
		of   func(sample) float64
	}{
		{"history MiB", func(s sample) float64 { return s.historyMiB }},
		{"RSS MiB", func(s sample) float64 { return s.rssMiB }},
		{"goroutines", func(s sample) float64 { return s.goroutines }},
		{"connections", func(s sample) float64 { return s.conns }},
		{"deliveries/s", func(s sample) float64 { return s.deliveriesPerSecond }},
		{"pending", func(s sample) float64 { return s.pending }},
		{"p99 ms", func(s sample) float64 { return s.p99ms }},
	} {
		slope, mean := fit(after, from, series.of)
		share := 0.0
		if mean != 0 {
			share = 100 * slope / mean
		}
		fmt.Printf("  %-13s %+10.3f /min  (%+.2f %% of %.1f)\n", series.name, slope, share, mean)
	}
}

// fit is the least-squares slope (per minute) and the mean of y over the samples.
func fit(rows []sample, from time.Time, y func(sample) float64) (slope, mean float64) {
	n := float64(len(rows))
	var sx, sy, sxx, sxy float64
	for _, s := range rows {
		x := s.at.Sub(from).Minutes()
		v := y(s)
		sx, sy, sxx, sxy = sx+x, sy+v, sxx+x*x, sxy+x*v
	}
	if d := n*sxx - sx*sx; d != 0 {
		slope = (n*sxy - sx*sy) / d
	}
	return slope, sy / n
}
