package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// Conversions between database rows and wire types live here, so that neither leaks into the
// other's layer.

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

func soState(status string) gen.WebhookState {
	switch status {
	case kit.StatusActive:
		return gen.WebhookStateActive
	case statusTooManyErrors:
		return gen.WebhookStateTooManyErrors
	}
	return gen.WebhookStateStopped
}

// toSuperOfficeEntity is the stored webhook as a request entity, the document patches apply to.
func toSuperOfficeEntity(r db.Subscription) gen.Webhook {
	w := toSuperOfficeWebhook(context.Background(), r, db.Scope{})
	return gen.Webhook{
		WebhookId: w.WebhookId, Name: w.Name, Events: w.Events, TargetUrl: w.TargetUrl, Secret: w.Secret,
		State: w.State, Type: w.Type, Headers: w.Headers, Properties: w.Properties, ErrorsEmail: w.ErrorsEmail,
	}
}

func toSuperOfficeWebhook(ctx context.Context, r db.Subscription, scope db.Scope) gen.WebhookWithLinks {
	id, _ := strconv.Atoi(r.ExternalID)
	headers := map[string]string{}
	properties := map[string]any{}
	_ = json.Unmarshal(r.Headers, &headers)
	_ = json.Unmarshal(r.Properties, &properties)
	associate := soAssociate(scope)
	return gen.WebhookWithLinks{
		WebhookId:           nullable.NewNullableWithValue(int32(id)),
		Name:                nullable.NewNullableWithValue(r.Name),
		Events:              nullable.NewNullableWithValue(slices.Clone(r.Events)),
		TargetUrl:           nullable.NewNullableWithValue(r.Url),
		Secret:              nullable.NewNullableWithValue(r.Secret),
		State:               nullable.NewNullableWithValue(gen.WebhookStateNullable(soState(r.Status))),
		Type:                nullable.NewNullableWithValue(r.Service),
		Headers:             nullable.NewNullableWithValue(headers),
		Properties:          nullable.NewNullableWithValue(properties),
		ErrorsEmail:         nullable.NewNullableWithValue(r.ErrorsEmail),
		Registered:          nullable.NewNullableWithValue(r.CreatedAt.UTC()),
		RegisteredAssociate: nullable.NewNullableWithValue(associate),
		Updated:             nullable.NewNullableWithValue(r.UpdatedAt.UTC()),
		UpdatedAssociate:    nullable.NewNullableWithValue(associate),
		UnderscoreLinks:     nullable.NewNullableWithValue(map[string]string{"Self": kit.InfoFrom(ctx).BaseURL + "/api/v1/Webhook/" + r.ExternalID}),
	}
}

// soAssociate is the account's SuperOffice user, who registers and updates every webhook.
func soAssociate(scope db.Scope) gen.Associate {
	id, _ := strconv.Atoi(scope.ParentID)
	return gen.Associate{
		AssociateId: kit.Ptr(int32(id)), Name: kit.Ptr(scope.Name), PersonId: kit.Ptr(int32(0)), Rank: kit.Ptr(int32(0)),
		Tooltip: kit.Ptr(scope.Name), Type: kit.Ptr(gen.InternalAssociate), GroupIdx: kit.Ptr(int32(0)),
		FullName: kit.Ptr(scope.Name), FormalName: kit.Ptr(scope.Name), Deleted: kit.Ptr(false), EjUserId: kit.Ptr(int32(0)),
		UserName: kit.Ptr(scope.Name),
	}
}
