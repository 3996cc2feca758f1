package frontdoor

import (
	"context"
	"fmt"

	"github.com/google/uuid"

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
	info := kit.InfoFrom(req.Context())
	if err := f(ctx, req, info); err != nil {
		return err
	}
	return ownAccountOnly(in.RequestValidationInput.PathParams, info)
}

// accountParam is the path parameter that names an account (the admin API's {accountId}).
const accountParam = "accountId"

// ownAccountOnly keeps a caller that authenticated as one account (a portal session) to the
// paths of that account: where a path names an account, it must be the caller's, or the
// request is refused with kit.ErrOtherAccount before its body is read or a handler runs. It
// is checked here, where every authenticated request passes, so that no operation can forget
// it. A caller of no account (the operator's admin token) may name any.
func ownAccountOnly(pathParams map[string]string, info *kit.RequestInfo) error {
	named, ok := pathParams[accountParam]
	if !ok || info.Account == nil {
		return nil
	}
	if id, err := uuid.Parse(named); err == nil && id == info.Account.ID {
		return nil
	}
	info.Account, info.Caller = nil, ""
	return kit.ErrOtherAccount
}
