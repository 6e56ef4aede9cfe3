package webui

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUnknownURLGetsTheNotFoundPage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("home"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "404.html"), []byte("not found page"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "workflows.html"), []byte("workflows"), 0o644))
	h := Handler(dir)

	rec := get(t, h, "/no/such/page")
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Equal(t, "not found page", rec.Body.String())
	require.Contains(t, rec.Header().Get("Content-Type"), "text/html")
	require.Equal(t, "workflows", get(t, h, "/workflows?x=1").Body.String(), "known routes are served as before")
	require.Equal(t, "home", get(t, h, "/").Body.String())
}
