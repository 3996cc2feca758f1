package bird

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// checkFilters accepts only the filter keys the event documents and enforces Bird's cap on
// subscriptions sharing one event and filter set. It returns the filters in stored form:
// deduplicated and sorted, so that equal sets compare equal.
func (b Bird) checkFilters(ctx context.Context, q *db.Queries, scopeID, exceptID uuid.UUID, service string, event birdEvent, requested []gen.WebhookEventFilter) (db.JSON, error) {
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
		return nil, &birdInvalid{fields}
	}
	filters := birdFilters(requested)
	slices.SortFunc(filters, func(a, b eventFilter) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	stored, err := json.Marshal(filters)
	if err != nil {
		return nil, err
	}
	if err := q.LockScope(ctx, scopeID); err != nil {
		return nil, err
	}
	n, err := q.CountSameFilterSubscriptions(ctx, db.CountSameFilterSubscriptionsParams{
		ScopeID: scopeID, Service: service, Events: []string{event.event}, Filters: stored, ExceptID: exceptID,
	})
	if err != nil {
		return nil, err
	}
	if n >= birdMaxSameFilters {
		return nil, &birdInvalid{[]kit.FieldError{{Path: "eventFilters", Message: fmt.Sprintf("at most %d subscriptions of a workspace may share an event and filter combination", birdMaxSameFilters)}}}
	}
	return stored, nil
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
