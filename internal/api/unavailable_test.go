package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestDatabaseOutageIs503 cuts the database away under a running API (a
// proxy in front of PostgreSQL is stopped) and checks that requests get
// 503 with Retry-After, not 500: an authenticated call (the session and
// the API key are resolved in the authentication middleware), sign-in, and
// /readyz.
func TestDatabaseOutageIs503(t *testing.T) {
	t.Parallel()
	proxy, dbURL := storetest.PostgresProxy(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, dbURL, postgres.Options{Schema: storetest.PostgresSchema(t), Queue: store.QueueConfig{WorkNone: true}, SystemTokens: storetest.SystemTokens})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))

	a := newTestAPI(t, st)
	acc := a.signup("owner@example.com", "Acme")
	key := a.apiKey(acc, "full")
	require.Equal(t, http.StatusOK, a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Key: key}).Status)
	require.Equal(t, http.StatusOK, a.do(http.MethodGet, "/readyz", nil, creds{}).Status)

	proxy.Stop()

	requireUnavailable := func(name string, r *response) {
		t.Helper()
		require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s: %s", name, r.short())
		require.Equal(t, "5", r.Header.Get("Retry-After"), name)
		require.Contains(t, r.Header.Get("Content-Type"), "application/problem+json", name)
		require.NotContains(t, string(r.Body), "connect", "%s: internal error text leaked: %s", name, r.short())
	}
	requireUnavailable("api key", a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Key: key}))
	requireUnavailable("session", a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Cookie: acc.Cookie}))
	requireUnavailable("login", a.do(http.MethodPost, Prefix+"/auth/login",
		map[string]string{"email": acc.Email, "password": testPassword}, creds{}))
	requireUnavailable("readyz", a.do(http.MethodGet, "/readyz", nil, creds{}))
}
