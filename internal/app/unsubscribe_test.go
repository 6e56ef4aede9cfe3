package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/config"
)

// The one-click links reach the unsubscribe routes, not the dashboard.
func TestUnsubscribeLinksAreServed(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load([]string{"--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, func(string) string { return "" })
	require.NoError(t, err)
	a, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(a.close)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)

	res, err := http.Get(srv.URL + "/u/AAAA")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, string(body), `<form method="post">`)

	res, err = http.Post(srv.URL+"/u/AAAA", "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	require.NoError(t, err)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode, "a forged token is refused")
	require.Contains(t, string(body), "not valid")
}
