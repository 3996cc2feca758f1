package kit

import (
	"testing"
)

func TestPageOffset(t *testing.T) {
	t.Parallel()
	const maxInt = int(^uint(0) >> 1)
	for _, tt := range []struct {
		page, size int
		total      int64
		want       int32
	}{
		{1, 10, 0, 0},
		{1, 10, 25, 0},
		{2, 10, 25, 10},
		{3, 10, 25, 20},
		{4, 10, 25, 25},
		{maxInt, 15, 25, 25},
		{maxInt, 100, 1 << 40, 1<<31 - 1},
	} {
		if got := PageOffset(tt.page, tt.size, tt.total); got != tt.want {
			t.Errorf("pageOffset(%d, %d, %d) = %d, want %d", tt.page, tt.size, tt.total, got, tt.want)
		}
	}
}
