package engine

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// loseResultStore is a store in which every write of the first call's
// outcome fails (the result transaction, and the outcome alone after it),
// as if the process died (or the database became unreachable) after the
// provider accepted the call and before its result was committed.
type loseResultStore struct {
	store.Store
	lost atomic.Bool
}

func (s *loseResultStore) InTx(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	return s.Store.InTx(ctx, tenantID, func(tx store.Tx) error { return fn(&loseResultTx{Tx: tx, s: s}) })
}

type loseResultTx struct {
	store.Tx
	s *loseResultStore
}

func (t *loseResultTx) OutboxUpdate(ctx context.Context, p *store.OutboxUpdateParams) error {
	if p.Attempts == 1 {
		t.s.lost.Store(true)
		return errors.New("simulated crash: the call was made, its result not recorded")
	}
	return t.Tx.OutboxUpdate(ctx, p)
}

// TestOutboxCountsRepeatedCall performs the window the README names: a call
// is made, then its result is lost. The call is made again under the same
// idempotency key, and the outbox entry says so: 2 attempts, not 1, each
// counted before its call.
func TestOutboxCountsRepeatedCall(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open storeOpener) {
		workers := river.NewWorkers()
		base := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
		st := &loseResultStore{Store: base}
		b := newBundle(t, st, workers)
		srv := newSink(t, 0, 0)
		wf := b.publish(t, httpDef(srv.URL, "", false))
		exec := b.start(t, wf, `{"id": 7}`)
		_, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "call", "check", "done"}, nodeIDs(steps))
		require.True(t, st.lost.Load(), "the first result was lost")

		require.EqualValues(t, 2, srv.calls.Load(), "the lost call is made again")
		srv.mu.Lock()
		keys := append([]string(nil), srv.keys...)
		srv.mu.Unlock()
		require.Len(t, keys, 2)
		require.NotEmpty(t, keys[0])
		require.Equal(t, keys[0], keys[1], "with the same idempotency key")

		var entries []*domain.OutboxEntry
		require.NoError(t, base.Read(context.Background(), b.tenant, func(tx store.Tx) error {
			var err error
			entries, err = tx.OutboxListByExecution(context.Background(), b.tenant, exec.ID)
			return err
		}))
		require.Len(t, entries, 1)
		require.Equal(t, keys[0], entries[0].IdempotencyKey)
		require.Equal(t, domain.OutboxDone, entries[0].Status)
		require.Equal(t, 2, entries[0].Attempts, "both calls are counted")
		require.NotNil(t, entries[0].AttemptedAt)
	})
}

// TestOutboxOneCallOneAttempt: without a failure, one call is one attempt.
func TestOutboxOneCallOneAttempt(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open storeOpener) {
		workers := river.NewWorkers()
		st := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
		b := newBundle(t, st, workers)
		srv := newSink(t, 0, 0)
		wf := b.publish(t, httpDef(srv.URL, "", false))
		exec := b.start(t, wf, `{"id": 7}`)
		b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		var entries []*domain.OutboxEntry
		require.NoError(t, st.Read(context.Background(), b.tenant, func(tx store.Tx) error {
			var err error
			entries, err = tx.OutboxListByExecution(context.Background(), b.tenant, exec.ID)
			return err
		}))
		require.Len(t, entries, 1)
		require.EqualValues(t, 1, srv.calls.Load())
		require.Equal(t, 1, entries[0].Attempts, "one call, one attempt")
	})
}
