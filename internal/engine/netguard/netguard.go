// Package netguard keeps outbound HTTP calls made on behalf of tenants
// (http.request nodes, webhooks) away from the platform's own network: it
// refuses loopback, private, link-local, CGNAT, multicast, unspecified,
// reserved and cloud-metadata addresses. The check runs on the resolved IP
// at dial time (net.Dialer.Control), so DNS names that resolve — or are
// rebound — to internal addresses are refused too. An allow-list of
// hosts, IPs and CIDRs bypasses the guard.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrBlocked is wrapped by dial errors for refused addresses.
var ErrBlocked = errors.New("destination address is not allowed")

// blocked lists the ranges refused besides what netip's predicates cover.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),      // CGNAT
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved, broadcast
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS metadata (IPv6)
	netip.MustParsePrefix("169.254.169.254/32"), // cloud metadata
	netip.MustParsePrefix("64:ff9b:1::/48"),     // local-use NAT64
	netip.MustParsePrefix("::/96"),              // IPv4-compatible (deprecated)
	netip.MustParsePrefix("100::/64"),           // discard-only
	netip.MustParsePrefix("2001:db8::/32"),      // documentation
}

// Prefixes whose addresses embed an IPv4 address, checked in turn.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Guard decides which destinations may be dialled.
type Guard struct {
	allowNets  []netip.Prefix
	allowHosts map[string]bool
}

// New builds a guard whose allow-list holds hosts ("api.internal"), IPs
// ("127.0.0.1", "::1") and CIDRs ("10.0.0.0/8").
func New(allow []string) (*Guard, error) {
	g := &Guard{allowHosts: map[string]bool{}}
	for _, raw := range allow {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			g.allowNets = append(g.allowNets, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
			a = a.Unmap()
			g.allowNets = append(g.allowNets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		if strings.ContainsAny(s, "/ ") {
			return nil, fmt.Errorf("allow-list entry %q is neither a host, an IP nor a CIDR", raw)
		}
		g.allowHosts[strings.ToLower(strings.TrimSuffix(s, "."))] = true
	}
	return g, nil
}

// Blocked reports whether addr is an internal address (ignoring the
// allow-list).
func Blocked(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsUnspecified() ||
		addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() ||
		addr.IsMulticast() {
		return true
	}
	for _, p := range blocked {
		if p.Contains(addr) {
			return true
		}
	}
	// NAT64 and 6to4 addresses reach the IPv4 address they embed.
	if b := addr.As16(); nat64.Contains(addr) {
		return Blocked(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	} else if sixToFour.Contains(addr) {
		return Blocked(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	}
	return false
}

// AllowedIP reports whether addr may be dialled.
func (g *Guard) AllowedIP(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range g.allowNets {
		if p.Contains(addr) {
			return true
		}
	}
	return !Blocked(addr)
}

// AllowedHost reports whether host is on the allow-list by name.
func (g *Guard) AllowedHost(host string) bool {
	return g.allowHosts[strings.ToLower(strings.TrimSuffix(host, "."))]
}

// control is a net.Dialer Control function that refuses blocked IPs.
func (g *Guard) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	if !g.AllowedIP(addr) {
		return fmt.Errorf("%w: %s", ErrBlocked, addr)
	}
	return nil
}

// DialContext dials through the guard: hosts on the allow-list by name are
// dialled as they are, every other connection is checked on its resolved IP.
func (g *Guard) DialContext(dialer *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	guarded := *dialer
	guarded.Control = g.control
	plain := *dialer
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(address)
		if err == nil && g.AllowedHost(host) {
			return plain.DialContext(ctx, network, address)
		}
		return guarded.DialContext(ctx, network, address)
	}
}

// Client returns an HTTP client whose every connection, redirects included,
// goes through the guard. It ignores proxy settings from the environment,
// which would otherwise hide the real destination.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext(dialer),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			return nil
		},
	}
}
