package engine

import (
	"bytes"
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

// An event already compact is kept as given, in a copy of its own: the
// caller's buffer may be reused once the start returns.
func TestSetEventKeepsACompactEventInItsOwnCopy(t *testing.T) {
	for _, raw := range []string{`{"name":"order","properties":{"z":1,"a":"<x>"}}`, `{"name": "order", "properties": {"z": 1, "a": "a b"}}`} {
		buf := []byte(raw)
		v, err := toJSONValue(buf)
		require.NoError(t, err)
		c := &execContext{Trigger: map[string]any{"type": workflow.TypeTriggerEvent}}
		c.setEvent(buf, v)
		for i := range buf {
			buf[i] = ' '
		}
		got, err := c.triggerJSON()
		require.NoError(t, err)
		var want bytes.Buffer
		require.NoError(t, json.Compact(&want, []byte(raw)))
		require.Equal(t, `{"event":`+want.String()+`,"type":"trigger.event"}`, string(got))
	}
}
