package segment

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// publish stores def as an active workflow's current version.
func (h *harness) publish(t *testing.T, name, def string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	wfID := domain.NewID()
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: h.tenant, ID: wfID, Name: name, Definition: json.RawMessage(def)}); err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: h.tenant, ID: domain.NewID(), WorkflowID: wfID, Version: 1, Definition: json.RawMessage(def)})
		if err != nil {
			return err
		}
		if _, err := tx.WorkflowSetCurrentVersion(ctx, h.tenant, wfID, v.ID, v.Version); err != nil {
			return err
		}
		_, err = tx.WorkflowSetActive(ctx, h.tenant, wfID, true)
		return err
	}))
	return wfID
}

// segmentJourney is trigger.segment(segmentID, on, reentry) → end.
func segmentJourney(segmentID uuid.UUID, on, reentry string) string {
	return fmt.Sprintf(`{"nodes":[
	 {"id":"start","type":%q,"config":{"segmentId":%q,"on":%q,"reentry":%q},"position":{"x":0,"y":0}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],
	 "edges":[{"id":"e1","source":"start","target":"done"}]}`, workflow.TypeTriggerSegment, segmentID, on, reentry)
}

// executions lists a workflow's executions.
func (h *harness) executions(t *testing.T, wf uuid.UUID) []domain.Execution {
	t.Helper()
	var out []domain.Execution
	require.NoError(t, h.st.Read(context.Background(), h.tenant, func(tx store.Tx) error {
		var err error
		out, err = tx.ExecutionList(context.Background(), &store.ExecutionListParams{TenantID: h.tenant, WorkflowID: &wf, Limit: 100})
		return err
	}))
	return out
}

// TestTriggerSegment: trigger.segment starts one execution per membership
// change of its own segment and direction, under its re-entry policy —
// entered with once starts on the first entry only, exited with always on
// every exit — and never for another segment's changes.
func TestTriggerSegment(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, b.open)
			ctx := context.Background()
			ana := h.contact(t, "ana", "FREE")
			pro, err := h.svc.Create(ctx, h.tenant, Input{Name: "PRO", Definition: json.RawMessage(`{"attribute":{"key":"plan","op":"eq","value":"PRO"}}`)}, nil)
			require.NoError(t, err)
			ent, err := h.svc.Create(ctx, h.tenant, Input{Name: "Enterprise", Definition: json.RawMessage(`{"attribute":{"key":"plan","op":"eq","value":"ENT"}}`)}, nil)
			require.NoError(t, err)
			// The first computations (queued by Create) record no events.
			for _, id := range []uuid.UUID{pro.ID, ent.ID} {
				_, err := h.svc.Recompute(ctx, h.tenant, id, nil)
				require.NoError(t, err)
			}

			entered := h.publish(t, "entered", segmentJourney(pro.ID, workflow.SegmentEntered, workflow.ReentryOnce))
			exited := h.publish(t, "exited", segmentJourney(pro.ID, workflow.SegmentExited, workflow.ReentryAlways))
			other := h.publish(t, "other", segmentJourney(ent.ID, workflow.SegmentEntered, workflow.ReentryAlways))

			setPlan := func(plan string) {
				t.Helper()
				h.clock.add(time.Second) // membership events of one instant share a message ID
				h.contact(t, "ana", plan)
				require.NoError(t, h.svc.RecomputeContacts(ctx, h.tenant, []uuid.UUID{ana}))
			}
			setPlan("PRO")
			setPlan("FREE")
			setPlan("PRO")
			setPlan("FREE")

			require.Eventually(t, func() bool {
				for _, x := range append(h.executions(t, entered), h.executions(t, exited)...) {
					if x.Status != domain.ExecutionCompleted {
						return false
					}
				}
				return true
			}, 20*time.Second, 20*time.Millisecond)
			in := h.executions(t, entered)
			require.Len(t, in, 1, "entered twice, re-entry once: one execution")
			require.Equal(t, workflow.TypeTriggerSegment, in[0].TriggerType)
			require.Equal(t, ana, *in[0].ContactID)
			require.Len(t, h.executions(t, exited), 2, "exited twice, re-entry always: two executions")
			require.Empty(t, h.executions(t, other), "another segment's journey does not start")
			require.Len(t, h.membershipEvents(t)[EventEntered], 2)
			require.Len(t, h.membershipEvents(t)[EventExited], 2)
		})
	}
}
