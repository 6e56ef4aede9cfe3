// Package netguard keeps outbound HTTP calls made on behalf of tenants
// (http.request nodes, channels, AI base URLs, webhooks) away from the
// platform's own network.
//
// The decision is made on the resolved IP at dial time (net.Dialer.Control),
// so DNS names that resolve — or are rebound — to internal addresses are
// refused too, and so is every hop of a redirect. It refuses:
//
//   - every IPv4 prefix of the IANA IPv4 Special-Purpose Address Registry
//     and every IPv6 address outside global unicast (2000::/3) or inside a
//     special-purpose prefix of the IANA IPv6 registry, as generated from
//     the registries by code.dny.dev/ssrf (loopback, private, link-local,
//     CGNAT, site-local fec0::/10, unique-local, multicast, unspecified,
//     documentation, benchmarking, reserved, 6to4, Teredo, NAT64 …);
//   - the cloud-metadata addresses (MetadataAddrs), which an allow-list
//     CIDR covering them does not open: only the exact address does;
//   - IPv6 addresses that embed an internal IPv4 address (IPv4-mapped,
//     IPv4-compatible, IPv4-translated, NAT64 64:ff9b::/96, 6to4, Teredo
//     server and client), even when an allow-list entry covers the IPv6
//     prefix (an operator who allows 64:ff9b::/96 for DNS64 still cannot be
//     led to 64:ff9b::7f00:1, i.e. 127.0.0.1);
//   - ports other than 80 and 443, as code.dny.dev/ssrf does by default
//     (WithPorts / WithAnyPort change this; NEXTFLOW_HTTP_PORTS);
//   - schemes other than http and https (Client), and networks other than
//     tcp4 and tcp6.
//
// An allow-list (NEXTFLOW_HTTP_ALLOW) of host names, IPs and CIDRs bypasses
// the address and port checks; host names are dialled as they are.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"

	"github.com/nextflow-dev/nextflow/internal/tracing"
)

// ErrBlocked is wrapped by dial and request errors for refused
// destinations (address, port or scheme).
var ErrBlocked = errors.New("destination address is not allowed")

// DefaultPorts are the destination ports allowed when no option says
// otherwise: code.dny.dev/ssrf's default.
var DefaultPorts = []uint16{80, 443}

// MetadataAddrs are the cloud providers' instance-metadata and related
// link-local service addresses. They already fall in special-purpose
// ranges; listing them makes sure only an allow-list entry naming the exact
// address opens them, never a wider CIDR.
var MetadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle (v2)
	netip.MustParseAddr("169.254.170.2"),   // AWS ECS task metadata and credentials
	netip.MustParseAddr("169.254.169.253"), // AWS VPC DNS resolver
	netip.MustParseAddr("169.254.169.123"), // AWS time sync
	netip.MustParseAddr("169.254.169.250"), // AWS / Alibaba KMS link-local services
	netip.MustParseAddr("fd00:ec2::254"),   // AWS metadata over IPv6
	netip.MustParseAddr("fd00:ec2::253"),   // AWS VPC DNS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud metadata
	netip.MustParseAddr("192.0.0.192"),     // Oracle Cloud metadata (v1)
}

// Prefixes whose addresses embed an IPv4 address.
var (
	ipv4Compatible = netip.MustParsePrefix("::/96")           // deprecated (RFC 4291)
	ipv4Translated = netip.MustParsePrefix("::ffff:0:0:0/96") // SIIT (RFC 2765)
	nat64          = netip.MustParsePrefix("64:ff9b::/96")    // RFC 6052
	sixToFour      = netip.MustParsePrefix("2002::/16")       // RFC 3056
	teredo         = netip.MustParsePrefix("2001::/32")       // RFC 4380
)

// Option changes a Guard built by New.
type Option func(*Guard)

// WithPorts sets the destination ports allowed besides allow-listed
// destinations (default DefaultPorts).
func WithPorts(ports ...uint16) Option {
	return func(g *Guard) { g.ports = slices.Clone(ports) }
}

// WithAnyPort allows every destination port.
func WithAnyPort() Option {
	return func(g *Guard) { g.ports = nil }
}

// Guard decides which destinations may be dialled. It is safe for
// concurrent use.
type Guard struct {
	allowNets  []netip.Prefix
	allowHosts map[string]bool
	ports      []uint16
	iana       *ssrf.Guardian
}

// New builds a guard whose allow-list holds hosts ("api.internal"), IPs
// ("127.0.0.1", "::1") and CIDRs ("10.0.0.0/8").
func New(allow []string, opts ...Option) (*Guard, error) {
	g := &Guard{
		allowHosts: map[string]bool{},
		ports:      slices.Clone(DefaultPorts),
		// Ports and networks are checked here, so that allow-listed
		// destinations may use any port.
		iana: ssrf.New(ssrf.WithAnyPort(), ssrf.WithAnyNetwork()),
	}
	for _, raw := range allow {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
			}
			g.allowNets = append(g.allowNets, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
			a = a.Unmap().WithZone("")
			g.allowNets = append(g.allowNets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		if strings.ContainsAny(s, "/ []") {
			return nil, fmt.Errorf("allow-list entry %q is neither a host, an IP nor a CIDR", raw)
		}
		g.allowHosts[strings.ToLower(strings.TrimSuffix(s, "."))] = true
	}
	for _, o := range opts {
		o(g)
	}
	return g, nil
}

// defaultGuard has no allow-list, for Blocked.
var defaultGuard, _ = New(nil)

// Blocked reports whether addr is refused by the guard without an
// allow-list (ports aside).
func Blocked(addr netip.Addr) bool {
	return defaultGuard.checkAddr(addr) != nil
}

// AllowedIP reports whether addr may be dialled (ports aside).
func (g *Guard) AllowedIP(addr netip.Addr) bool {
	return g.checkAddr(addr) == nil
}

// AllowedHost reports whether host is on the allow-list by name.
func (g *Guard) AllowedHost(host string) bool {
	return g.allowHosts[strings.ToLower(strings.TrimSuffix(host, "."))]
}

// Check decides on a resolved destination: nil, or an error wrapping
// ErrBlocked that says why.
func (g *Guard) Check(ap netip.AddrPort) error {
	addr := ap.Addr()
	if err := g.checkAddr(addr); err != nil {
		return err
	}
	if g.listed(addr.Unmap()) || g.ports == nil || slices.Contains(g.ports, ap.Port()) {
		return nil
	}
	return fmt.Errorf("%w: port %d (allowed: %s, or allow-list the destination)", ErrBlocked, ap.Port(), portList(g.ports))
}

// checkAddr is the address part of Check.
func (g *Guard) checkAddr(addr netip.Addr) error {
	if !addr.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrBlocked)
	}
	addr = addr.Unmap().WithZone("")
	if slices.Contains(MetadataAddrs, addr) {
		if slices.Contains(g.allowNets, netip.PrefixFrom(addr, addr.BitLen())) {
			return nil
		}
		return fmt.Errorf("%w: %s is a cloud metadata address", ErrBlocked, addr)
	}
	for _, v4 := range embeddedIPv4(addr) {
		if err := g.checkAddr(v4); err != nil {
			return fmt.Errorf("%w: %s embeds %s", ErrBlocked, addr, v4)
		}
	}
	if g.listed(addr) {
		return nil
	}
	if err := g.iana.SafeAddr(addr); err != nil {
		return fmt.Errorf("%w: %s is a special-purpose address", ErrBlocked, addr)
	}
	return nil
}

// listed reports whether an allow-list CIDR or IP covers addr.
func (g *Guard) listed(addr netip.Addr) bool {
	for _, p := range g.allowNets {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// embeddedIPv4 returns the IPv4 addresses an IPv6 transition address
// reaches.
func embeddedIPv4(addr netip.Addr) []netip.Addr {
	if !addr.Is6() {
		return nil
	}
	b := addr.As16()
	last := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	switch {
	case ipv4Translated.Contains(addr), nat64.Contains(addr):
		return []netip.Addr{last}
	case ipv4Compatible.Contains(addr):
		// :: and ::1 themselves are refused as unspecified and loopback.
		return []netip.Addr{last}
	case sixToFour.Contains(addr):
		return []netip.Addr{netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})}
	case teredo.Contains(addr):
		server := netip.AddrFrom4([4]byte{b[4], b[5], b[6], b[7]})
		client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		return []netip.Addr{server, client}
	}
	return nil
}

func portList(ports []uint16) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}

// control is a net.Dialer Control function that refuses blocked
// destinations and networks other than TCP.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("%w: network %s", ErrBlocked, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	return g.Check(ap)
}

// Dialer returns a dialer that refuses every connection the guard does not
// allow, checked on the resolved IP. Hosts allow-listed by name are not
// known to it: use DialContext or Client for those.
func (g *Guard) Dialer() *net.Dialer {
	return &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
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

// Client returns the HTTP client every tenant-driven outbound call goes
// through (http.request, channels, AI base URLs, outgoing webhooks): every
// connection, redirects included, is checked by the guard at dial time;
// schemes other than http and https are refused; at most 5 redirects are
// followed. It ignores proxy settings from the environment, which would
// otherwise hide the real destination. timeout 0 leaves the deadline to
// the request's context.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext(&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		// Calls made under a trace span carry it (traceparent) and get a
		// client span of their own; others pass through.
		Transport: tracing.Transport(schemeGuard{transport}),
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			return checkScheme(req)
		},
	}
}

// schemeGuard refuses requests whose scheme is not http or https before
// they reach the transport.
type schemeGuard struct{ next http.RoundTripper }

func (s schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkScheme(req); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	return s.next.RoundTrip(req)
}

func checkScheme(req *http.Request) error {
	if req.URL == nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		scheme := ""
		if req.URL != nil {
			scheme = req.URL.Scheme
		}
		return fmt.Errorf("%w: scheme %q (only http and https)", ErrBlocked, scheme)
	}
	return nil
}
