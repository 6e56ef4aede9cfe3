package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// noopArgs is the conformance suite's job; working it does nothing.
type noopArgs struct {
	Name string `json:"name"`
}

// Kind is the River job kind.
func (noopArgs) Kind() string { return "storetest_noop" }

// noopWorker works noopArgs jobs.
type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

// Work does nothing.
func (*noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

func jobCases() []exerciseCase {
	return []exerciseCase{
		{"JobInsert/IsTransactional", func(t *testing.T, f *fixture) {
			q := f.s.Queue()
			completed, cancel := q.Subscribe(river.EventKindJobCompleted)
			defer cancel()

			boom := errors.New("boom")
			err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.JobInsert(f.ctx, noopArgs{Name: "rolled-back"}, nil)
				require.NoError(t, err)
				require.NoError(t, tx.JobInsertMany(f.ctx, []river.InsertManyParams{{Args: noopArgs{Name: "rolled-back"}}}))
				return boom
			})
			require.ErrorIs(t, err, boom)

			err = f.s.Read(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.JobInsert(f.ctx, noopArgs{Name: "rolled-back"}, nil)
				return err
			})
			require.Error(t, err, "a read-only transaction inserts no job")

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				res, err := tx.JobInsert(f.ctx, noopArgs{Name: "committed"}, nil)
				require.NoError(t, err)
				require.NotNil(t, res.Job)
				require.NoError(t, tx.JobInsertMany(f.ctx, []river.InsertManyParams{
					{Args: noopArgs{Name: "many-1"}},
					{Args: noopArgs{Name: "many-2"}},
				}))
			})

			require.NoError(t, q.Start(f.ctx))
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = q.Stop(ctx)
			})

			awaitJobs(t, completed, "committed", "many-1", "many-2")
			// A job inserted on its own after the rolled-back ones completes
			// too; by then a rolled-back job would have been worked.
			_, err = q.Insert(f.ctx, noopArgs{Name: "direct"}, nil)
			require.NoError(t, err)
			awaitJobs(t, completed, "direct")
		}},
	}
}

// awaitJobs waits until jobs with each of names have completed, failing on a
// rolled-back job or after a timeout.
func awaitJobs(t *testing.T, events <-chan *river.Event, names ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	timeout := time.After(20 * time.Second)
	for len(want) > 0 {
		select {
		case ev := <-events:
			var args noopArgs
			require.NoError(t, json.Unmarshal(ev.Job.EncodedArgs, &args))
			require.NotEqual(t, "rolled-back", args.Name, "a job of a rolled-back transaction was worked")
			delete(want, args.Name)
		case <-timeout:
			t.Fatalf("jobs %v not completed in time", want)
		}
	}
}
