package retention

import "time"

// GridStart is the start of the slice t falls in, on the grid the keeper cuts.
func GridStart(t time.Time, width time.Duration) time.Time { return floor(t, width) }
