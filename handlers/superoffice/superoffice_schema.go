package superoffice

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// soWebhookSchema is the schema PUT /api/v1/Webhook/{id} validates its body with. A patched
// webhook is held to it too: a patch must not store what a PUT would refuse.
var soWebhookSchema = sync.OnceValues(func() (*openapi3.Schema, error) {
	spec, err := gen.GetSpec()
	if err != nil {
		return nil, err
	}
	item := spec.Paths.Value("/api/v1/Webhook/{id}")
	if item == nil || item.Put == nil || item.Put.RequestBody == nil || item.Put.RequestBody.Value == nil {
		return nil, errors.New("openapi.yaml: PUT /api/v1/Webhook/{id} has no request body")
	}
	mt := item.Put.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil, errors.New("openapi.yaml: PUT /api/v1/Webhook/{id} has no JSON body schema")
	}
	return mt.Schema.Value, nil
})

// checkPatchedWebhook validates a patched webhook as PUT validates its body; a failure is a
// SuperOffice 400 naming each offending member.
func checkPatchedWebhook(patched []byte) error {
	schema, err := soWebhookSchema()
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(patched, &v); err != nil {
		return kit.Invalid("", "the patched webhook is invalid: "+err.Error())
	}
	err = schema.VisitJSON(v, openapi3.VisitAsRequest(), openapi3.MultiErrors(),
		openapi3.WithStringFormatValidator("uuid", kit.UUIDFormat))
	if err == nil {
		return nil
	}
	var problems []string
	schemaProblems(err, &problems)
	sort.Strings(problems)
	return kit.Invalid("", "the patched webhook is invalid: "+strings.Join(problems, "; "))
}

// schemaProblems flattens kin-openapi's errors into "Member: reason" lines.
func schemaProblems(err error, out *[]string) {
	if multi, ok := err.(openapi3.MultiError); ok {
		for _, e := range multi {
			schemaProblems(e, out)
		}
		return
	}
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		*out = append(*out, err.Error())
		return
	}
	if se.Origin != nil {
		var inner *openapi3.SchemaError
		if _, ok := se.Origin.(openapi3.MultiError); ok || errors.As(se.Origin, &inner) {
			schemaProblems(se.Origin, out)
			return
		}
	}
	if path := strings.Join(se.JSONPointer(), "."); path != "" {
		*out = append(*out, path+": "+se.Reason)
		return
	}
	*out = append(*out, se.Reason)
}
