package engine

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// batches collects the batches a collector ran.
type batches struct {
	mu  sync.Mutex
	got [][]int
	ran chan struct{}
}

func newBatches() *batches { return &batches{ran: make(chan struct{}, 16)} }

func (b *batches) run(batch []int) {
	b.mu.Lock()
	b.got = append(b.got, append([]int(nil), batch...))
	b.mu.Unlock()
	b.ran <- struct{}{}
}

func (b *batches) wait(t *testing.T, n int) [][]int {
	t.Helper()
	for range n {
		select {
		case <-b.ran:
		case <-time.After(5 * time.Second):
			t.Fatalf("no batch ran in 5 s")
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got
}

// TestCollectorLingersForCompany: a runner whose batch is lonely waits
// for the next request and runs both together, and the other runner,
// free meanwhile, does not take it (one runner gathers at a time).
func TestCollectorLingersForCompany(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	got := newBatches()
	c := newLingeringCollector(8, 2, time.Minute, func(batch []int) bool { return len(batch) < 2 }, got.run)
	defer c.close()
	for i := range 2 {
		taken, err := c.offer(ctx, i)
		require.NoError(t, err)
		require.True(t, taken)
		time.Sleep(10 * time.Millisecond) // the runner has taken it and waits
	}
	require.Equal(t, [][]int{{0, 1}}, got.wait(t, 1))
}

// TestCollectorLingersOnlyWhenLonely: a batch lonely does not call lonely
// runs at once, however long the linger.
func TestCollectorLingersOnlyWhenLonely(t *testing.T) {
	t.Parallel()
	got := newBatches()
	c := newLingeringCollector(8, 2, time.Minute, func([]int) bool { return false }, got.run)
	defer c.close()
	taken, err := c.offer(context.Background(), 7)
	require.NoError(t, err)
	require.True(t, taken)
	require.Equal(t, [][]int{{7}}, got.wait(t, 1))
}

// TestCollectorLingerEnds: a lonely batch that finds no company runs once
// its linger is over, and the collector still closes.
func TestCollectorLingerEnds(t *testing.T) {
	t.Parallel()
	got := newBatches()
	c := newLingeringCollector(8, 2, 20*time.Millisecond, func([]int) bool { return true }, got.run)
	taken, err := c.offer(context.Background(), 3)
	require.NoError(t, err)
	require.True(t, taken)
	require.Equal(t, [][]int{{3}}, got.wait(t, 1))
	c.close()
	taken, err = c.offer(context.Background(), 4)
	require.NoError(t, err)
	require.False(t, taken, "closed")
}

// TestBatcherLonely: a batch waits for company only while calls are under
// way, and only when none of its requests would share a transaction.
func TestBatcherLonely(t *testing.T) {
	t.Parallel()
	b := &batcher{}
	tenantA, tenantB := uuid.New(), uuid.New()
	req := func(tenant uuid.UUID) *advanceRequest {
		return &advanceRequest{args: AdvanceArgs{TenantID: tenant, ExecutionID: uuid.New()}}
	}
	one := []*advanceRequest{req(tenantA)}
	require.False(t, b.lonely(one), "no call under way")
	b.calling.Add(1)
	require.True(t, b.lonely(one))
	require.True(t, b.lonely([]*advanceRequest{req(tenantA), req(tenantB)}), "each alone in its tenant")
	require.False(t, b.lonely([]*advanceRequest{req(tenantA), req(tenantB), req(tenantA)}), "tenant A's two share a transaction")
}

// countingEffect is a side effect whose Perform notes the calls under way
// that the batcher sees.
type countingEffect struct {
	b       *batcher
	calling int64
}

func (f *countingEffect) Kind() string { return "test.counting" }
func (f *countingEffect) Prepare(context.Context, PrepareInput) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}
func (f *countingEffect) Perform(context.Context, EffectRequest) (json.RawMessage, error) {
	f.calling = f.b.calling.Load()
	return json.RawMessage(`{}`), nil
}

// TestCallCountsCallsUnderWay: the batcher knows of a call while it is
// made, and no longer once it returned.
func TestCallCountsCallsUnderWay(t *testing.T) {
	t.Parallel()
	e := &Engine{batch: &batcher{}}
	fx := &countingEffect{b: e.batch}
	e.call(context.Background(), &pendingEffect{fx: fx}, &effectOutcome{})
	require.EqualValues(t, 1, fx.calling)
	require.Zero(t, e.batch.calling.Load())
}
