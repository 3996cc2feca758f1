package bird

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// Conversions between database rows and Bird's wire types.

// eventFilter is the stored form of a key/value filter, shared by every dialect that has them.
type eventFilter struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func toBirdSubscription(s db.Subscription, workspace db.Scope) (gen.WebhookSubscription, error) {
	var stored []eventFilter
	if err := json.Unmarshal(s.Filters, &stored); err != nil {
		return gen.WebhookSubscription{}, fmt.Errorf("subscription %s filters: %w", s.ID, err)
	}
	filters := make([]gen.WebhookEventFilter, len(stored))
	for i, f := range stored {
		filters[i] = gen.WebhookEventFilter{Key: gen.WebhookEventFilterKey(f.Key), Value: f.Value}
	}
	event := ""
	if len(s.Events) > 0 {
		event = s.Events[0]
	}
	out := gen.WebhookSubscription{
		Id:             uuid.MustParse(s.ExternalID),
		OrganizationId: uuid.MustParse(workspace.ParentID),
		WorkspaceId:    uuid.MustParse(workspace.ExternalID),
		Service:        gen.WebhookService(s.Service),
		Event:          event,
		EventFilters:   &filters,
		Template:       kit.Ptr(s.Template),
		Url:            s.Url,
		Status:         gen.WebhookSubscriptionStatus(birdStatus(s.Status)),
		CreatedAt:      kit.Ptr(s.CreatedAt.UTC()),
		UpdatedAt:      kit.Ptr(s.UpdatedAt.UTC()),
	}
	if s.Secret != "" {
		out.SigningKey = kit.Ptr(s.Secret)
	}
	if s.StatusReason != "" {
		out.StatusReason = kit.Ptr(s.StatusReason)
	}
	return out, nil
}

// birdStatus maps the core's statuses onto Bird's two: a subscription the delivery engine
// stopped is inactive, and statusReason says why.
func birdStatus(status string) string {
	if status == kit.StatusActive {
		return kit.StatusActive
	}
	return kit.StatusInactive
}

func birdFilters(filters []gen.WebhookEventFilter) []eventFilter {
	out := make([]eventFilter, 0, len(filters))
	seen := map[eventFilter]bool{}
	for _, f := range filters {
		ef := eventFilter{Key: string(f.Key), Value: f.Value}
		if !seen[ef] {
			seen[ef] = true
			out = append(out, ef)
		}
	}
	return out
}
