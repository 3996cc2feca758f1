package superoffice

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/oapi-codegen/nullable"
	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

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
