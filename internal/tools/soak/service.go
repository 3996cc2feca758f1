package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/webhookd/webhookd/internal/pgcluster"
)

const adminToken = "soak-admin-token"

// service is the webhookd process under soak.
type service struct {
	cmd  *exec.Cmd
	base string
	http *http.Client
	log  string
}

func startService(ctx context.Context, binary, databaseURL string, retention time.Duration) (*service, error) {
	port, err := pgcluster.FreePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.CreateTemp("", "webhookd-soak-*.log")
	if err != nil {
		return nil, err
	}
	s := &service{
		base: fmt.Sprintf("http://127.0.0.1:%d", port),
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}},
		log:  logFile.Name(),
	}
	s.cmd = exec.CommandContext(ctx, binary)
	s.cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "DATABASE_URL="+databaseURL,
		"WEBHOOKS_ADMIN_TOKEN="+adminToken, "WEBHOOKS_ALLOWED_TARGETS=127.0.0.0/8",
		"WEBHOOKS_RETENTION="+retention.String(),
		// Retries within seconds, so that failed deliveries are retried, settled or given up
		// many times over during the soak.
		"WEBHOOKS_RETRY_SCALE=0.001")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := s.http.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("webhookd did not become healthy in 30 s; its log is %s", s.log)
		}
	}
}

func (s *service) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Wait()
}

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
		if err := s.call(ctx, http.MethodPost, "/admin/v1/accounts", admin, fmt.Sprintf(`{"name":"soak-%d"}`, i), &a); err != nil {
			return nil, err
		}
		t := tenant{id: a.Id, ingestKey: a.Ingest.Key, projectID: a.Voucherify.ProjectId,
			managementID: a.Voucherify.ManagementId, managementTk: a.Voucherify.ManagementToken}
		var hook struct{ Id string }
		t.hookTarget = receiver + "/voucherify/" + t.id
		body := fmt.Sprintf(`{"target_url":%q,"events":["voucher.created","voucher.updated"]}`, t.hookTarget)
		if err := s.call(ctx, http.MethodPost, t.webhooksPath(), t.voucherify(), body, &hook); err != nil {
			return nil, err
		}
		t.hookID = hook.Id
		shipping := http.Header{"Authorization": {"Bearer " + a.Shipping.ApiKey}}
		body = fmt.Sprintf(`{"name":"soak","url":%q,"events":["tracking_parcel.created"]}`, receiver+"/shipping/"+t.id)
		if err := s.call(ctx, http.MethodPost, "/v1/webhook-subscriptions", shipping, body, &struct{}{}); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (t tenant) webhooksPath() string { return "/management/v1/projects/" + t.projectID + "/webhooks" }

// call sends one request and decodes its JSON answer into out; any status from 300 on is an
// error that carries the answer.
func (s *service) call(ctx context.Context, method, path string, header http.Header, body string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = header.Clone()
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return &statusError{status: resp.StatusCode, msg: fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, b)}
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, out)
}

type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// isServerFault tells a 5xx answer or a failed call from a refusal the client caused.
func isServerFault(err error) bool {
	var se *statusError
	return !errors.As(err, &se) || se.status >= 500
}
