package live_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/live"
)

func TestHubDeliversPerTenant(t *testing.T) {
	t.Parallel()
	hub := live.NewHub()
	ctx := context.Background()
	a, b := uuid.New(), uuid.New()

	chA, cancelA, err := hub.Subscribe(ctx, a)
	require.NoError(t, err)
	chB, cancelB, err := hub.Subscribe(ctx, b)
	require.NoError(t, err)
	defer cancelB()

	ev := live.Event{TenantID: a, Kind: live.KindExecution, ExecutionID: uuid.New(), Status: "RUNNING", At: time.Now()}
	require.NoError(t, hub.Publish(ctx, ev))
	select {
	case got := <-chA:
		require.Equal(t, ev.ExecutionID, got.ExecutionID)
	case <-time.After(time.Second):
		t.Fatal("no event for tenant A")
	}
	select {
	case got := <-chB:
		t.Fatalf("tenant B got tenant A's event %+v", got)
	default:
	}

	cancelA()
	_, open := <-chA
	require.False(t, open)
	require.Equal(t, 0, hub.Subscribers(a))
	require.NoError(t, hub.Publish(ctx, ev)) // no subscriber, no panic
}

func TestHubEndsWithContext(t *testing.T) {
	t.Parallel()
	hub := live.NewHub()
	ctx, cancel := context.WithCancel(context.Background())
	tenant := uuid.New()
	ch, _, err := hub.Subscribe(ctx, tenant)
	require.NoError(t, err)
	cancel()
	select {
	case _, open := <-ch:
		require.False(t, open)
	case <-time.After(time.Second):
		t.Fatal("subscription not closed")
	}
}

func TestHubSlowSubscriberDoesNotBlock(t *testing.T) {
	t.Parallel()
	hub := live.NewHub()
	ctx := context.Background()
	tenant := uuid.New()
	_, cancel, err := hub.Subscribe(ctx, tenant)
	require.NoError(t, err)
	defer cancel()
	for range live.DefaultBuffer * 3 {
		require.NoError(t, hub.Publish(ctx, live.Event{TenantID: tenant}))
	}
}

func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("NEXTFLOW_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis at %s: %v", url, err)
		}
		t.Skipf("redis at %s not reachable: %v", url, err)
	}
	return client
}

func TestRedisAcrossProcesses(t *testing.T) {
	t.Parallel()
	client := redisClient(t)
	ctx := context.Background()
	prefix := "nextflow:test:" + uuid.NewString() + ":"
	// Two "processes": one publishes, the other subscribes.
	pub := live.NewRedis(client, prefix, nil)
	sub := live.NewRedis(client, prefix, nil)
	t.Cleanup(func() { _ = pub.Close(); _ = sub.Close() })

	tenant, other := uuid.New(), uuid.New()
	ch, cancel, err := sub.Subscribe(ctx, tenant)
	require.NoError(t, err)
	defer cancel()

	want := live.Event{TenantID: tenant, Kind: live.KindStep, ExecutionID: uuid.New(), WorkflowID: uuid.New(),
		Status: "COMPLETED", StepID: uuid.New(), NodeID: "n1", At: time.Now().UTC().Truncate(time.Millisecond)}
	require.NoError(t, pub.Publish(ctx, live.Event{TenantID: other, Kind: live.KindExecution}, want))
	select {
	case got := <-ch:
		require.Equal(t, want.ExecutionID, got.ExecutionID)
		require.Equal(t, want.StepID, got.StepID)
		require.Equal(t, want.NodeID, got.NodeID)
		require.True(t, want.At.Equal(got.At))
	case <-time.After(5 * time.Second):
		t.Fatal("no event through redis")
	}
}
