package engine

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

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
