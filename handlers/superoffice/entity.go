package superoffice

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"strings"

	"github.com/oapi-codegen/nullable"
	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
	"golang.org/x/net/http/httpguts"
)

// scope returns the account's SuperOffice installation, created with the account.
func (s SuperOffice) scope(ctx context.Context, q *db.Queries) (db.Scope, error) {
	account := kit.AccountFrom(ctx)
	scope, err := q.GetScope(ctx, db.GetScopeParams{Dialect: scopeSuperOffice, ExternalID: account.ID.String(), AccountID: account.ID})
	if err != nil {
		return db.Scope{}, fmt.Errorf("account %s has no SuperOffice scope: %w", account.ID, err)
	}
	return scope, nil
}

// soFields is a webhook entity checked and converted to the core's columns.
type soFields struct {
	Name, Url, Status, Type, ErrorsEmail string
	Events                               []string
	// Secret, Headers and Properties are nil where a replacing entity leaves them out: the
	// stored ones stay.
	Secret              *string
	Headers, Properties db.JSON
}

// soEntity checks an entity. A replacing entity may leave out Secret, Headers and Properties,
// which a new one has empty.
func soEntity(e *gen.Webhook, replacing bool) (soFields, error) {
	if e == nil {
		return soFields{}, kit.Invalid("", "Entity to save is not in request body")
	}
	name, _ := nv(e.Name)
	target, _ := nv(e.TargetUrl)
	typ, _ := nv(e.Type)
	email, _ := nv(e.ErrorsEmail)
	f := soFields{Name: name, Url: strings.TrimSpace(target), Type: typ, ErrorsEmail: email, Status: kit.StatusActive}
	if f.Type == "" {
		f.Type = soTypeWebhook
	}
	switch {
	case f.Type == soTypeWebhook:
		if !kit.AbsoluteURL(f.Url, "https") {
			return soFields{}, kit.Invalid("", "TargetUrl must be an https URL")
		}
	case f.Url == "":
		return soFields{}, kit.Invalid("", "TargetUrl must name the CRM script")
	}
	events, _ := nv(e.Events)
	if len(events) == 0 {
		return soFields{}, kit.Invalid("", "Events must name at least one event")
	}
	f.Events = kit.EventNames(events)
	if state, ok := nv(e.State); ok {
		switch state {
		case gen.WebhookStateNullableActive:
		case gen.WebhookStateNullableStopped:
			f.Status = statusStopped
		case gen.WebhookStateNullableTooManyErrors:
			f.Status = statusTooManyErrors
		default:
			return soFields{}, kit.Invalid("", "State must be Active, Stopped or TooManyErrors")
		}
	}
	if f.ErrorsEmail != "" {
		if _, err := mail.ParseAddress(f.ErrorsEmail); err != nil {
			return soFields{}, kit.Invalid("", "ErrorsEmail is not an email address")
		}
	}
	if secret, ok := nv(e.Secret); ok || !replacing {
		f.Secret = &secret
	}
	headers, ok := nv(e.Headers)
	for name, value := range headers {
		if !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(value) {
			return soFields{}, kit.Invalid("", fmt.Sprintf("Headers: %q is not a valid HTTP header", name))
		}
		if reservedHeader(name) {
			return soFields{}, kit.Invalid("", fmt.Sprintf("Headers: %s is set by the sender and cannot be overridden", http.CanonicalHeaderKey(name)))
		}
	}
	var err error
	if ok || !replacing {
		if f.Headers, err = json.Marshal(nonNilMap(headers)); err != nil {
			return soFields{}, err
		}
	}
	if properties, ok := nv(e.Properties); ok || !replacing {
		if f.Properties, err = json.Marshal(nonNilMap(properties)); err != nil {
			return soFields{}, err
		}
	}
	return f, nil
}

// nv returns a nullable member's value and whether it has one (neither absent nor null).
func nv[T any](n nullable.Nullable[T]) (T, bool) {
	v, err := n.Get()
	return v, err == nil
}

func nonNilMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

// reservedHeader names the headers a delivery sets itself.
func reservedHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "User-Agent",
		"X-Superoffice-Event", "X-Superoffice-Eventid", "X-Superoffice-Signature", "X-Superoffice-Retry":
		return true
	}
	return false
}

// selectMembers nulls every member that $select does not list (names are case-insensitive).
func selectMembers[T any](w T, selectParam *string) T {
	if selectParam == nil || strings.TrimSpace(*selectParam) == "" {
		return w
	}
	keep := map[string]bool{}
	for _, name := range strings.Split(*selectParam, ",") {
		keep[strings.ToLower(strings.TrimSpace(name))] = true
	}
	raw, err := json.Marshal(w)
	if err != nil {
		return w
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return w
	}
	for name := range members {
		if !keep[strings.ToLower(name)] {
			members[name] = json.RawMessage("null")
		}
	}
	raw, _ = json.Marshal(members)
	var out T
	if err := json.Unmarshal(raw, &out); err != nil {
		return w
	}
	return out
}
