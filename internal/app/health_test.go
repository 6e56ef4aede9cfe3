package app

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWorkerServesOnlyHealth(t *testing.T) {
	t.Parallel()
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := healthOnly(inner)
	for path, want := range map[string]int{
		"/healthz":              http.StatusTeapot,
		"/readyz":               http.StatusTeapot,
		"/api/v1/workflows":     http.StatusNotFound,
		"/webhooks/x":           http.StatusNotFound,
		"/":                     http.StatusNotFound,
		"/readyz/../api/v1/x":   http.StatusNotFound,
		"/healthz?verbose=true": http.StatusTeapot,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, want, rec.Code, path)
	}
}
