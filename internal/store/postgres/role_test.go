package postgres_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

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
}
