package frontdoor

import (
	"context"
	"fmt"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// authenticator implements every security scheme of openapi.yaml. On success it records the
// caller's account in the request's requestInfo.
type authenticator struct {
	schemes map[string]kit.Scheme
}

// newAuthenticator collects the security schemes every dialect declares.
func newAuthenticator(apis registry) *authenticator {
	a := &authenticator{schemes: map[string]kit.Scheme{}}
	for _, api := range apis {
		for name, f := range api.Schemes {
			a.schemes[name] = f
		}
	}
	return a
}

func (a *authenticator) authenticate(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	f, ok := a.schemes[in.SecuritySchemeName]
	if !ok {
		return fmt.Errorf("security scheme %q has no authenticator", in.SecuritySchemeName)
	}
	req := in.RequestValidationInput.Request
	return f(ctx, req, kit.InfoFrom(req.Context()))
}
