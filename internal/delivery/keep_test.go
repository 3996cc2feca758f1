package delivery

import (
	"reflect"
	"testing"

	"github.com/google/uuid"
)

// What a subscription keeps of a batch follows the order of its outcomes, as if each had been
// written on its own.
func TestSubscriptionsKeepTheBatchInOrder(t *testing.T) {
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	k := subscriptionsKeep{index: map[uuid.UUID]int{}}
	k.add(a, false, true, "a gave up")  // streak +1
	k.add(b, false, false, "b retries") // error only
	k.add(a, true, false, "")           // a succeeded: streak 0, error cleared
	k.add(a, false, true, "a gave up again")
	k.add(b, true, false, "")
	k.add(c, false, false, "c retries")
	k.add(c, false, true, "c gave up")
	k.add(c, false, true, "c gave up twice")
	want := subscriptionsKeep{
		ids:      []uuid.UUID{a, b, c},
		resets:   []bool{true, true, false},
		failures: []int32{1, 0, 2},
		errors:   []string{"a gave up again", "", "c gave up twice"},
	}
	k.index = nil
	if !reflect.DeepEqual(k, want) {
		t.Errorf("kept %+v, want %+v", k, want)
	}
}
