package storeopen_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storeopen"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

func TestOpenSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data", "nested")
	s, err := storeopen.Open(ctx, storeopen.Config{DataDir: dir, Queue: store.QueueConfig{WorkNone: true}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.Equal(t, store.DialectSQLite, s.Dialect())
	require.NoError(t, s.Migrate(ctx))
	_, err = os.Stat(filepath.Join(dir, storeopen.SQLiteFile))
	require.NoError(t, err)
}

func TestOpenPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.PostgresConn(t) // skips (or fails under CI) without a server
	for _, u := range []string{storetest.PostgresURL(), "postgresql" + storetest.PostgresURL()[len("postgres"):]} {
		s, err := storeopen.Open(ctx, storeopen.Config{DatabaseURL: u, Queue: store.QueueConfig{WorkNone: true}})
		require.NoError(t, err, u)
		require.Equal(t, store.DialectPostgres, s.Dialect())
		require.NoError(t, s.Ping(ctx))
		require.NoError(t, s.Close())
	}
}

func TestOpenRejectsOtherURLs(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"mysql://root:secret@localhost/nextflow", "sqlite:///tmp/x.db", "nextflow.db"} {
		_, err := storeopen.Open(context.Background(), storeopen.Config{DatabaseURL: u, DataDir: t.TempDir()})
		require.Error(t, err, u)
		require.Contains(t, err.Error(), "DATABASE_URL")
		require.Contains(t, err.Error(), "postgres://")
		require.NotContains(t, err.Error(), "secret")
	}
}
