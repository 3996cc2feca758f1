package handlers

import (
	"sync"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/webhookd/webhookd/handlers/superoffice"
)

var registerDecoders sync.Once

// RegisterBodyDecoders teaches kin-openapi (process-wide) to read the media types of
// openapi.yaml that it does not know (SuperOffice's XML and text/json, the reference page), so
// that such bodies can be validated against the spec.
func RegisterBodyDecoders() {
	registerDecoders.Do(func() {
		openapi3filter.RegisterBodyDecoder("application/xml", superoffice.DecodeXMLBody)
		openapi3filter.RegisterBodyDecoder("text/xml", superoffice.DecodeXMLBody)
		openapi3filter.RegisterBodyDecoder("text/json", superoffice.DecodeTextJSONBody)
		// The reference page and its script are text to the spec.
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/javascript", openapi3filter.FileBodyDecoder)
	})
}
