package webui

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inline := `self.__next_f.push([1,"x"])`
	page := `<!doctype html><html><head><script src="/_next/static/a.js" async=""></script>` +
		`<SCRIPT>` + inline + `</SCRIPT><script id="x">` + inline + `</script><style>b{}</style></head>` +
		`<body><script>document.title="t"</script></body></html>`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte(page), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "_next/static"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "_next/static/a.js"), []byte("js"), 0o644))

	h := Handler(dir)
	for _, p := range []string{"/", "/workflows/edit?id=1", "/_next/static/a.js", "/missing.js"} {
		rec := get(t, h, p)
		require.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"), p)
		require.Equal(t, "DENY", rec.Header().Get("X-Frame-Options"), p)
		require.Equal(t, "strict-origin-when-cross-origin", rec.Header().Get("Referrer-Policy"), p)
		require.Contains(t, rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'", p)
		require.Empty(t, rec.Header().Get("Strict-Transport-Security"), "plain http: no HSTS (%s)", p)
	}

	csp := get(t, h, "/").Header().Get("Content-Security-Policy")
	var script string
	for _, d := range strings.Split(csp, ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "script-src ") {
			script = d
		}
	}
	require.Equal(t, "script-src 'self' "+sha(inline)+" "+sha(`document.title="t"`), script,
		"each distinct inline script by hash, scripts with src by 'self'")
	require.NotContains(t, csp, "unsafe-eval")
	require.NotContains(t, script, "unsafe-inline")
	require.Contains(t, csp, "object-src 'none'")
	require.Contains(t, csp, "base-uri 'self'")

	// The policy follows a page changed on disk.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte(`<script>changed()</script>`), 0o644))
	require.Contains(t, get(t, h, "/").Header().Get("Content-Security-Policy"), sha("changed()"))

	// HSTS over https: TLS, or X-Forwarded-Proto behind a trusted proxy only.
	req := httptest.NewRequest(http.MethodGet, "https://app.example.com/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Contains(t, rec.Header().Get("Strict-Transport-Security"), "max-age=")
	for _, trust := range []bool{false, true} {
		req = httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		rec = httptest.NewRecorder()
		Handler(dir, TrustProxy(trust)).ServeHTTP(rec, req)
		require.Equal(t, trust, rec.Header().Get("Strict-Transport-Security") != "", "trust proxy %v", trust)
	}
}

func TestPlaceholderPolicy(t *testing.T) {
	t.Parallel()
	if Embedded() {
		t.Skip("the binary carries a dashboard build")
	}
	rec := get(t, Handler(""), "/")
	csp := rec.Header().Get("Content-Security-Policy")
	require.Contains(t, csp, "style-src 'self' 'unsafe-inline'", "the placeholder's inline style is allowed")
	require.Contains(t, csp, "script-src 'self'")
}
