// Package workflow is the journey graph: its definition format (the shape
// React Flow uses), the node-type registry that is the single source of
// truth for every type, and validation.
package workflow

import (
	"encoding/json"
	"fmt"
)

// Definition is a workflow graph as the builder draws and stores it.
type Definition struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Node is one step of a workflow.
type Node struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Config   json.RawMessage `json:"config,omitempty"`
	Position Position        `json:"position"`
	// Label is an optional display name the builder shows.
	Label string `json:"label,omitempty"`
}

// Position is a node's place on the canvas.
type Position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Edge connects an output handle of one node to another node.
type Edge struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	// SourceHandle names the output handle; empty means the node's single
	// (default) output.
	SourceHandle string `json:"sourceHandle,omitempty"`
	Target       string `json:"target"`
	TargetHandle string `json:"targetHandle,omitempty"`
}

// DefaultHandle is the name of a node's single output when it has one.
const DefaultHandle = "out"

// Parse decodes a definition. It checks only the JSON shape; Validate
// checks the graph.
func Parse(data []byte) (*Definition, error) {
	var d Definition
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("decode definition: %w", err)
	}
	return &d, nil
}

// Node returns the node with the given ID, or nil.
func (d *Definition) Node(id string) *Node {
	for i := range d.Nodes {
		if d.Nodes[i].ID == id {
			return &d.Nodes[i]
		}
	}
	return nil
}

// Targets returns the IDs of the nodes connected to nodeID's output handle.
// An empty handle and DefaultHandle are the same handle.
func (d *Definition) Targets(nodeID, handle string) []string {
	var out []string
	for _, e := range d.Edges {
		if e.Source != nodeID {
			continue
		}
		h := e.SourceHandle
		if h == DefaultHandle {
			h = ""
		}
		want := handle
		if want == DefaultHandle {
			want = ""
		}
		if h == want {
			out = append(out, e.Target)
		}
	}
	return out
}

// Triggers returns the trigger nodes (type prefix "trigger.").
func (d *Definition) Triggers() []Node {
	var out []Node
	for _, n := range d.Nodes {
		if len(n.Type) > 8 && n.Type[:8] == "trigger." {
			out = append(out, n)
		}
	}
	return out
}
