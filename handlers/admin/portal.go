package admin

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"log/slog"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// Portal sessions let an account's own people into the console for a while.
const (
	defaultPortalTTLSeconds = 3600
	// maxListedPortalSessions bounds the list: sessions are deleted a day after they expire,
	// so only an operator opening sessions in bulk would have more.
	maxListedPortalSessions = 100
)

// Audited actions.
const (
	auditPortalSessionCreated = "portal_session_created"
	auditPortalSessionRevoked = "portal_session_revoked"
)

// AdminCreatePortalSession opens a session of the account and returns its token, once, with
// the console's link; only the token's digest is stored.
func (a Admin) AdminCreatePortalSession(ctx context.Context, req gen.AdminCreatePortalSessionRequestObject) (gen.AdminCreatePortalSessionResponseObject, error) {
	ttl := defaultPortalTTLSeconds
	if req.Body != nil && req.Body.TtlSeconds != nil {
		ttl = *req.Body.TtlSeconds // 300 to 604800, as validated
	}
	token := newPortalToken()
	id := uuid.New()
	created, err := a.Q.CreatePortalSession(ctx, db.CreatePortalSessionParams{
		AccountID: req.AccountId, ID: id, TokenSha256: kit.Digest(token), TtlSeconds: float64(ttl),
	})
	if err != nil {
		return nil, err
	} else if created == 0 {
		return gen.AdminCreatePortalSession404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	}
	row, err := a.Q.GetPortalSession(ctx, db.GetPortalSessionParams{AccountID: req.AccountId, ID: id})
	if err != nil {
		return nil, err
	}
	a.Audit.Record(ctx, auditPortalSessionCreated, row.AccountID,
		slog.String("session_id", row.ID.String()), slog.Time("expires_at", row.ExpiresAt.UTC()))
	session := toPortalSession(row)
	session.Token = &token
	session.Url = kit.Ptr(kit.InfoFrom(ctx).BaseURL + "/console#account=" + req.AccountId.String() + "&token=" + token)
	return gen.AdminCreatePortalSession201JSONResponse(session), nil
}

// AdminListPortalSessions lists the account's sessions, newest first, without tokens.
func (a Admin) AdminListPortalSessions(ctx context.Context, req gen.AdminListPortalSessionsRequestObject) (gen.AdminListPortalSessionsResponseObject, error) {
	if _, err := a.account(ctx, req.AccountId); kit.IsNotFound(err) {
		return gen.AdminListPortalSessions404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	rows, err := a.Q.ListPortalSessions(ctx, db.ListPortalSessionsParams{AccountID: req.AccountId, MaxRows: maxListedPortalSessions})
	if err != nil {
		return nil, err
	}
	list := gen.PortalSessionList{Results: make([]gen.PortalSession, len(rows))}
	for i, r := range rows {
		list.Results[i] = toPortalSession(r)
	}
	return gen.AdminListPortalSessions200JSONResponse(list), nil
}

// AdminRevokePortalSession ends a session: authentication reads the session on every request,
// so its token is refused from the next one on, on every instance.
func (a Admin) AdminRevokePortalSession(ctx context.Context, req gen.AdminRevokePortalSessionRequestObject) (gen.AdminRevokePortalSessionResponseObject, error) {
	row, err := a.Q.RevokePortalSession(ctx, db.RevokePortalSessionParams{AccountID: req.AccountId, ID: req.SessionId})
	if errors.Is(err, sql.ErrNoRows) {
		return gen.AdminRevokePortalSession404JSONResponse{Code: "not_found", Message: "portal session not found"}, nil
	} else if err != nil {
		return nil, err
	}
	a.Audit.Record(ctx, auditPortalSessionRevoked, row.AccountID, slog.String("session_id", row.ID.String()))
	return gen.AdminRevokePortalSession204Response{}, nil
}

// newPortalToken is "wps_" and 32 random bytes, base64url without padding (fit for a URL's
// fragment).
func newPortalToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails (Go 1.24+)
	return portalTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}
