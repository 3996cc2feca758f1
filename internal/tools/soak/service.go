package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/webhookd/webhookd/internal/tools/process"
)

const adminToken = "soak-admin-token"

// service is the webhookd process under soak.
type service struct{ *process.Service }

func startService(ctx context.Context, binary, databaseURL string, retention time.Duration) (*service, error) {
	logFile, err := os.CreateTemp("", "webhookd-soak-*.log")
	if err != nil {
		return nil, err
	}
	svc, err := process.Start(ctx, binary, []string{"DATABASE_URL=" + databaseURL,
		"WEBHOOKS_ADMIN_TOKEN=" + adminToken, "WEBHOOKS_ALLOWED_TARGETS=127.0.0.0/8",
		"WEBHOOKS_RETENTION=" + retention.String(),
		// Retries within seconds, so that failed deliveries are retried, settled or given up
		// many times over during the soak.
		"WEBHOOKS_RETRY_SCALE=0.001"}, logFile)
	if err != nil {
		return nil, err
	}
	return &service{svc}, nil
}

func (s *service) stop() { s.Stop() }

// tenant is one account with a Voucherify webhook and a Shipping subscription on the receiver.
type tenant struct {
	id, ingestKey              string
	projectID, hookID          string
	hookTarget                 string
	managementID, managementTk string
}

func (t tenant) voucherify() http.Header {
	return http.Header{"X-Management-Id": {t.managementID}, "X-Management-Token": {t.managementTk}}
}

func (s *service) provision(ctx context.Context, receiver string, n int) ([]tenant, error) {
	admin := http.Header{"Authorization": {"Bearer " + adminToken}}
	var out []tenant
	for i := range n {
		var a struct {
			Id         string
			Ingest     struct{ Key string }
			Voucherify struct{ ProjectId, ManagementId, ManagementToken string }
			Shipping   struct{ ApiKey string }
		}
		if err := s.Call(ctx, http.MethodPost, "/admin/v1/accounts", admin, fmt.Sprintf(`{"name":"soak-%d"}`, i), &a); err != nil {
			return nil, err
		}
		t := tenant{id: a.Id, ingestKey: a.Ingest.Key, projectID: a.Voucherify.ProjectId,
			managementID: a.Voucherify.ManagementId, managementTk: a.Voucherify.ManagementToken}
		var hook struct{ Id string }
		t.hookTarget = receiver + "/voucherify/" + t.id
		body := fmt.Sprintf(`{"target_url":%q,"events":["voucher.created","voucher.updated"]}`, t.hookTarget)
		if err := s.Call(ctx, http.MethodPost, t.webhooksPath(), t.voucherify(), body, &hook); err != nil {
			return nil, err
		}
		t.hookID = hook.Id
		shipping := http.Header{"Authorization": {"Bearer " + a.Shipping.ApiKey}}
		body = fmt.Sprintf(`{"name":"soak","url":%q,"events":["tracking_parcel.created"]}`, receiver+"/shipping/"+t.id)
		if err := s.Call(ctx, http.MethodPost, "/v1/webhook-subscriptions", shipping, body, &struct{}{}); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (t tenant) webhooksPath() string { return "/management/v1/projects/" + t.projectID + "/webhooks" }

// isServerFault tells a 5xx answer or a failed call from a refusal the client caused.
func isServerFault(err error) bool {
	var se *process.StatusError
	return !errors.As(err, &se) || se.Status >= 500
}
