package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestLiveBusAcrossNodes: an event published on one node's bus reaches a
// subscriber on another node's, and only for its tenant.
func TestLiveBusAcrossNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	schema := storetest.PostgresSchema(t)
	a, err := postgres.Open(ctx, storetest.PostgresURL(), postgres.Options{Schema: schema, SystemTokens: storetest.SystemTokens})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	require.NoError(t, a.Migrate(ctx))
	b, err := postgres.Open(ctx, storetest.PostgresURL(), postgres.Options{Schema: schema, SystemTokens: storetest.SystemTokens})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	busA, err := a.LiveBus(ctx, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = busA.Close() })
	busB, err := b.LiveBus(ctx, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = busB.Close() })

	tenant, other := domain.NewID(), domain.NewID()
	events, cancel, err := busB.Subscribe(ctx, tenant)
	require.NoError(t, err)
	defer cancel()
	exec := domain.NewID()
	require.NoError(t, busA.Publish(ctx,
		live.Event{TenantID: other, Kind: "execution", ExecutionID: domain.NewID(), Status: "RUNNING", At: time.Now()},
		live.Event{TenantID: tenant, Kind: "execution", ExecutionID: exec, Status: "COMPLETED", At: time.Now()},
	))
	select {
	case ev := <-events:
		require.Equal(t, exec, ev.ExecutionID)
		require.Equal(t, "COMPLETED", ev.Status)
	case <-time.After(5 * time.Second):
		t.Fatal("event did not cross nodes")
	}
}
