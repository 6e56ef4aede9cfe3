package netguard_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/engine/netguard"
)

func TestBlocked(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"127.0.0.1", "127.8.8.8", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
		"169.254.1.1", "100.64.0.1", "224.0.0.1", "0.0.0.0", "::", "fd00:ec2::254", "fe80::1",
		"fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "255.255.255.255",
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:c0a8:101::1", "::7f00:1",
	} {
		require.True(t, netguard.Blocked(netip.MustParseAddr(s)), s)
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "93.184.216.34", "64:ff9b::808:808", "2002:808:808::1"} {
		require.False(t, netguard.Blocked(netip.MustParseAddr(s)), s)
	}
}

func TestAllowList(t *testing.T) {
	t.Parallel()
	g, err := netguard.New([]string{"127.0.0.1", "10.0.0.0/8", "api.internal"})
	require.NoError(t, err)
	require.True(t, g.AllowedIP(netip.MustParseAddr("127.0.0.1")))
	require.True(t, g.AllowedIP(netip.MustParseAddr("10.9.9.9")))
	require.False(t, g.AllowedIP(netip.MustParseAddr("127.0.0.2")))
	require.False(t, g.AllowedIP(netip.MustParseAddr("169.254.169.254")))
	require.True(t, g.AllowedHost("API.internal."))
	_, err = netguard.New([]string{"not a host/x"})
	require.Error(t, err)
}

func TestClientRefusesAtDialTime(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	t.Cleanup(srv.Close)
	ctx := context.Background()

	guarded, err := netguard.New(nil)
	require.NoError(t, err)
	// "localhost" passes any check on the URL string's IP; the dial-time
	// check sees the resolved loopback address.
	for _, u := range []string{srv.URL, "http://localhost:" + srv.URL[len("http://127.0.0.1:"):]} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		_, err = guarded.Client(time.Second).Do(req)
		require.Error(t, err, u)
		require.True(t, errors.Is(err, netguard.ErrBlocked), "%s: %v", u, err)
	}

	allowed, err := netguard.New([]string{"127.0.0.1"})
	require.NoError(t, err)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := allowed.Client(time.Second).Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
