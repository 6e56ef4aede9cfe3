package postgres_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestUnavailable checks that losing the database (the proxy in front of
// it is stopped, or nothing listens at all) gives store.ErrUnavailable,
// which the API answers with 503, while an ordinary error does not.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	noop := func(store.Tx) error { return nil }

	t.Run("connection lost", func(t *testing.T) {
		t.Parallel()
		proxy, dbURL := storetest.PostgresProxy(t)
		s, err := postgres.Open(ctx, dbURL, postgres.Options{Schema: storetest.PostgresSchema(t), Queue: store.QueueConfig{WorkNone: true}, SystemTokens: storetest.SystemTokens})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		require.NoError(t, s.Migrate(ctx))
		require.NoError(t, s.Read(ctx, uuid.Nil, noop))
		// A statement error is the caller's, not an outage.
		bad := errors.New("handler failed")
		require.NotErrorIs(t, s.InTx(ctx, uuid.Nil, func(store.Tx) error { return bad }), store.ErrUnavailable)

		proxy.Stop()
		require.ErrorIs(t, s.Read(ctx, uuid.Nil, noop), store.ErrUnavailable)
		require.ErrorIs(t, s.InTx(ctx, uuid.Nil, noop), store.ErrUnavailable)
		require.ErrorIs(t, s.Ping(ctx), store.ErrUnavailable)
	})

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		storetest.PostgresProxy(t) // skips without a database, like the rest
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		u, err := url.Parse(storetest.PostgresURL())
		require.NoError(t, err)
		u.Host = addr
		s, err := postgres.Open(ctx, u.String(), postgres.Options{Queue: store.QueueConfig{WorkNone: true}})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		require.ErrorIs(t, s.Read(ctx, uuid.Nil, noop), store.ErrUnavailable)
	})
}
