package netguard_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"code.dny.dev/ssrf"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/engine/netguard"
)

// special lists addresses from every special-purpose range the guard must
// refuse, including the ones a hand list missed (#12).
var special = []string{
	// IPv4 special-purpose registry and friends.
	"0.0.0.0", "0.1.2.3", "10.1.2.3", "100.64.0.1", "100.127.255.254", "127.0.0.1", "127.8.8.8",
	"169.254.1.1", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.1", "192.0.0.8",
	"192.0.0.170", "192.0.2.1", "192.31.196.1", "192.52.193.1", "192.88.99.1", "192.168.1.1",
	"192.175.48.1", "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1",
	"239.255.255.250", "240.0.0.1", "255.255.255.255",
	// IPv6: outside global unicast.
	"::", "::1", "fe80::1", "fec0::1", "feff::1", "fc00::1", "fd12:3456::1", "fd00:ec2::254",
	"ff02::1", "ff05::1:3", "100::1", "100:0:0:1::1", "64:ff9b::7f00:1", "64:ff9b::808:808",
	"64:ff9b:1::1", "5f00::1", "4000::1",
	// IPv4 embedded in IPv6.
	"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0:7f00:1", "::7f00:1",
	"::a9fe:a9fe", "2002:7f00:1::", "2002:c0a8:101::1", "2002:808:808::1",
	// Teredo: server 65.54.227.120, client 127.0.0.1 obfuscated (~7f000001).
	"2001:0:4136:e378:8000:63bf:80ff:fffe", "2001::1",
	// IPv6 special-purpose prefixes inside global unicast.
	"2001:db8::1", "2001:2::1", "2001:10::1", "2001:20::1", "2620:4f:8000::1", "3fff::1",
}

func TestBlockedSpecialPurpose(t *testing.T) {
	t.Parallel()
	for _, s := range special {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			a := netip.MustParseAddr(s)
			require.True(t, netguard.Blocked(a), s)
			g, err := netguard.New(nil)
			require.NoError(t, err)
			err = g.Check(netip.AddrPortFrom(a, 443))
			require.ErrorIs(t, err, netguard.ErrBlocked)
		})
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001:82a::200e", "::ffff:8.8.8.8"} {
		require.False(t, netguard.Blocked(netip.MustParseAddr(s)), s)
	}
}

// TestBlockedCoversRegistries checks the first and last address of every
// prefix of the generated IANA tables, so the guard stays in step with the
// tables when the module is updated.
func TestBlockedCoversRegistries(t *testing.T) {
	t.Parallel()
	prefixes := append(append([]netip.Prefix{}, ssrf.IPv4DeniedPrefixes...), ssrf.IPv6DeniedPrefixes...)
	for _, p := range prefixes {
		require.True(t, netguard.Blocked(p.Addr()), p.String())
		require.True(t, netguard.Blocked(lastAddr(p)), "%s (last)", p)
	}
	for _, a := range netguard.MetadataAddrs {
		require.True(t, netguard.Blocked(a), a.String())
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestAllowList(t *testing.T) {
	t.Parallel()
	g, err := netguard.New([]string{"127.0.0.1", "10.0.0.0/8", "api.internal", "169.254.0.0/16", "64:ff9b::/96", "fd00:ec2::254"})
	require.NoError(t, err)
	require.True(t, g.AllowedIP(netip.MustParseAddr("127.0.0.1")))
	require.True(t, g.AllowedIP(netip.MustParseAddr("::ffff:127.0.0.1")))
	require.True(t, g.AllowedIP(netip.MustParseAddr("10.9.9.9")))
	require.False(t, g.AllowedIP(netip.MustParseAddr("127.0.0.2")))
	require.True(t, g.AllowedIP(netip.MustParseAddr("169.254.10.1")))
	// A CIDR covering a metadata address does not open it; naming it does.
	require.False(t, g.AllowedIP(netip.MustParseAddr("169.254.169.254")))
	require.True(t, g.AllowedIP(netip.MustParseAddr("fd00:ec2::254")))
	// An allowed NAT64 prefix reaches public IPv4 addresses, not internal ones.
	require.True(t, g.AllowedIP(netip.MustParseAddr("64:ff9b::808:808")))
	require.False(t, g.AllowedIP(netip.MustParseAddr("64:ff9b::a9fe:a9fe")))
	require.False(t, g.AllowedIP(netip.MustParseAddr("64:ff9b::c0a8:101")))
	require.True(t, g.AllowedIP(netip.MustParseAddr("64:ff9b::7f00:1")), "127.0.0.1 is allowed itself")
	require.True(t, g.AllowedHost("API.internal."))
	// Allow-listed destinations take any port; others 80 and 443 only.
	require.NoError(t, g.Check(netip.MustParseAddrPort("127.0.0.1:6379")))
	require.NoError(t, g.Check(netip.MustParseAddrPort("8.8.8.8:443")))
	require.ErrorIs(t, g.Check(netip.MustParseAddrPort("8.8.8.8:25")), netguard.ErrBlocked)

	for _, bad := range []string{"not a host/x", "[bad", "a b"} {
		_, err = netguard.New([]string{bad})
		require.Error(t, err, bad)
	}
}

func TestPorts(t *testing.T) {
	t.Parallel()
	def, err := netguard.New(nil)
	require.NoError(t, err)
	for _, p := range []uint16{80, 443} {
		require.NoError(t, def.Check(netip.AddrPortFrom(netip.MustParseAddr("1.1.1.1"), p)))
	}
	for _, p := range []uint16{22, 25, 6379, 8080, 11211} {
		require.ErrorIs(t, def.Check(netip.AddrPortFrom(netip.MustParseAddr("1.1.1.1"), p)), netguard.ErrBlocked)
	}
	some, err := netguard.New(nil, netguard.WithPorts(443, 8443))
	require.NoError(t, err)
	require.NoError(t, some.Check(netip.MustParseAddrPort("1.1.1.1:8443")))
	require.ErrorIs(t, some.Check(netip.MustParseAddrPort("1.1.1.1:80")), netguard.ErrBlocked)
	anyPort, err := netguard.New(nil, netguard.WithAnyPort())
	require.NoError(t, err)
	require.NoError(t, anyPort.Check(netip.MustParseAddrPort("1.1.1.1:8080")))
	// Any port never opens an internal address.
	require.ErrorIs(t, anyPort.Check(netip.MustParseAddrPort("127.0.0.1:8080")), netguard.ErrBlocked)
}

// countingListener is a local TCP server that counts the connections it
// accepts.
type countingListener struct {
	accepts atomic.Int64
	port    string
}

func listen(t *testing.T, addr string) *countingListener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	c := &countingListener{}
	_, c.port, _ = net.SplitHostPort(ln.Addr().String())
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				c.accepts.Add(1)
			}
		},
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return c
}

// TestClientMakesNoConnection requests a real local listener through the
// guard by every spelling of a local address: it must never see a
// connection.
func TestClientMakesNoConnection(t *testing.T) {
	t.Parallel()
	ln := listen(t, "127.0.0.1:0")
	g, err := netguard.New(nil, netguard.WithAnyPort())
	require.NoError(t, err)
	client := g.Client(5 * time.Second)
	for _, host := range []string{
		"127.0.0.1", "localhost", "127.1", "2130706433", "0.0.0.0", "[::]", "[::1]", "[::ffff:127.0.0.1]",
		"[::ffff:7f00:1]", "[::ffff:0:7f00:1]", "[::7f00:1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[fec0::1]",
	} {
		u := "http://" + host + ":" + ln.port + "/"
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		require.Error(t, err, u)
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) { // "2130706433" may not resolve at all
			require.ErrorIs(t, err, netguard.ErrBlocked, u)
		}
	}
	require.Zero(t, ln.accepts.Load(), "the guard let a connection reach the local listener")

	// The allow-list lets 127.0.0.1 through, on any port.
	allowed, err := netguard.New([]string{"127.0.0.1"})
	require.NoError(t, err)
	resp, err := allowed.Client(5 * time.Second).Get("http://127.0.0.1:" + ln.port + "/")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.EqualValues(t, 1, ln.accepts.Load())
}

// TestRedirectsRechecked follows a redirect from an allowed server to
// internal addresses and other schemes: each hop is refused and the
// internal listener sees no connection.
func TestRedirectsRechecked(t *testing.T) {
	t.Parallel()
	inner := listen(t, "127.0.0.2:0")
	var target atomic.Value
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.Load().(string), http.StatusFound)
	}))
	t.Cleanup(front.Close)
	g, err := netguard.New([]string{"127.0.0.1"})
	require.NoError(t, err)
	client := g.Client(5 * time.Second)
	for _, to := range []string{
		"http://127.0.0.2:" + inner.port + "/",
		"http://[::ffff:127.0.0.2]:" + inner.port + "/",
		"http://169.254.169.254/latest/meta-data/",
		"file:///etc/passwd",
		"gopher://127.0.0.2:" + inner.port + "/",
		"ftp://127.0.0.1/",
	} {
		target.Store(to)
		resp, err := client.Get(front.URL)
		if err == nil {
			_ = resp.Body.Close()
		}
		require.ErrorIs(t, err, netguard.ErrBlocked, to)
	}
	require.Zero(t, inner.accepts.Load())

	// A redirect to an allowed address is followed.
	allowed, err := netguard.New([]string{"127.0.0.1", "127.0.0.2"})
	require.NoError(t, err)
	target.Store("http://127.0.0.2:" + inner.port + "/")
	resp, err := allowed.Client(5 * time.Second).Get(front.URL)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.EqualValues(t, 1, inner.accepts.Load())
}

func TestClientRefusesSchemes(t *testing.T) {
	t.Parallel()
	g, err := netguard.New(nil)
	require.NoError(t, err)
	for _, u := range []string{"file:///etc/passwd", "ftp://example.com/", "gopher://example.com:70/"} {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
		require.NoError(t, err)
		_, err = g.Client(time.Second).Do(req)
		require.ErrorIs(t, err, netguard.ErrBlocked, u)
	}
}

func TestDialerRefuses(t *testing.T) {
	t.Parallel()
	ln := listen(t, "127.0.0.1:0")
	g, err := netguard.New(nil, netguard.WithAnyPort())
	require.NoError(t, err)
	for _, network := range []string{"tcp", "tcp4"} {
		_, err = g.Dialer().DialContext(context.Background(), network, net.JoinHostPort("127.0.0.1", ln.port))
		require.ErrorIs(t, err, netguard.ErrBlocked, network)
	}
	_, err = g.Dialer().DialContext(context.Background(), "udp", "8.8.8.8:53")
	require.ErrorIs(t, err, netguard.ErrBlocked)
	require.Zero(t, ln.accepts.Load())
	p, _ := strconv.Atoi(ln.port)
	require.ErrorIs(t, g.Check(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p))), netguard.ErrBlocked)
}
