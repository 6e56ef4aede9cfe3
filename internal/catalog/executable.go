package catalog

import (
	"fmt"

	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// CodeUnavailableNodeType is the problem of a node whose type this server
// cannot run (a channel or AI step with no sender or provider registered).
const CodeUnavailableNodeType = "unavailable_node_type"

// NodeExecutor tells which node types the server can run; the engine
// implements it (engine.Engine.Executable). Catalog asks through this
// interface so it does not depend on the engine.
type NodeExecutor interface {
	// Executable reports whether nodes of nodeType can run, and if not,
	// why, in words the workflow's author can act on.
	Executable(nodeType string) (ok bool, reason string)
}

// unavailable is one problem per node of def whose type is known to the
// registry but cannot be run here. Unknown types are left to validation,
// which reports them already. Without an executor every type counts as
// runnable.
func (c *Catalog) unavailable(def *workflow.Definition) []workflow.Problem {
	if c.exec == nil {
		return nil
	}
	var out []workflow.Problem
	for _, n := range def.Nodes {
		nt, known := c.reg.Get(n.Type)
		if !known {
			continue
		}
		if ok, reason := c.exec.Executable(n.Type); !ok {
			out = append(out, workflow.Problem{
				Code:    CodeUnavailableNodeType,
				NodeID:  n.ID,
				Message: fmt.Sprintf("%s is not available on this server: %s", nt.Label, reason),
			})
		}
	}
	return out
}
