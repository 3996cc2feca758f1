package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/webhookd/webhookd/gen/client"
	"github.com/webhookd/webhookd/internal/apitest"
)

// The Go client generated from openapi.yaml drives a whole lifecycle of every dialect.
func TestGeneratedClientDrivesEveryDialect(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	with := func(pairs ...string) client.RequestEditorFn {
		return func(_ context.Context, r *http.Request) error {
			for i := 0; i+1 < len(pairs); i += 2 {
				r.Header.Set(pairs[i], pairs[i+1])
			}
			return nil
		}
	}
	c, err := client.NewClientWithResponses(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, status, want int, body []byte) {
		t.Helper()
		if status != want {
			t.Fatalf("%s: %d %s", what, status, body)
		}
	}

	admin := with("Authorization", "Bearer "+apitest.AdminToken)
	created, err := c.AdminCreateAccountWithResponse(ctx, client.AccountCreate{Name: "acme"}, admin)
	if err != nil {
		t.Fatal(err)
	}
	check("create account", created.StatusCode(), 201, created.Body)
	a := created.JSON201

	t.Run("voucherify", func(t *testing.T) {
		auth := with("X-Management-Id", a.Voucherify.ManagementId, "X-Management-Token", a.Voucherify.ManagementToken)
		project := a.Voucherify.ProjectId
		cr, err := c.VoucherifyCreateWebhookWithResponse(ctx, project, client.ManagementProjectsWebhooksCreateRequestBody{
			TargetUrl: "https://example.com/v", Events: []client.ManagementProjectsWebhookEvent{"voucher.created"}}, auth)
		if err != nil {
			t.Fatal(err)
		}
		check("create", cr.StatusCode(), 200, cr.Body)
		id := cr.JSON200.Id
		gr, _ := c.VoucherifyGetWebhookWithResponse(ctx, project, id, auth)
		check("get", gr.StatusCode(), 200, gr.Body)
		ur, _ := c.VoucherifyUpdateWebhookWithResponse(ctx, project, id, client.ManagementProjectsWebhooksUpdateRequestBody{
			TargetUrl: "https://example.com/v2", Events: []client.ManagementProjectsWebhookEvent{"voucher.deleted"}}, auth)
		check("update", ur.StatusCode(), 200, ur.Body)
		if ur.JSON200.TargetUrl != "https://example.com/v2" {
			t.Errorf("update = %+v", ur.JSON200)
		}
		lr, _ := c.VoucherifyListWebhooksWithResponse(ctx, project, auth)
		check("list", lr.StatusCode(), 200, lr.Body)
		if lr.JSON200.Total != 1 {
			t.Errorf("list = %+v", lr.JSON200)
		}
		dr, _ := c.VoucherifyDeleteWebhookWithResponse(ctx, project, id, auth)
		check("delete", dr.StatusCode(), 204, dr.Body)
	})

	t.Run("bird", func(t *testing.T) {
		auth := with("Authorization", "AccessKey "+a.Bird.AccessKey)
		ws := a.Bird.WorkspaceId
		cr, err := c.BirdCreateWebhookSubscriptionWithResponse(ctx, ws, client.CreateWebhookSubscription{
			Service: client.Channels, Event: "sms.outbound", Url: "https://example.com/b"}, auth)
		if err != nil {
			t.Fatal(err)
		}
		check("create", cr.StatusCode(), 201, cr.Body)
		id := cr.JSON201.Id
		gr, _ := c.BirdGetWebhookSubscriptionWithResponse(ctx, ws, id, auth)
		check("get", gr.StatusCode(), 200, gr.Body)
		status := client.WebhookSubscriptionStatusInactive
		ur, _ := c.BirdUpdateWebhookSubscriptionWithResponse(ctx, ws, id, client.UpdateWebhookSubscription{Status: &status}, auth)
		check("update", ur.StatusCode(), 200, ur.Body)
		if ur.JSON200.Status != client.WebhookSubscriptionStatusInactive {
			t.Errorf("update = %+v", ur.JSON200)
		}
		lr, _ := c.BirdListWebhookSubscriptionsWithResponse(ctx, ws, nil, auth)
		check("list", lr.StatusCode(), 200, lr.Body)
		if len(lr.JSON200.Results) != 1 {
			t.Errorf("list = %+v", lr.JSON200)
		}
		dr, _ := c.BirdDeleteWebhookSubscriptionWithResponse(ctx, ws, id, auth)
		check("delete", dr.StatusCode(), 204, dr.Body)
	})

	t.Run("superoffice", func(t *testing.T) {
		auth := with("Authorization", "SOTicket "+a.Superoffice.Ticket)
		cr, err := c.SuperOfficePostWebhookWithResponse(ctx, nil, client.Webhook{
			Name: nullable.NewNullableWithValue("Orders"), Events: nullable.NewNullableWithValue([]string{"sale.changed"}),
			TargetUrl: nullable.NewNullableWithValue("https://example.com/so")}, auth)
		if err != nil {
			t.Fatal(err)
		}
		check("create", cr.StatusCode(), 200, cr.Body)
		id := cr.JSON200.WebhookId.MustGet()
		gr, _ := c.SuperOfficeGetWebhookWithResponse(ctx, id, nil, auth)
		check("get", gr.StatusCode(), 200, gr.Body)
		pr, _ := c.SuperOfficePatchWebhookWithApplicationJSONPatchPlusJSONBodyWithResponse(ctx, id, nil, client.JsonPatch{
			{Op: client.Replace, Path: "/Name", Value: "Orders v2"}}, auth)
		check("patch", pr.StatusCode(), 200, pr.Body)
		if pr.JSON200.Name.MustGet() != "Orders v2" {
			t.Errorf("patch = %s", pr.Body)
		}
		lr, _ := c.SuperOfficeGetAllWebhooksWithResponse(ctx, nil, auth)
		check("list", lr.StatusCode(), 200, lr.Body)
		if len(*lr.JSON200) != 1 {
			t.Errorf("list = %s", lr.Body)
		}
		dr, _ := c.SuperOfficeDeleteWebhookWithResponse(ctx, id, auth)
		check("delete", dr.StatusCode(), 204, dr.Body)
	})

	t.Run("shipping", func(t *testing.T) {
		auth := with("Authorization", "Bearer "+a.Shipping.ApiKey)
		cr, err := c.ShippingCreateWebhookSubscriptionWithResponse(ctx, client.ShippingWebhookSubscriptionCreate{
			Name: "parcels", Url: "https://example.com/s", Events: []client.ShippingWebhookEvent{"shipment.created"}}, auth)
		if err != nil {
			t.Fatal(err)
		}
		check("create", cr.StatusCode(), 201, cr.Body)
		id := cr.JSON201.Data.Id
		gr, _ := c.ShippingGetWebhookSubscriptionWithResponse(ctx, id, auth)
		check("get", gr.StatusCode(), 200, gr.Body)
		ur, _ := c.ShippingUpdateWebhookSubscriptionWithResponse(ctx, id, client.ShippingWebhookSubscriptionUpdate{Name: "renamed"}, auth)
		check("update", ur.StatusCode(), 200, ur.Body)
		if ur.JSON200.Data.Name != "renamed" {
			t.Errorf("update = %s", ur.Body)
		}
		lr, _ := c.ShippingListWebhookSubscriptionsWithResponse(ctx, nil, auth)
		check("list", lr.StatusCode(), 200, lr.Body)
		if lr.JSON200.Meta.Total != 1 {
			t.Errorf("list = %s", lr.Body)
		}
		dr, _ := c.ShippingDeleteWebhookSubscriptionWithResponse(ctx, id, auth)
		check("delete", dr.StatusCode(), 204, dr.Body)
	})

	t.Run("arkyn", func(t *testing.T) {
		login, err := c.ArkynAuthUserWithResponse(ctx, client.ArkynAuthRequest{Email: a.Arkyn.Email, Password: a.Arkyn.Password})
		if err != nil {
			t.Fatal(err)
		}
		check("login", login.StatusCode(), 200, login.Body)
		auth := with("Authorization", "Bearer "+login.JSON200.Token)
		cr, _ := c.ArkynCreateTrafficSourceWithResponse(ctx, client.ArkynTrafficSourceCreate{Name: "api", TrafficDomain: "api.acme.test"}, auth)
		check("create traffic source", cr.StatusCode(), 201, cr.Body)
		source := openapi_types.UUID(cr.JSON201.Id)
		gr, _ := c.ArkynGetWebhookWithResponse(ctx, source, auth)
		check("get webhook", gr.StatusCode(), 200, gr.Body)
		ur, _ := c.ArkynUpdateWebhookWithResponse(ctx, source, client.ArkynWebhookUpdate{DiscordChannelId: nullable.NewNullableWithValue("987654321098765432")}, auth)
		check("update webhook", ur.StatusCode(), 200, ur.Body)
		if ur.JSON200.DiscordChannelId.MustGet() != "987654321098765432" {
			t.Errorf("update = %s", ur.Body)
		}
		off, _ := c.ArkynUpdateWebhookWithResponse(ctx, source, client.ArkynWebhookUpdate{DiscordChannelId: nullable.NewNullNullable[string]()}, auth)
		check("disable", off.StatusCode(), 200, off.Body)
		if !off.JSON200.DiscordChannelId.IsNull() {
			t.Errorf("disable = %s", off.Body)
		}
		lr, _ := c.ArkynListTrafficSourcesWithResponse(ctx, nil, auth)
		check("list", lr.StatusCode(), 200, lr.Body)
		if lr.JSON200.Meta.Total != 2 {
			t.Errorf("list = %s", lr.Body)
		}
	})
}
