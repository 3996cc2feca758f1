package main_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/pgtest"
)

// TestSIGTERMWithASlowBodyExitsZero: a client that never finishes its body keeps its
// connection busy; after the grace period the server closes it and the process exits 0.
func TestSIGTERMWithASlowBodyExitsZero(t *testing.T) {
	t.Parallel()
	const grace = time.Second
	in := start(t, pgtest.NewURL(t), "WEBHOOKS_SHUTDOWN_GRACE="+grace.String())
	conn, err := net.Dial("tcp", strings.TrimPrefix(in.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /admin/v1/accounts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\":\"sl", adminToken)
	time.Sleep(300 * time.Millisecond) // the server reads the headers and starts on the body

	code, took := in.stop(t, grace+5*time.Second)
	t.Logf("exit %d %v after SIGTERM with a slow body in flight", code, took)
	if code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if took < grace {
		t.Errorf("exited after %v, before the %v grace period was over", took, grace)
	}
	logs := in.logs.String()
	for _, want := range []string{`msg="shutting down"`, `msg="shutdown grace period over; closing connections still open"`, "connections=1"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

// TestSlowHeadersAreCutOff: a connection that trickles its headers is closed after the read
// header timeout (shortened here through WEBHOOKS_READ_HEADER_TIMEOUT).
func TestSlowHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	const timeout = time.Second
	in := start(t, pgtest.NewURL(t), "WEBHOOKS_READ_HEADER_TIMEOUT="+timeout.String())
	// Timed from before the dial: the server's clock starts once it has the connection, which
	// may be before Dial returns here.
	began := time.Now()
	conn, err := net.Dial("tcp", strings.TrimPrefix(in.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(began.Add(5 * timeout))
	_, err = io.ReadAll(conn)
	took := time.Since(began).Round(time.Millisecond)
	t.Logf("connection with unfinished headers closed after %v", took)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection with unfinished headers still open after %v", took)
	}
	if took < timeout {
		t.Errorf("connection closed after %v, before the %v header timeout", took, timeout)
	}
}
