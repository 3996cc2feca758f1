package egress

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// Timeouts of the phases of a call, so that a stalled peer fails fast. A caller bounds the
// call as a whole itself (the delivery engine's attempt timeout).
const (
	// dialTimeout bounds connecting to one resolved address.
	dialTimeout = 5 * time.Second
	// tlsHandshakeTimeout bounds the TLS handshake after connecting.
	tlsHandshakeTimeout = 5 * time.Second
	// responseHeaderTimeout is Voucherify's documented limit for one call to a target; the
	// delivery engine replaces it with its own attempt timeout.
	responseHeaderTimeout = 10 * time.Second
	// idleConnTimeout is how long a kept-alive connection to a target may sit unused.
	idleConnTimeout = 60 * time.Second
	// keepAlive is the TCP keep-alive probe interval of open connections.
	keepAlive = 30 * time.Second
	// http2PingAfter is how long an HTTP/2 connection may be silent before it is health-checked;
	// http2PingTimeout how long the ping's answer may take before the connection is dropped.
	http2PingAfter   = 30 * time.Second
	http2PingTimeout = 5 * time.Second
)

// Transport returns a transport whose dialer applies the policy to every address just before
// connecting. rootCAs, when given, replaces the system's trusted roots (tests serve TLS with
// their own certificates).
func (p Policy) Transport(rootCAs *x509.CertPool) *http.Transport {
	dialer := &net.Dialer{
		Timeout:   dialTimeout,
		KeepAlive: keepAlive,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("refused: %q is not an IP address and port", address)
			}
			return p.Check(ap)
		},
	}
	return &http.Transport{
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: rootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ResponseHeaderTimeout:  responseHeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        idleConnTimeout,
		ForceAttemptHTTP2:      true,
		HTTP2:                  &http.HTTP2Config{SendPingTimeout: http2PingAfter, PingTimeout: http2PingTimeout},
	}
}

// CallError describes a failed call for tenants: the policy's refusal as ErrTargetNotAllowed
// and network errors without the addresses involved (resolved IPs, the resolver's address).
func CallError(err error) error {
	var refused *RefusedAddressError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &refused):
		return ErrTargetNotAllowed
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return errors.New("the host name does not resolve")
		}
		return errors.New("the host name cannot be resolved")
	case errors.As(err, &opErr):
		var sysErr *os.SyscallError
		if opErr.Timeout() {
			return fmt.Errorf("%s: timed out", opErr.Op)
		}
		if errors.As(opErr.Err, &sysErr) {
			return fmt.Errorf("%s: %w", opErr.Op, sysErr.Err)
		}
		return fmt.Errorf("%s failed", opErr.Op)
	}
	return err
}
