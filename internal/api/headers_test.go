package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

func TestAPISecurityHeaders(t *testing.T) {
	t.Parallel()
	st := storetest.SQLite(t)
	for _, trust := range []bool{false, true} {
		a := newTestAPIDeps(t, st, Deps{Config: &config.Config{TrustProxy: trust}})
		for _, path := range []string{"/healthz", Prefix + "/auth/me", Prefix + "/openapi.json", Prefix + "/docs", Prefix + "/nope"} {
			r := a.do(http.MethodGet, path, nil, creds{}, "X-Forwarded-Proto", "https")
			require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"), path)
			require.Equal(t, "DENY", r.Header.Get("X-Frame-Options"), path)
			require.Contains(t, r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'", path)
			require.Equal(t, "strict-origin-when-cross-origin", r.Header.Get("Referrer-Policy"), path)
			require.Equal(t, trust, r.Header.Get("Strict-Transport-Security") != "", "HSTS behind a trusted proxy only (%s)", path)
		}
		// Over TLS, always.
		req := httptest.NewRequest(http.MethodGet, "https://"+testHost+"/healthz", nil)
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, req)
		require.Contains(t, rec.Header().Get("Strict-Transport-Security"), "max-age=31536000")
	}
	// The API reference allows its own script by hash, not every inline script.
	a := newTestAPI(t, st)
	csp := a.do(http.MethodGet, Prefix+"/docs", nil, creds{}).Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'sha256-")
	require.NotContains(t, csp, "script-src 'unsafe-inline'")
}
