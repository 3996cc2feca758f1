package frontdoor_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/apitest"
)

// A request turned away before its body is read is answered at once, and its connection is
// closed within a second, however slowly the client sends the body: the server does not wait
// to read what it will never use.
func TestARefusedSlowBodyDoesNotHoldItsConnection(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	const bodySize = 100_000
	for _, tt := range []struct {
		name, head string
		status     int
	}{
		{"unauthenticated", "POST " + apitest.VoucherifyWebhooksPath(acme) + " HTTP/1.1\r\n", http.StatusUnauthorized},
		{"unrouted", "POST /no/such/path HTTP/1.1\r\n", http.StatusNotFound},
		{"wrong method", "PATCH " + apitest.VoucherifyWebhooksPath(acme) + " HTTP/1.1\r\nX-Management-Id: x\r\n", http.StatusMethodNotAllowed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn := dial(t, env.Server.Listener.Addr().String())
			defer conn.Close()
			head := fmt.Sprintf("%sHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", tt.head, bodySize)
			if _, err := io.WriteString(conn, head); err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			defer close(stop)
			go sendSlowly(conn, bodySize, stop)

			resp := readResponse(t, conn)
			answered := time.Now()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err := conn.r.ReadByte()
			var netErr net.Error
			switch took := time.Since(answered); {
			case errors.As(err, &netErr) && netErr.Timeout():
				t.Fatalf("the connection was still open %v after the answer", took)
			case err == nil:
				t.Fatal("the server sent more after its answer")
			case took > time.Second:
				t.Errorf("the connection closed %v after the answer, want within 1s", took)
			}
		})
	}
}

// sendSlowly writes one byte of body a second until size bytes, a failed write, or stop.
func sendSlowly(conn net.Conn, size int, stop <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for range size {
		if _, err := io.WriteString(conn, strings.Repeat("x", 1)); err != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}
