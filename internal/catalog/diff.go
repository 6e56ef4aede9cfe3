package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Diff bounds: a diff answers what differs, not every byte of it.
const (
	// maxFieldChanges caps the config paths listed for one node.
	maxFieldChanges = 50
	// maxShownValue caps, in characters, a before/after value shown in a
	// field change.
	maxShownValue = 160
)

// DefinitionDiff is what differs between two definitions, compared by
// meaning rather than by bytes: nodes are matched by ID, their configs
// compared as JSON values (key order and number spelling do not count),
// edges matched by source, source handle ("" and "out" are one handle)
// and target, whatever their IDs. Positions are layout, not behaviour:
// a node that only moved is listed in Moved and does not make the diff
// Changed. A label is shown in executions, so a new label is a change.
type DefinitionDiff struct {
	AddedNodes   []workflow.Node
	RemovedNodes []workflow.Node
	ChangedNodes []NodeChange
	AddedEdges   []workflow.Edge
	RemovedEdges []workflow.Edge
	// Moved lists the nodes, present on both sides, whose position alone
	// differs.
	Moved []string
}

// NodeChange is a node present on both sides whose type, label or config
// differs.
type NodeChange struct {
	// Node is the node as it is on the target side.
	Node workflow.Node
	// Fields are the differences, as JSON pointers into the node ("/type",
	// "/label", "/config/subject", "/config/variants/1/weight"), at most
	// maxFieldChanges of them; Truncated says when more were left out.
	Fields    []FieldChange
	Truncated bool
}

// FieldChange is one differing value. Before and After are the values as
// compact JSON, cut to maxShownValue characters; empty when the value is
// absent on that side.
type FieldChange struct {
	Path   string
	Before string
	After  string
}

// Changed reports whether the two definitions behave differently: any
// node or edge added, removed or changed (moves do not count).
func (d *DefinitionDiff) Changed() bool {
	return len(d.AddedNodes)+len(d.RemovedNodes)+len(d.ChangedNodes)+len(d.AddedEdges)+len(d.RemovedEdges) > 0
}

// DiffDefinitions compares base with target. A nil definition is an empty
// one. A node config that is not valid JSON is an error.
func DiffDefinitions(base, target *workflow.Definition) (*DefinitionDiff, error) {
	if base == nil {
		base = &workflow.Definition{}
	}
	if target == nil {
		target = &workflow.Definition{}
	}
	d := &DefinitionDiff{}
	baseNodes := make(map[string]*workflow.Node, len(base.Nodes))
	for i := range base.Nodes {
		baseNodes[base.Nodes[i].ID] = &base.Nodes[i]
	}
	seen := make(map[string]bool, len(target.Nodes))
	for i := range target.Nodes {
		tn := &target.Nodes[i]
		seen[tn.ID] = true
		bn, ok := baseNodes[tn.ID]
		if !ok {
			d.AddedNodes = append(d.AddedNodes, *tn)
			continue
		}
		ch, err := diffNode(bn, tn)
		if err != nil {
			return nil, err
		}
		switch {
		case ch != nil:
			d.ChangedNodes = append(d.ChangedNodes, *ch)
		case bn.Position != tn.Position:
			d.Moved = append(d.Moved, tn.ID)
		}
	}
	for _, bn := range base.Nodes {
		if !seen[bn.ID] {
			d.RemovedNodes = append(d.RemovedNodes, bn)
		}
	}

	key := func(e workflow.Edge) string {
		h := e.SourceHandle
		if h == "" {
			h = workflow.DefaultHandle
		}
		return e.Source + "\x00" + h + "\x00" + e.Target
	}
	baseEdges := make(map[string]int, len(base.Edges))
	for _, e := range base.Edges {
		baseEdges[key(e)]++
	}
	targetEdges := make(map[string]int, len(target.Edges))
	for _, e := range target.Edges {
		k := key(e)
		targetEdges[k]++
		if targetEdges[k] > baseEdges[k] {
			d.AddedEdges = append(d.AddedEdges, e)
		}
	}
	for _, e := range base.Edges {
		k := key(e)
		if targetEdges[k] > 0 {
			targetEdges[k]--
			continue
		}
		d.RemovedEdges = append(d.RemovedEdges, e)
	}
	return d, nil
}

// diffNode compares two nodes with the same ID; nil when they behave the
// same.
func diffNode(b, t *workflow.Node) (*NodeChange, error) {
	ch := &NodeChange{Node: *t}
	add := func(path string, before, after any, hasBefore, hasAfter bool) {
		if len(ch.Fields) >= maxFieldChanges {
			ch.Truncated = true
			return
		}
		f := FieldChange{Path: path}
		if hasBefore {
			f.Before = shown(before)
		}
		if hasAfter {
			f.After = shown(after)
		}
		ch.Fields = append(ch.Fields, f)
	}
	if b.Type != t.Type {
		add("/type", b.Type, t.Type, true, true)
	}
	if b.Label != t.Label {
		add("/label", b.Label, t.Label, b.Label != "", t.Label != "")
	}
	bc, err := decodeConfig(b)
	if err != nil {
		return nil, err
	}
	tc, err := decodeConfig(t)
	if err != nil {
		return nil, err
	}
	diffValue("/config", bc, tc, add)
	if len(ch.Fields) == 0 {
		return nil, nil
	}
	return ch, nil
}

// decodeConfig decodes a node's config keeping numbers exact; an absent or
// null config is an empty object.
func decodeConfig(n *workflow.Node) (any, error) {
	raw := bytes.TrimSpace(n.Config)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("config of node %q: %w", n.ID, err)
	}
	return v, nil
}

// diffValue reports, through add, every path where a and b differ:
// objects key by key (sorted, so the order is stable), arrays index by
// index, anything else as one value.
func diffValue(path string, a, b any, add func(path string, before, after any, hasBefore, hasAfter bool)) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			add(path, a, b, true, true)
			return
		}
		keys := make([]string, 0, len(av)+len(bv))
		for k := range av {
			keys = append(keys, k)
		}
		for k := range bv {
			if _, dup := av[k]; !dup {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			x, inA := av[k]
			y, inB := bv[k]
			p := path + "/" + escapePointer(k)
			switch {
			case inA && inB:
				diffValue(p, x, y, add)
			case inA:
				add(p, x, nil, true, false)
			default:
				add(p, nil, y, false, true)
			}
		}
	case []any:
		bv, ok := b.([]any)
		if !ok {
			add(path, a, b, true, true)
			return
		}
		for i := 0; i < max(len(av), len(bv)); i++ {
			p := path + "/" + strconv.Itoa(i)
			switch {
			case i < len(av) && i < len(bv):
				diffValue(p, av[i], bv[i], add)
			case i < len(av):
				add(p, av[i], nil, true, false)
			default:
				add(p, nil, bv[i], false, true)
			}
		}
	default:
		if !sameScalar(a, b) {
			add(path, a, b, true, true)
		}
	}
}

// sameScalar compares JSON scalars; numbers by value ("1.0" is "1").
func sameScalar(a, b any) bool {
	an, aNum := a.(json.Number)
	bn, bNum := b.(json.Number)
	if aNum && bNum {
		if an == bn {
			return true
		}
		x, okA := new(big.Rat).SetString(string(an))
		y, okB := new(big.Rat).SetString(string(bn))
		return okA && okB && x.Cmp(y) == 0
	}
	if aNum != bNum {
		return false
	}
	switch av := a.(type) {
	case string:
		bv, ok := b.(string)
		return ok && av == bv
	case bool:
		bv, ok := b.(bool)
		return ok && av == bv
	case nil:
		return b == nil
	}
	return false
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

// shown is a value as compact JSON, cut to maxShownValue characters.
func shown(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	s := string(raw)
	if utf8.RuneCountInString(s) <= maxShownValue {
		return s
	}
	r := []rune(s)
	return string(r[:maxShownValue-1]) + "…"
}

// DiffRaw decodes two stored definitions and compares them; empty input
// is an empty definition.
func DiffRaw(base, target []byte) (*DefinitionDiff, error) {
	parse := func(raw []byte) (*workflow.Definition, error) {
		if len(bytes.TrimSpace(raw)) == 0 {
			return &workflow.Definition{}, nil
		}
		return workflow.Parse(raw)
	}
	b, err := parse(base)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	t, err := parse(target)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	return DiffDefinitions(b, t)
}
