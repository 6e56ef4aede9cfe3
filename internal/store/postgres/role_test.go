package postgres_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestWarnRole: a superuser connection (the test database's own user) is
// reported loudly as skipping row-level security; the ordinary app role is
// not.
func TestWarnRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	super := storetest.PostgresStore(t)
	r := super.WarnRole(ctx, log)
	if !r.SkipsRLS() {
		t.Skip("the test database user is neither a superuser nor BYPASSRLS")
	}
	require.Contains(t, buf.String(), `"level":"ERROR"`)
	require.Contains(t, buf.String(), "skips row-level security")
	require.Contains(t, buf.String(), `"role":"`+r.Name+`"`)

	buf.Reset()
	app := storetest.PostgresAppRole(t)
	r = app.WarnRole(ctx, log)
	require.False(t, r.SkipsRLS())
	require.False(t, r.Superuser)
	require.False(t, r.BypassRLS)
	require.False(t, r.RegistersSystem)
	require.Empty(t, buf.String(), "an ordinary role is not warned about")

	// A process whose key the database has not registered is told what to run.
	stranger, err := postgres.Open(ctx, storetest.PostgresURL(), postgres.Options{Schema: storetest.PostgresSchema(t),
		Queue: store.QueueConfig{WorkNone: true}, SystemTokens: []string{postgres.SystemToken([]byte("another deployment's key, 32 bytes+"))}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = stranger.Close() })
	stranger.WarnRole(ctx, log)
	require.Contains(t, buf.String(), "does not accept this process's system token")
}
