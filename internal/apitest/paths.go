package apitest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/webhookd/webhookd/gen"
)

// VoucherifyWebhooksPath is the collection of the account's Voucherify webhooks.
func VoucherifyWebhooksPath(a gen.AccountCreated) string {
	return "/management/v1/projects/" + a.Voucherify.ProjectId + "/webhooks"
}

// BirdSubscriptionsPath is the collection of the account's Bird webhook subscriptions.
func BirdSubscriptionsPath(a gen.AccountCreated) string {
	return "/workspaces/" + a.Bird.WorkspaceId.String() + "/webhook-subscriptions"
}

// CreateBirdSubscription creates a Bird webhook subscription from a JSON body, or fails the test.
func CreateBirdSubscription(t testing.TB, env *Env, a gen.AccountCreated, body string) gen.WebhookSubscription {
	t.Helper()
	resp := env.Do(t, Request{Method: http.MethodPost, Path: BirdSubscriptionsPath(a), Header: Bird(a), Body: body})
	if resp.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.Status, resp.Body)
	}
	var s gen.WebhookSubscription
	resp.Decode(t, &s)
	return s
}

// SuperOfficeWebhooksPath is the collection of SuperOffice's REST webhooks.
const SuperOfficeWebhooksPath = "/api/v1/Webhook"

// ArkynLogin signs in as the account's Arkyn user and returns the session's header.
func ArkynLogin(t testing.TB, env *Env, a gen.AccountCreated) http.Header {
	t.Helper()
	resp := env.Do(t, Request{Method: http.MethodPost, Path: "/user/auth",
		Body: map[string]string{"email": a.Arkyn.Email, "password": a.Arkyn.Password}})
	if resp.Status != http.StatusOK {
		t.Fatalf("login: %d %s", resp.Status, resp.Body)
	}
	var token gen.ArkynAuthResponse
	resp.Decode(t, &token)
	if strings.Count(token.Token, ".") != 2 {
		t.Errorf("token %q is not shaped like a JWT", token.Token)
	}
	return Header("Authorization", "Bearer "+token.Token)
}

// ShippingSubscriptionsPath is the collection of Shipping's webhook subscriptions.
const ShippingSubscriptionsPath = "/v1/webhook-subscriptions"

// Spec loads openapi.yaml from the repository, validated with its examples.
func Spec(t testing.TB) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromFile(specPath())
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("openapi.yaml does not validate: %v", err)
	}
	return spec
}

// CreateShipping creates a Shipping webhook subscription from a JSON body, or fails the test.
func CreateShipping(t testing.TB, env *Env, a gen.AccountCreated, body string) gen.ShippingWebhookSubscription {
	t.Helper()
	resp := env.Do(t, Request{Method: http.MethodPost, Path: ShippingSubscriptionsPath, Header: Shipping(a), Body: body})
	if resp.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.Status, resp.Body)
	}
	var created gen.ShippingWebhookSubscriptionEnvelope
	resp.Decode(t, &created)
	return created.Data
}

// CreateSuperOfficeWebhook creates a SuperOffice webhook from a JSON body and returns its id,
// or fails the test.
func CreateSuperOfficeWebhook(t testing.TB, env *Env, a gen.AccountCreated, body string) int32 {
	t.Helper()
	resp := env.Do(t, Request{Method: http.MethodPost, Path: SuperOfficeWebhooksPath, Header: SuperOffice(a), Body: body})
	if resp.Status != http.StatusOK {
		t.Fatalf("create: %d %s", resp.Status, resp.Body)
	}
	var created struct{ WebhookId int32 }
	resp.Decode(t, &created)
	return created.WebhookId
}

// WithContentType returns a copy of h that sends its body as ct.
func WithContentType(h http.Header, ct string) http.Header {
	h = h.Clone()
	h.Set("Content-Type", ct)
	return h
}
