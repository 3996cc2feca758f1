package delivery_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/delivery"
)

// An exact address opens that address and port only: the rest of loopback stays refused.
func TestAnExactTargetOpensOnlyItsOwnPort(t *testing.T) {
	t.Parallel()
	ok := func(w http.ResponseWriter, _ *http.Request) {}
	open, closed := httptest.NewServer(http.HandlerFunc(ok)), httptest.NewServer(http.HandlerFunc(ok))
	defer open.Close()
	defer closed.Close()
	exact := netip.MustParseAddrPort(strings.TrimPrefix(open.URL, "http://"))
	client := &http.Client{Transport: delivery.NewTransportAllowing(nil, []netip.AddrPort{exact}, nil)}
	resp, err := client.Get(open.URL)
	if err != nil {
		t.Fatalf("the allowed address was refused: %v", err)
	}
	resp.Body.Close()
	if _, err := client.Get(closed.URL); err == nil || !errors.Is(err, delivery.ErrTargetNotAllowed) {
		t.Fatalf("another loopback port answered %v; want it refused", err)
	}
}
