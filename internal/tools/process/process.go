// Package process runs the webhookd binary on a free loopback port for the benchmarks and the
// soak, and calls its API.
package process

import (
	"context"
	"encoding/json"
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

// Service is a running webhookd.
type Service struct {
	Cmd  *exec.Cmd
	Base string // http://127.0.0.1:<port>
	HTTP *http.Client
}

// Start runs binary with env added to this process's environment and PORT set, its output in
// log, and waits up to 30 s for /healthz to answer 200.
func Start(ctx context.Context, binary string, env []string, log *os.File) (*Service, error) {
	port, err := pgcluster.FreePort()
	if err != nil {
		return nil, err
	}
	s := &Service{
		Base: fmt.Sprintf("http://127.0.0.1:%d", port),
		HTTP: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}},
	}
	s.Cmd = exec.CommandContext(ctx, binary)
	s.Cmd.Env = append(append(os.Environ(), env...), "PORT="+strconv.Itoa(port))
	s.Cmd.Stdout, s.Cmd.Stderr = log, log
	if err := s.Cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := s.HTTP.Get(s.Base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("webhookd did not become healthy in 30 s; its log is %s", log.Name())
		}
	}
}

// Stop interrupts the service and waits for it to exit.
func (s *Service) Stop() {
	_ = s.Cmd.Process.Signal(os.Interrupt)
	_ = s.Cmd.Wait()
}

// Call sends one request (a JSON body unless body is empty) and decodes the JSON answer into
// out, if any; an answer from 300 on is a *StatusError.
func (s *Service) Call(ctx context.Context, method, path string, header http.Header, body string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.Base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = header.Clone()
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return &StatusError{Status: resp.StatusCode, msg: fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, b)}
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, out)
}

// StatusError is an answer of 300 or more.
type StatusError struct {
	Status int
	msg    string
}

func (e *StatusError) Error() string { return e.msg }
