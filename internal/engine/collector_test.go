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

// TestBatcherLonely: a tenant's batch waits for company only while calls
// are under way, and only when its one request would run alone.
func TestBatcherLonely(t *testing.T) {
	t.Parallel()
	b := &batcher{}
	tenant := uuid.New()
	req := func() *advanceRequest {
		return &advanceRequest{args: AdvanceArgs{TenantID: tenant, ExecutionID: uuid.New()}}
	}
	one := []*advanceRequest{req()}
	require.False(t, b.lonely(one), "no call under way")
	b.calling.Add(1)
	require.True(t, b.lonely(one))
	require.False(t, b.lonely([]*advanceRequest{req(), req()}), "two share a transaction")
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
