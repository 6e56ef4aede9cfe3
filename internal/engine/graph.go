package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Node categories, as the advance loop sees them.
type category int

const (
	catPure category = iota + 1 // evaluated inside the transaction
	catDelay
	catWait
	catEffect
	catEnd
)

// Handles the engine emits.
const (
	handleTrue    = "true"
	handleFalse   = "false"
	handleEvent   = "event"
	handleTimeout = "timeout"
	handleError   = "error"
)

// graph is a parsed, immutable workflow version with an edge index.
type graph struct {
	versionID uuid.UUID
	def       *workflow.Definition
	nodes     map[string]*workflow.Node
	// next maps node ID → handle ("" for the default) → first target.
	next map[string]map[string]string
	// prep caches prepared pure nodes by node ID.
	prep sync.Map
	// webhookTrigger is the first trigger.webhook node with its config
	// decoded (webhook), set once under webhookOnce.
	webhookOnce    sync.Once
	webhookTrigger *webhookTrigger
}

// prepared returns n's preparation, building it on first use.
func (g *graph) prepared(e *Engine, n *workflow.Node) *prepared {
	if p, ok := g.prep.Load(n.ID); ok {
		return p.(*prepared)
	}
	p, _ := g.prep.LoadOrStore(n.ID, e.prepare(n))
	return p.(*prepared)
}

func newGraph(versionID uuid.UUID, data []byte) (*graph, error) {
	def, err := workflow.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadDefinition, err)
	}
	g := &graph{
		versionID: versionID,
		def:       def,
		nodes:     make(map[string]*workflow.Node, len(def.Nodes)),
		next:      make(map[string]map[string]string, len(def.Nodes)),
	}
	for i := range def.Nodes {
		g.nodes[def.Nodes[i].ID] = &def.Nodes[i]
	}
	for _, e := range def.Edges {
		h := e.SourceHandle
		if h == workflow.DefaultHandle {
			h = ""
		}
		m := g.next[e.Source]
		if m == nil {
			m = make(map[string]string)
			g.next[e.Source] = m
		}
		if _, dup := m[h]; !dup {
			m[h] = e.Target
		}
	}
	return g, nil
}

// target returns the node that handle of nodeID leads to, or "".
func (g *graph) target(nodeID, handle string) string {
	if handle == workflow.DefaultHandle {
		handle = ""
	}
	return g.next[nodeID][handle]
}

// hasHandle reports whether nodeID has an edge leaving by handle.
func (g *graph) hasHandle(nodeID, handle string) bool {
	_, ok := g.next[nodeID][handle]
	return ok
}

// trigger returns the trigger node to start at: id when given, else the
// first trigger of type typ, else the first trigger.
func (g *graph) trigger(id, typ string) (*workflow.Node, error) {
	if id != "" {
		n := g.nodes[id]
		if n == nil || !isTrigger(n.Type) {
			return nil, fmt.Errorf("%w: no trigger node %q", ErrBadDefinition, id)
		}
		return n, nil
	}
	var first *workflow.Node
	for i := range g.def.Nodes {
		n := &g.def.Nodes[i]
		if !isTrigger(n.Type) {
			continue
		}
		if n.Type == typ {
			return n, nil
		}
		if first == nil {
			first = n
		}
	}
	if first == nil {
		return nil, fmt.Errorf("%w: no trigger node", ErrBadDefinition)
	}
	return first, nil
}

// firstOfType returns the first node of type typ, or nil.
func (g *graph) firstOfType(typ string) *workflow.Node {
	for i := range g.def.Nodes {
		if g.def.Nodes[i].Type == typ {
			return &g.def.Nodes[i]
		}
	}
	return nil
}

func isTrigger(typ string) bool { return strings.HasPrefix(typ, "trigger.") }

// category classifies a node type; side-effect types are those with a
// registered SideEffect.
func (e *Engine) category(typ string) (category, bool) {
	switch typ {
	case workflow.TypeCondition, workflow.TypeSplit, workflow.TypeSetAttribute:
		return catPure, true
	case workflow.TypeDelay:
		return catDelay, true
	case workflow.TypeWaitForEvent:
		return catWait, true
	case workflow.TypeEnd:
		return catEnd, true
	}
	if isTrigger(typ) {
		return catPure, true
	}
	if _, ok := e.effects[typ]; ok {
		return catEffect, true
	}
	return 0, false
}

// graph returns the parsed version, from the cache or the store.
func (e *Engine) graph(ctx context.Context, tx store.Tx, tenantID, versionID uuid.UUID) (*graph, error) {
	e.defsMu.RLock()
	g := e.defs[versionID]
	e.defsMu.RUnlock()
	if g != nil {
		return g, nil
	}
	v, err := tx.WorkflowVersionGetByID(ctx, tenantID, versionID)
	if err != nil {
		return nil, fmt.Errorf("load workflow version %s: %w", versionID, err)
	}
	g, err = newGraph(versionID, v.Definition)
	if err != nil {
		return nil, fmt.Errorf("workflow version %s: %w", versionID, err)
	}
	e.defsMu.Lock()
	if len(e.defs) >= e.defsCap {
		for k := range e.defs { // evict an arbitrary entry
			delete(e.defs, k)
			break
		}
	}
	e.defs[versionID] = g
	e.defsMu.Unlock()
	return g, nil
}
