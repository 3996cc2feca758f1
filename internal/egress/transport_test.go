package egress_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/egress"
)

// An exact address opens that address and port only: the rest of loopback stays refused.
func TestAnExactTargetOpensOnlyItsOwnPort(t *testing.T) {
	t.Parallel()
	ok := func(w http.ResponseWriter, _ *http.Request) {}
	open, closed := httptest.NewServer(http.HandlerFunc(ok)), httptest.NewServer(http.HandlerFunc(ok))
	defer open.Close()
	defer closed.Close()
	exact := netip.MustParseAddrPort(strings.TrimPrefix(open.URL, "http://"))
	client := &http.Client{Transport: egress.Policy{Exact: []netip.AddrPort{exact}}.Transport(nil)}
	resp, err := client.Get(open.URL)
	if err != nil {
		t.Fatalf("the allowed address was refused: %v", err)
	}
	resp.Body.Close()
	if _, err := client.Get(closed.URL); err == nil || !errors.Is(err, egress.ErrTargetNotAllowed) {
		t.Fatalf("another loopback port answered %v; want it refused", err)
	}
}

// A name is checked after it resolves: localhost is loopback, refused without an allowance.
func TestANameIsCheckedAfterResolution(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if _, err := (&http.Client{Transport: egress.Policy{}.Transport(nil)}).Get(url); !errors.Is(err, egress.ErrTargetNotAllowed) {
		t.Fatalf("GET %s through the zero policy: %v; want it refused", url, err)
	}
	allowed := egress.Policy{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	resp, err := (&http.Client{Transport: allowed.Transport(nil)}).Get(url)
	if err != nil {
		t.Fatalf("GET %s with loopback allowed: %v", url, err)
	}
	resp.Body.Close()
}

func TestTheTransportBoundsEveryPhase(t *testing.T) {
	t.Parallel()
	tr := egress.Policy{}.Transport(nil)
	if tr.DialContext == nil || tr.TLSHandshakeTimeout <= 0 || tr.ResponseHeaderTimeout <= 0 || tr.IdleConnTimeout <= 0 ||
		tr.HTTP2 == nil || tr.HTTP2.SendPingTimeout <= 0 || tr.HTTP2.PingTimeout <= 0 || tr.TLSClientConfig.MinVersion == 0 {
		t.Errorf("a phase is unbounded: %+v", tr)
	}
}
