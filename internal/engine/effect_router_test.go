package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// routeKind is the node type of routeEffect.
const routeKind = "test.route"

// routeEffect is a side effect whose call answers {"pick": <the trigger
// input's pick>} and whose output chooses the out handle (EffectRouter).
type routeEffect struct{}

func (routeEffect) Kind() string { return routeKind }

func (routeEffect) Prepare(_ context.Context, in PrepareInput) (json.RawMessage, error) {
	trigger, _ := in.Data["trigger"].(map[string]any)
	input, _ := trigger["input"].(map[string]any)
	return json.Marshal(map[string]any{"pick": input["pick"]})
}

func (routeEffect) Perform(_ context.Context, req EffectRequest) (json.RawMessage, error) {
	return req.Request, nil
}

func (routeEffect) OutHandle(output json.RawMessage) string {
	var out struct{ Pick string }
	_ = json.Unmarshal(output, &out)
	return out.Pick
}

// TestEffectRouterChoosesHandle: the output of a routing side effect
// chooses the edge followed and is kept on the step; the other branch does
// not run, and a handle with no edge ends the path.
func TestEffectRouterChoosesHandle(t *testing.T) {
	t.Parallel()
	def := fmt.Sprintf(`{"nodes": [
	  {"id": "start", "type": "trigger.manual"},
	  {"id": "route", "type": %q, "config": {}},
	  {"id": "a", "type": "set_attribute", "config": {"target": "vars", "attributes": {"branch": "'a'"}}},
	  {"id": "b", "type": "set_attribute", "config": {"target": "vars", "attributes": {"branch": "'b'"}}},
	  {"id": "done", "type": "end"}],
	 "edges": [
	  {"id": "e1", "source": "start", "target": "route"},
	  {"id": "e2", "source": "route", "sourceHandle": "a", "target": "a"},
	  {"id": "e3", "source": "route", "sourceHandle": "b", "target": "b"},
	  {"id": "e4", "source": "a", "target": "done"},
	  {"id": "e5", "source": "b", "target": "done"}]}`, routeKind)
	each(t, func(t *testing.T, b *bundle) {
		wf := b.publish(t, def)
		for _, pick := range []string{"a", "b"} {
			exec := b.start(t, wf, fmt.Sprintf(`{"pick": %q}`, pick))
			_, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
			require.Equal(t, []string{"start", "route", pick, "done"}, nodeIDs(steps))
			require.Equal(t, pick, steps[1].Handle)
		}
		exec := b.start(t, wf, `{"pick": "nowhere"}`)
		_, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "route"}, nodeIDs(steps))
	}, withEffect(routeEffect{}))
}
