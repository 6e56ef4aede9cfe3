package engine

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nextflow-dev/nextflow/internal/workflow"
)

func nodeOf(typ, config string) *workflow.Node {
	return &workflow.Node{ID: typ, Type: typ, Config: json.RawMessage(config)}
}

// chainDef is a manual trigger, k set_attribute nodes counting vars.n, and
// an end.
func chainDef(k int) string {
	var nodes, edges []string
	nodes = append(nodes, `{"id": "start", "type": "trigger.manual"}`)
	prev := "start"
	for i := range k {
		id := fmt.Sprintf("n%d", i)
		nodes = append(nodes, fmt.Sprintf(`{"id": %q, "type": "set_attribute", "config": {"target": "vars", "attributes": {"n": "has(vars.n) ? vars.n + 1 : 1"}}}`, id))
		edges = append(edges, fmt.Sprintf(`{"id": "e%d", "source": %q, "target": %q}`, i, prev, id))
		prev = id
	}
	nodes = append(nodes, `{"id": "done", "type": "end"}`)
	edges = append(edges, fmt.Sprintf(`{"id": "eend", "source": %q, "target": "done"}`, prev))
	return fmt.Sprintf(`{"nodes": [%s], "edges": [%s]}`, strings.Join(nodes, ","), strings.Join(edges, ","))
}
