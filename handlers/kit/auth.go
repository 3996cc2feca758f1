package kit

import (
	"context"
	"net/http"
	"strings"
)

// Authorization returns the credential of an "Authorization: <scheme> <credential>" header;
// the scheme name is case-insensitive (RFC 9110 §11.1).
func Authorization(req *http.Request, scheme string) (string, bool) {
	name, credential, ok := strings.Cut(strings.TrimSpace(req.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(name, scheme) {
		return "", false
	}
	credential = strings.TrimSpace(credential)
	return credential, credential != ""
}

// SecretScheme authenticates "Authorization: <authScheme> <secret>" against the credentials of
// one kind.
func SecretScheme(credentials *Credentials, authScheme, kind string) Scheme {
	return func(ctx context.Context, req *http.Request, info *RequestInfo) error {
		key, ok := Authorization(req, authScheme)
		if !ok {
			return ErrUnauthenticated
		}
		account, err := credentials.BySecret(ctx, kind, key)
		if err != nil {
			return err
		}
		info.Account = &account
		return nil
	}
}
