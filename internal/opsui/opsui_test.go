package opsui

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

const token = "operator-token-0123456789abcdef0123456789"

func TestRiverUIOnlyForTheOperator(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		h, err := New(ctx, st.Queue(), token, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)

		get := func(path string, set func(*http.Request)) (int, string, http.Header) {
			t.Helper()
			req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			require.NoError(t, err)
			if set != nil {
				set(req)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body), resp.Header
		}
		const jobs = Prefix + "/api/jobs?state=available&limit=5"

		// Nothing, a tenant's session cookie, a tenant API key, a wrong token.
		for name, set := range map[string]func(*http.Request){
			"none": nil,
			"session cookie": func(r *http.Request) {
				r.AddCookie(&http.Cookie{Name: "nextflow_session", Value: "a-valid-looking-session"})
			},
			"tenant api key": func(r *http.Request) { r.Header.Set("Authorization", "Bearer nfk_live_0123456789abcdef") },
			"wrong token":    func(r *http.Request) { r.SetBasicAuth("ops", token+"x") },
			"prefix of it":   func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token[:20]) },
		} {
			code, body, hdr := get(jobs, set)
			require.Equal(t, http.StatusUnauthorized, code, name)
			require.Contains(t, body, "operator token required", name)
			require.True(t, strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic "), name)
		}

		// The operator: the API by bearer token, the UI by Basic auth (a browser).
		code, body, _ := get(jobs, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) })
		require.Equal(t, http.StatusOK, code, body)
		require.Contains(t, body, `"data"`)
		code, body, hdr := get(Prefix+"/", func(r *http.Request) { r.SetBasicAuth("ops", token) })
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, strings.ToLower(body), "<html")
		require.Equal(t, "no-store", hdr.Get("Cache-Control"))
	})
}

func TestShortTokenRefused(t *testing.T) {
	t.Parallel()
	_, err := New(context.Background(), nil, "short", slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "at least 32 characters")
}
