package ingest

import (
	"context"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/admin"
	"github.com/webhookd/webhookd/handlers/kit"
)

// credentialKind is how ingestion keys are stored among an account's credentials.
const credentialKind = "ingest"

// API is ingestion for an account's backend, in the service's own words, with room for a batch
// of 5,000 events.
func API(credentials *kit.Credentials) kit.API {
	api := admin.Shaped("ingest", []string{"/ingest/"}, 8<<20)
	api.Schemes = map[string]kit.Scheme{"ingestKey": kit.SecretScheme(credentials, "Bearer", credentialKind)}
	api.Provision = provision
	return api
}

// provision gives an account the key its backend sends events with.
func provision(ctx context.Context, q *db.Queries, account db.Account, out *gen.AccountCreated) error {
	out.Ingest = gen.IngestCredentials{Key: kit.NewSecret()}
	return q.CreateCredential(ctx, db.CreateCredentialParams{AccountID: account.ID, Kind: credentialKind, SecretSha256: kit.Digest(out.Ingest.Key)})
}
