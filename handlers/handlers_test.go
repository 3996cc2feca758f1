package handlers_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery/formats"
)

// serviceTags are the tags of openapi.yaml that name this service's own operations; every other
// tag is a vendor's dialect.
var serviceTags = map[string]bool{"system": true, "admin": true, "ingest": true, "inspector": true}

// Every vendor of openapi.yaml is wired in everywhere a vendor must be: its operations are
// served (the front door refuses to start otherwise), a new account is provisioned in it and
// shows its identifiers there, and deliveries have a format and a dialect for it.
func TestEveryVendorIsRegisteredEverywhere(t *testing.T) {
	t.Parallel()
	spec := apitest.Spec(t)
	env := apitest.New(t)
	created := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/admin/v1/accounts", Header: apitest.Admin(), Body: `{"name": "acme"}`}).Map(t)
	view := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/" + created["id"].(string), Header: apitest.Admin()}).Map(t)
	schemas := spec.Components.Schemas
	var deliveryDialects []string
	for _, v := range schemas["Delivery"].Value.Properties["dialect"].Value.Enum {
		deliveryDialects = append(deliveryDialects, v.(string))
	}
	vendors := 0
	for _, tag := range spec.Tags {
		if serviceTags[tag.Name] {
			continue
		}
		vendors++
		if created[tag.Name] == nil {
			t.Errorf("%s: a new account gets no credentials there", tag.Name)
		}
		if schemas["Account"].Value.Properties[tag.Name] != nil && view[tag.Name] == nil {
			t.Errorf("%s: an account does not show its identifiers there", tag.Name)
		}
		if f, ok := formats.Default.Lookup(tag.Name); !ok || f.Name() != tag.Name {
			t.Errorf("%s: deliveries have no format for it", tag.Name)
		}
		if !slices.Contains(deliveryDialects, tag.Name) {
			t.Errorf("%s: Delivery.dialect does not list it", tag.Name)
		}
	}
	if names := formats.Default.Names(); vendors != len(names) || vendors != len(deliveryDialects) {
		t.Errorf("%d vendors in openapi.yaml, delivery formats for %v, delivery dialects %v", vendors, names, deliveryDialects)
	}
}
