package webui

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestHandlerFromDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "_next/static"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("home"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "workflows.html"), []byte("workflows"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "workflows"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "workflows", "edit.html"), []byte("editor"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "_next/static/app.js"), []byte("js"), 0o644))
	h := Handler(dir)

	require.Equal(t, "home", get(t, h, "/").Body.String())
	require.Equal(t, "workflows", get(t, h, "/workflows").Body.String())
	require.Equal(t, "editor", get(t, h, "/workflows/edit?id=123").Body.String())
	rec := get(t, h, "/_next/static/app.js")
	require.Equal(t, "js", rec.Body.String())
	require.Contains(t, rec.Header().Get("Cache-Control"), "immutable")
	// Unknown client routes fall back to the app shell; unknown assets are 404.
	require.Equal(t, "home", get(t, h, "/some/client/route").Body.String())
	require.Equal(t, http.StatusNotFound, get(t, h, "/missing.js").Code)
	// Paths cannot escape the root.
	require.NotContains(t, get(t, h, "/../../etc/passwd").Body.String(), "root:")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

func TestHandlerPlaceholderOrEmbedded(t *testing.T) {
	t.Parallel()
	rec := get(t, Handler(""), "/")
	require.Equal(t, http.StatusOK, rec.Code)
	if !Embedded() {
		require.Contains(t, rec.Body.String(), "built without the dashboard")
	}
}
