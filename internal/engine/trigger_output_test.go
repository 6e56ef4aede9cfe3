package engine

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// An event start's trigger step output is the context's trigger as the
// context stores it: trigger.event as the start received it (compacted,
// properties in their order, HTML characters as sent), not decoded and
// encoded again through json.Marshal (keys sorted, "<" escaped).
func TestTriggerStepOutputIsTheEventAsReceived(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		wf := b.publish(t, `{"nodes": [{"id": "s", "type": "trigger.event", "config": {"event": "order"}}], "edges": []}`)
		exec, err := b.eng.Start(ctx, StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerEvent,
			Event: json.RawMessage(`{"name": "order", "properties": {"z": 1, "a": "<x>"}}`)})
		require.NoError(t, err)
		require.Equal(t, domain.ExecutionCompleted, exec.Status)
		_, steps := b.get(t, exec.ID)
		require.NotEmpty(t, steps)
		require.Equal(t, "s", steps[0].NodeID)
		require.JSONEq(t, `{"type": "trigger.event", "event": {"name": "order", "properties": {"z": 1, "a": "<x>"}}}`, string(steps[0].Output))
		require.Contains(t, string(steps[0].Output), `"event":{"name":"order","properties":{"z":1,"a":"<x>"}}`)
	})
}
