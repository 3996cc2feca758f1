package bird

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// storedFilters accepts only the filter keys the event documents and returns the filters in
// stored form: deduplicated and sorted, so that equal sets compare equal in Bird's cap on
// subscriptions sharing one event and filter set.
func storedFilters(event birdEvent, requested []gen.WebhookEventFilter) (db.JSON, error) {
	var fields []kit.FieldError
	for i, f := range requested {
		if !slices.Contains(event.filterKeys, f.Key) {
			keys := make([]string, len(event.filterKeys))
			for j, k := range event.filterKeys {
				keys[j] = string(k)
			}
			fields = append(fields, kit.FieldError{
				Path:    fmt.Sprintf("eventFilters[%d].key", i),
				Message: fmt.Sprintf("event %q can be filtered only by: %s", event.event, strings.Join(keys, ", ")),
			})
		}
	}
	if fields != nil {
		return nil, &kit.InvalidError{Fields: fields}
	}
	filters := birdFilters(requested)
	slices.SortFunc(filters, func(a, b eventFilter) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	return json.Marshal(filters)
}

// crowded is the 422 for a subscription that would exceed Bird's cap.
func crowded() error {
	return kit.Invalid("eventFilters", fmt.Sprintf("at most %d subscriptions of a workspace may share an event and filter combination", birdMaxSameFilters))
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
