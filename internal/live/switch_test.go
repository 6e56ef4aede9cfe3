package live_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/execlock/execlocktest"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

func recv(t *testing.T, ch <-chan live.Event, status string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			require.True(t, ok, "subscription ended")
			if ev.Status == status {
				return
			}
		case <-deadline:
			t.Fatalf("event %q not delivered", status)
		}
	}
}

// TestSwitchFallsBackToPostgres: with Redis down, events published on one
// node reach another through PostgreSQL LISTEN/NOTIFY; a Redis that
// claims to be up but fails sends the event through the fallback too, and
// is reported.
func TestSwitchFallsBackToPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := storetest.PostgresStore(t)
	down := execlocktest.ClosedRedis(t)
	node := func(up bool, failed func(error)) *live.Switch {
		bus, err := pg.LiveBus(ctx, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = bus.Close() })
		sw := live.NewSwitch(live.SwitchOptions{Client: down, Up: func() bool { return up }, Failed: failed, Fallback: bus})
		t.Cleanup(func() { _ = sw.Close() })
		return sw
	}
	reported := make(chan error, 8)
	a := node(false, nil)
	b := node(true, func(err error) { reported <- err }) // thinks Redis is up
	tenant := uuid.New()
	events, end, err := a.Subscribe(ctx, tenant)
	require.NoError(t, err)
	defer end()

	require.NoError(t, b.Publish(ctx, live.Event{TenantID: tenant, Kind: live.KindExecution, Status: "via-fallback", At: time.Now()}))
	recv(t, events, "via-fallback")
	select {
	case err := <-reported:
		require.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the failed Redis call was not reported")
	}
}

// TestSwitchRedis: with Redis up, events go through Redis to every
// switch subscribed to it.
func TestSwitchRedis(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := execlocktest.Redis(t)
	prefix := "nextflow:test:" + uuid.NewString() + ":live:"
	newNode := func() *live.Switch {
		sw := live.NewSwitch(live.SwitchOptions{Client: rdb, Prefix: prefix, Up: func() bool { return true }})
		sw.SetRedis(true)
		t.Cleanup(func() { _ = sw.Close() })
		return sw
	}
	a, b := newNode(), newNode()
	tenant := uuid.New()
	events, end, err := a.Subscribe(ctx, tenant)
	require.NoError(t, err)
	defer end()
	// The subscription is confirmed asynchronously: publish until heard.
	require.Eventually(t, func() bool {
		require.NoError(t, b.Publish(ctx, live.Event{TenantID: tenant, Kind: live.KindExecution, Status: "via-redis", At: time.Now()}))
		select {
		case ev := <-events:
			return ev.Status == "via-redis"
		case <-time.After(100 * time.Millisecond):
			return false
		}
	}, 10*time.Second, 10*time.Millisecond)
	// Redis going down ends the subscription without ending subscribers.
	a.SetRedis(false)
	require.NoError(t, a.Publish(ctx)) // no events: nothing to do
}
