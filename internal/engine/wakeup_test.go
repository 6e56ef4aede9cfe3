package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// TestTimersKeptOnRow runs with a one-second timer horizon: a three-second
// delay is kept on its execution's row (no job yet), becomes a job once it
// is within the horizon, and fires after its due time, not before; a wait
// whose event comes first never times out; a cancel drops the timer.
func TestTimersKeptOnRow(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); b.eng.RunWakeups(ctx) }()
		t.Cleanup(func() { stop(); <-done })

		delayed := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "pause", "type": "delay", "config": {"duration": "3s"}},
		  {"id": "done", "type": "end"}],
		 "edges": [{"id": "e1", "source": "start", "target": "pause"}, {"id": "e2", "source": "pause", "target": "done"}]}`)
		exec := b.start(t, delayed, "")
		require.Equal(t, domain.ExecutionWaiting, exec.Status)
		got, _ := b.get(t, exec.ID)
		require.NotNil(t, got.WakeAt, "a timer beyond the horizon stays on the row")
		due := *got.WakeAt
		require.WithinDuration(t, time.Now().Add(3*time.Second), due, time.Second)

		cancelled := b.start(t, delayed, "")
		_, err := b.eng.Cancel(context.Background(), b.tenant, cancelled.ID)
		require.NoError(t, err)
		got, _ = b.get(t, cancelled.ID)
		require.Nil(t, got.WakeAt, "a cancel drops the timer")

		paid := b.publish(t, fmt.Sprintf(waitDef, "3s"))
		waiting := b.start(t, paid, `{"order_id": 7}`)
		got, _ = b.waitFor(t, waiting.ID, domain.ExecutionWaiting)
		require.NotNil(t, got.WakeAt, "a wait timeout beyond the horizon stays on the row")
		require.NoError(t, b.st.InTx(context.Background(), b.tenant, func(tx store.Tx) error {
			_, err := b.eng.ResumeTx(context.Background(), tx, ResumeEvent{TenantID: b.tenant, EventName: "order.paid",
				Correlation: map[string]string{"order_id": "7"}, Payload: json.RawMessage(`{"total": 5}`)})
			return err
		}))
		got, steps := b.waitFor(t, waiting.ID, domain.ExecutionCompleted)
		require.Nil(t, got.WakeAt)
		require.Equal(t, []string{"start", "paid", "thanks", "done"}, nodeIDs(steps))

		// Within the horizon the timer is claimed into a job; the execution
		// still waits until its time.
		require.Eventually(t, func() bool {
			got, _ := b.get(t, exec.ID)
			return got.WakeAt == nil
		}, 10*time.Second, 20*time.Millisecond)
		got, _ = b.get(t, exec.ID)
		require.Equal(t, domain.ExecutionWaiting, got.Status)
		finished, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "pause", "done"}, nodeIDs(steps))
		var out struct {
			ResumedAt time.Time `json:"resumedAt"`
		}
		require.NoError(t, json.Unmarshal(steps[1].Output, &out))
		require.False(t, out.ResumedAt.Before(due), "woke at %s, due %s", out.ResumedAt, due)
		require.NotNil(t, finished.FinishedAt)

		// The wait's timeout, cleared by the event, never fires.
		time.Sleep(time.Until(due.Add(500 * time.Millisecond)))
		_, steps = b.get(t, waiting.ID)
		require.Equal(t, []string{"start", "paid", "thanks", "done"}, nodeIDs(steps))
		n, err := b.eng.SweepWakeups(context.Background())
		require.NoError(t, err)
		require.Zero(t, n, "nothing left to claim")
	}, func(o *Options) { o.TimerHorizon, o.WakeupInterval = time.Second, 50*time.Millisecond })
}
