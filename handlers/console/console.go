// Package console serves the web console: one HTML shell, plain ES modules and a style sheet,
// bundled in the binary. The page calls only the public admin API, with the token the console
// link carries in its fragment.
package console

import (
	"bytes"
	"context"
	"embed"
	"io/fs"
	"path"
	"strings"

	"github.com/webhookd/webhookd/gen"
)

// Policy keeps the console to its own files and this service's API; it lets nothing inline run,
// so text from the API can never become script.
const Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

//go:embed assets
var assets embed.FS

// Console serves the console's shell and files.
type Console struct{}

// Assets lists the files served under /console/, for the tests that hold them to openapi.yaml.
func Assets() []string {
	entries, _ := fs.ReadDir(assets, "assets")
	var names []string
	for _, e := range entries {
		if e.Name() != "index.html" {
			names = append(names, e.Name())
		}
	}
	return names
}

// GetConsole serves the shell.
func (Console) GetConsole(context.Context, gen.GetConsoleRequestObject) (gen.GetConsoleResponseObject, error) {
	page, err := assets.ReadFile("assets/index.html")
	if err != nil {
		return nil, err
	}
	return gen.GetConsole200TexthtmlResponse{Body: bytes.NewReader(page), ContentLength: int64(len(page)),
		Headers: gen.GetConsole200ResponseHeaders{ContentSecurityPolicy: Policy, ReferrerPolicy: "no-referrer",
			XContentTypeOptions: "nosniff", CacheControl: "no-cache"}}, nil
}

// GetConsoleAsset serves one of the console's modules or its style sheet. The front door
// admits only the names openapi.yaml lists.
func (Console) GetConsoleAsset(_ context.Context, req gen.GetConsoleAssetRequestObject) (gen.GetConsoleAssetResponseObject, error) {
	body, err := assets.ReadFile(path.Join("assets", req.Asset))
	if err != nil || req.Asset == "index.html" {
		return gen.GetConsoleAsset400JSONResponse{Code: gen.AdminErrorCodeInvalidRequest, Message: "asset: the console has no file " + req.Asset}, nil
	}
	headers := gen.GetConsoleAsset200ResponseHeaders{XContentTypeOptions: "nosniff", CacheControl: "no-cache"}
	if strings.HasSuffix(req.Asset, ".css") {
		return gen.GetConsoleAsset200TextcssResponse{Body: bytes.NewReader(body), ContentLength: int64(len(body)), Headers: headers}, nil
	}
	return gen.GetConsoleAsset200ApplicationjavascriptResponse{Body: bytes.NewReader(body), ContentLength: int64(len(body)), Headers: headers}, nil
}
