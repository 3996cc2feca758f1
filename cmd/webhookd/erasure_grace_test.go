package main

import (
	"testing"

	"github.com/webhookd/webhookd/handlers/kit"
	"github.com/webhookd/webhookd/internal/erasure"
)

// The eraser leaves what requests write until no request that authenticated before the
// erasure began (or within the credential cache's second after it) can still be running.
func TestTheErasureGraceOutlastsEveryRequest(t *testing.T) {
	if longest := writeTimeout + kit.CredentialTTL; erasure.Defaults.Grace <= longest {
		t.Fatalf("erasure grace %v; want more than the longest request, %v", erasure.Defaults.Grace, longest)
	}
}
