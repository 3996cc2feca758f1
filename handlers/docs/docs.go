// Package docs serves the contract, openapi.yaml as written and as JSON, and a reference page
// rendered from it by Redoc, bundled in the binary.
package docs

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/webhookd/webhookd"
	"github.com/webhookd/webhookd/gen"
)

// Docs serves the contract and a reference page rendered from it.
type Docs struct {
	// spec is openapi.yaml as JSON values, converted once at start-up.
	spec map[string]any
}

//go:embed assets/redoc.standalone.js
var redocScript []byte

// docsPage loads Redoc from the binary and the document from this server, by relative URLs so
// that the page also works behind a path prefix.
const docsPage = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>webhookd API reference</title>
</head>
<body>
  <redoc spec-url="openapi.json" hide-download-button="false"></redoc>
  <script src="docs/redoc.standalone.js"></script>
</body>
</html>
`

// New converts openapi.yaml to JSON once, for GET /openapi.json.
func New() (Docs, error) {
	doc, err := openapi3.NewLoader().LoadFromData(webhookd.OpenAPIYAML)
	if err != nil {
		return Docs{}, fmt.Errorf("openapi.yaml: %w", err)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return Docs{}, err
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		return Docs{}, err
	}
	return Docs{spec: spec}, nil
}

// GetOpenAPIYAML serves openapi.yaml as written.
func (d Docs) GetOpenAPIYAML(context.Context, gen.GetOpenAPIYAMLRequestObject) (gen.GetOpenAPIYAMLResponseObject, error) {
	return gen.GetOpenAPIYAML200ApplicationyamlResponse{Body: bytes.NewReader(webhookd.OpenAPIYAML), ContentLength: int64(len(webhookd.OpenAPIYAML))}, nil
}

// GetOpenAPIJSON serves openapi.yaml converted to JSON.
func (d Docs) GetOpenAPIJSON(context.Context, gen.GetOpenAPIJSONRequestObject) (gen.GetOpenAPIJSONResponseObject, error) {
	return gen.GetOpenAPIJSON200JSONResponse(d.spec), nil
}

// docsPolicy keeps the page to this service: Redoc's footer would otherwise fetch its logo from
// a CDN (the image is hidden when it fails). Redoc needs inline styles, workers and eval.
const docsPolicy = "default-src 'self' data: blob: 'unsafe-inline' 'unsafe-eval'"

// GetDocs serves the reference page.
func (d Docs) GetDocs(context.Context, gen.GetDocsRequestObject) (gen.GetDocsResponseObject, error) {
	return gen.GetDocs200TexthtmlResponse{Body: bytes.NewReader([]byte(docsPage)), ContentLength: int64(len(docsPage)),
		Headers: gen.GetDocs200ResponseHeaders{ContentSecurityPolicy: kit.Ptr(docsPolicy)}}, nil
}

// GetDocsScript serves Redoc's bundle.
func (d Docs) GetDocsScript(context.Context, gen.GetDocsScriptRequestObject) (gen.GetDocsScriptResponseObject, error) {
	return gen.GetDocsScript200ApplicationjavascriptResponse{Body: bytes.NewReader(redocScript), ContentLength: int64(len(redocScript))}, nil
}

// rootPage leads to the reference by a relative URL, so that it also works behind a path prefix.
const rootPage = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta http-equiv="refresh" content="0; url=docs">
  <title>webhookd</title>
</head>
<body>
  <p><a href="docs">API reference</a></p>
</body>
</html>
`

// GetRoot leads a visitor to the reference.
func (Docs) GetRoot(context.Context, gen.GetRootRequestObject) (gen.GetRootResponseObject, error) {
	return gen.GetRoot200TexthtmlResponse{Body: strings.NewReader(rootPage), ContentLength: int64(len(rootPage))}, nil
}
