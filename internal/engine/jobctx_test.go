package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// A stop that reaches its deadline cancels the running jobs; a job in the
// middle of a call is not cut: the provider's answer is recorded, so the
// call is never made again. (A cut call was recorded as failed and retried:
// a repeated side effect that nothing crashed.)
func TestStopDuringCallRecordsTheResult(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		entered := make(chan struct{}, 4)
		release := make(chan struct{})
		var calls atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			entered <- struct{}{}
			<-release
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"ok": true, "echo": {"id": "7"}}`))
		}))
		t.Cleanup(srv.Close)
		wf := b.publish(t, httpDef(srv.URL, "", false))
		exec := b.start(t, wf, `{"id": 7}`)
		select {
		case <-entered:
		case <-time.After(20 * time.Second):
			t.Fatal("the call was not made")
		}

		// Stop with a short deadline: the soft stop ends, the job is
		// cancelled while its call is still waiting for the provider.
		b.eng.Drain()
		stopCtx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		stopped := make(chan error, 1)
		go func() { stopped <- b.st.Queue().Stop(stopCtx) }()
		select {
		case <-stopped:
		case <-time.After(15 * time.Second):
			t.Fatal("Stop did not return by its deadline")
		}
		close(release)

		_, steps := b.get(t, exec.ID)
		require.GreaterOrEqual(t, len(steps), 2)
		key := effectKey(exec.ID, steps[1].Seq)
		require.Eventually(t, func() bool {
			var entry *domain.OutboxEntry
			err := b.st.Read(ctx, b.tenant, func(tx store.Tx) error {
				var err error
				entry, err = tx.OutboxGetByKey(ctx, b.tenant, key)
				return err
			})
			return err == nil && entry.Status == domain.OutboxDone
		}, 20*time.Second, 50*time.Millisecond, "the answer of the cancelled job's call was recorded")
		require.EqualValues(t, 1, calls.Load())
	})
}

// A job cancelled before its call hands the execution back without
// calling.
func TestJobErrorHandsBackACancelledJob(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var snooze *rivertype.JobSnoozeError
	require.ErrorAs(t, jobError(ctx, context.Canceled), &snooze)
	timedOut, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	require.Equal(t, context.DeadlineExceeded, jobError(timedOut, context.DeadlineExceeded), "a job past its timeout keeps its error")

	call, cancelCall := callContext(ctx)
	defer cancelCall()
	require.NoError(t, call.Err(), "a call does not inherit the job's cancellation")
	dl, cancel3 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel3()
	call2, cancelCall2 := callContext(dl)
	defer cancelCall2()
	_, ok := call2.Deadline()
	require.True(t, ok, "a call keeps the job's deadline")
}

// flakyStore fails its first transactions as a database being restarted
// does.
type flakyStore struct {
	store.Store
	fails atomic.Int32
}

func (f *flakyStore) InTx(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	if f.fails.Add(-1) >= 0 {
		return fmt.Errorf("begin transaction: %w", store.ErrUnavailable)
	}
	return f.Store.InTx(ctx, tenantID, fn)
}

// A call's outcome is recorded through a short database outage, even by a
// cancelled job, instead of being lost (the call would be made again).
func TestRecordOutcomeOutlastsAnOutage(t *testing.T) {
	t.Parallel()
	flaky := &flakyStore{Store: storetest.SQLite(t)}
	flaky.fails.Store(3)
	e := New(flaky, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := e.recordOutcome(ctx, &store.OutboxUpdateParams{TenantID: uuid.New(), ID: uuid.New(), Status: domain.OutboxDone})
	require.ErrorIs(t, err, store.ErrNotFound, "the database answered once it was back (no such entry here)")
	require.Negative(t, flaky.fails.Load(), "tried again while the database was unavailable")
}
