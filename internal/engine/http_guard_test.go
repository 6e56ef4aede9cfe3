package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/engine/netguard"
)

// TestHTTPRequestGuarded: http.request goes through the SSRF guard, on the
// first hop and on redirects; a refusal is permanent and nothing reaches
// the internal server.
func TestHTTPRequestGuarded(t *testing.T) {
	t.Parallel()
	var internal atomic.Int64
	inner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { internal.Add(1) }))
	t.Cleanup(inner.Close)
	port := inner.URL[strings.LastIndex(inner.URL, ":")+1:]
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	t.Cleanup(front.Close)
	frontPort := front.URL[strings.LastIndex(front.URL, ":")+1:]
	ctx := context.Background()

	perform := func(h *HTTPRequest, url string) error {
		req, err := h.Prepare(ctx, PrepareInput{Config: json.RawMessage(`{"url": "` + url + `"}`)})
		require.NoError(t, err)
		_, err = h.Perform(ctx, EffectRequest{IdempotencyKey: "k:1", Attempt: 1, Request: req})
		return err
	}

	open, err := NewHTTPRequest(HTTPOptions{AnyPort: true}, nil)
	require.NoError(t, err)
	for _, u := range []string{inner.URL, "http://[::ffff:0:7f00:1]:" + port, "http://[fec0::1]:" + port, "http://localhost:" + port} {
		err := perform(open, u)
		require.ErrorIs(t, err, netguard.ErrBlocked, u)
		retryable, _ := classify(err)
		require.False(t, retryable, "a refused destination is not retried")
	}

	// The front server is allowed by name; its redirect to an internal
	// address is refused at dial time.
	viaName, err := NewHTTPRequest(HTTPOptions{Allow: []string{"localhost"}}, nil)
	require.NoError(t, err)
	err = perform(viaName, "http://localhost:"+frontPort+"/?to=http://127.0.0.1:"+port+"/")
	require.ErrorIs(t, err, netguard.ErrBlocked)
	require.Zero(t, internal.Load())

	// Ports: 80 and 443 only unless configured.
	ports, err := NewHTTPRequest(HTTPOptions{Ports: []uint16{8443}}, nil)
	require.NoError(t, err)
	require.True(t, ports.guard.AllowedIP(netipMust("1.1.1.1")))
	require.ErrorIs(t, ports.guard.Check(netipPortMust("1.1.1.1:443")), netguard.ErrBlocked)
	require.NoError(t, ports.guard.Check(netipPortMust("1.1.1.1:8443")))
}

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }

func netipPortMust(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
