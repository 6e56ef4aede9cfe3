package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/nextflow-dev/nextflow/internal/schedule"
)

// Problem codes returned by Validate. They are stable: clients match on them.
const (
	CodeNoTrigger           = "no_trigger"
	CodeUnknownType         = "unknown_type"
	CodeInvalidConfig       = "invalid_config"
	CodeDuplicateNodeID     = "duplicate_node_id"
	CodeDuplicateEdgeID     = "duplicate_edge_id"
	CodeEmptyID             = "empty_id"
	CodeEdgeMissingSource   = "edge_missing_source"
	CodeEdgeMissingTarget   = "edge_missing_target"
	CodeUnknownSourceHandle = "unknown_source_handle"
	CodeEdgeIntoTrigger     = "edge_into_trigger"
	CodeDuplicateEdge       = "duplicate_edge"
	CodeHandleFanOut        = "handle_fan_out"
	CodeUnreachableNode     = "unreachable_node"
	CodeCycleWithoutWait    = "cycle_without_wait"
	CodeInvalidExpression   = "invalid_expression"
	CodeInvalidCron         = "invalid_cron"
	CodeInvalidTimezone     = "invalid_timezone"
	CodeInvalidDuration     = "invalid_duration"
	CodeInvalidTemplate     = "invalid_template"
)

// Problem is one thing wrong with a definition. NodeID or EdgeID says where;
// Path is a JSON pointer into that node's config when the problem is in it.
type Problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	NodeID  string `json:"nodeId,omitempty"`
	EdgeID  string `json:"edgeId,omitempty"`
	Path    string `json:"path,omitempty"`

	// order sorts problems: graph-wide first, then nodes, then edges, each
	// in definition order.
	group, index int
}

// Error makes a Problem readable in logs and test failures.
func (p Problem) Error() string {
	var where []string
	if p.NodeID != "" {
		where = append(where, "node "+strconv.Quote(p.NodeID))
	}
	if p.EdgeID != "" {
		where = append(where, "edge "+strconv.Quote(p.EdgeID))
	}
	if p.Path != "" {
		where = append(where, p.Path)
	}
	if len(where) == 0 {
		return p.Code + ": " + p.Message
	}
	return p.Code + " (" + strings.Join(where, " ") + "): " + p.Message
}

const (
	groupGraph = iota
	groupNode
	groupEdge
)

// Limits bound the size of a definition DecodeAndValidate accepts. Zero
// fields are unlimited.
type Limits struct {
	MaxNodes int
	MaxEdges int
	MaxBytes int
}

// DefaultLimits are the bounds of one journey's definition: the API
// refuses a draft beyond them (413) and the catalog will not publish one.
func DefaultLimits() Limits {
	return Limits{MaxNodes: 500, MaxEdges: 2000, MaxBytes: 512 << 10}
}

// ErrTooLarge is wrapped by DecodeAndValidate when a definition exceeds its
// Limits; the message says which.
var ErrTooLarge = errors.New("workflow definition too large")

// ErrMalformed is wrapped by DecodeAndValidate when the data is not a JSON
// definition.
var ErrMalformed = errors.New("malformed workflow definition")

// DecodeAndValidate decodes a definition within limits and validates it.
// The error is non-nil only when the data cannot be looked at (ErrTooLarge,
// ErrMalformed); graph problems come back as Problems.
func (r *Registry) DecodeAndValidate(data []byte, limits Limits) (*Definition, []Problem, error) {
	if limits.MaxBytes > 0 && len(data) > limits.MaxBytes {
		return nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), limits.MaxBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, fmt.Errorf("%w: empty document", ErrMalformed)
	}
	var d Definition
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if limits.MaxNodes > 0 && len(d.Nodes) > limits.MaxNodes {
		return nil, nil, fmt.Errorf("%w: %d nodes, limit %d", ErrTooLarge, len(d.Nodes), limits.MaxNodes)
	}
	if limits.MaxEdges > 0 && len(d.Edges) > limits.MaxEdges {
		return nil, nil, fmt.Errorf("%w: %d edges, limit %d", ErrTooLarge, len(d.Edges), limits.MaxEdges)
	}
	return &d, r.Validate(&d), nil
}

// DecodeAndValidate decodes and validates with the default registry; see
// Registry.DecodeAndValidate.
func DecodeAndValidate(data []byte, limits Limits) (*Definition, []Problem, error) {
	return Default().DecodeAndValidate(data, limits)
}

// validation holds the state of one Validate call.
type validation struct {
	r        *Registry
	d        *Definition
	problems []Problem
	index    map[string]int // node ID → index of its first occurrence
}

// closestType returns the registered type nearest to typ by edit
// distance, if it is close enough to be a typo.
func (r *Registry) closestType(typ string) string {
	if len(typ) > 64 {
		return ""
	}
	best, bestDist := "", 3
	for _, nt := range r.All() {
		if d := editDistance(typ, nt.Type); d < bestDist {
			best, bestDist = nt.Type, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// primary reports whether node i has an id and is its first holder.
func (v *validation) primary(i int) bool {
	idx, ok := v.index[v.d.Nodes[i].ID]
	return ok && idx == i
}

func (v *validation) node(i int, code, path, msg string) {
	v.problems = append(v.problems, Problem{Code: code, Message: msg, NodeID: v.d.Nodes[i].ID, Path: path, group: groupNode, index: i})
}

func (v *validation) edge(i int, code, msg string) {
	v.problems = append(v.problems, Problem{Code: code, Message: msg, EdgeID: v.d.Edges[i].ID, group: groupEdge, index: i})
}

// Validate checks a definition and returns every problem found, in a
// stable order: graph-wide problems, then each node's, then each edge's, in
// definition order, and by code within one node or edge. It returns nil for
// a valid definition.
func (r *Registry) Validate(d *Definition) []Problem {
	if d == nil {
		d = &Definition{}
	}
	v := &validation{r: r, d: d, index: make(map[string]int, len(d.Nodes))}
	v.checkNodes()
	reach, flow := v.checkEdges()
	v.checkGraph(reach, flow)
	sort.SliceStable(v.problems, func(i, j int) bool {
		a, b := v.problems[i], v.problems[j]
		if a.group != b.group {
			return a.group < b.group
		}
		if a.index != b.index {
			return a.index < b.index
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Path < b.Path
	})
	return v.problems
}

func (v *validation) checkNodes() {
	for i, n := range v.d.Nodes {
		switch _, dup := v.index[n.ID]; {
		case n.ID == "":
			v.node(i, CodeEmptyID, "", fmt.Sprintf("node #%d (%s) has no id", i+1, n.Type))
		case dup:
			v.node(i, CodeDuplicateNodeID, "", fmt.Sprintf("node id %q is used by more than one node", n.ID))
		default:
			v.index[n.ID] = i
		}
		nt, ok := v.r.Get(n.Type)
		if !ok {
			msg := fmt.Sprintf("unknown node type %q", n.Type)
			if n.Type == "" {
				msg = "node has no type"
			} else if guess := v.r.closestType(n.Type); guess != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", guess)
			}
			v.node(i, CodeUnknownType, "", msg)
			continue
		}
		v.checkConfig(i, nt)
	}
}

var printer = message.NewPrinter(language.English)

// checkConfig validates a node's config against its type's schema, then
// its marked fields and the type's own check.
func (v *validation) checkConfig(i int, nt *NodeType) {
	raw := bytes.TrimSpace(v.d.Nodes[i].Config)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = []byte("{}")
	}
	cfg, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		v.node(i, CodeInvalidConfig, "", fmt.Sprintf("config is not valid JSON: %v", err))
		return
	}
	if err := v.r.schemas[nt.Type].Validate(cfg); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			for _, leaf := range schemaLeaves(ve, func(loc string) string { return v.r.errorMessage(nt.Type, loc) }) {
				v.node(i, CodeInvalidConfig, leaf.path, leaf.msg)
			}
		} else {
			v.node(i, CodeInvalidConfig, "", err.Error())
		}
	}
	obj, ok := cfg.(map[string]any)
	if !ok {
		return
	}
	for _, f := range nt.Fields {
		for _, m := range resolve(obj, f.Pointer) {
			v.checkField(i, obj, f.Kind, m.path, m.value)
		}
	}
	if nt.CheckConfig != nil {
		for _, is := range nt.CheckConfig(obj) {
			v.node(i, CodeInvalidConfig, is.Path, is.Message)
		}
	}
}

// checkField checks one marked config value. Values of the wrong JSON type
// are left to the schema.
func (v *validation) checkField(i int, cfg map[string]any, k FieldKind, path string, value any) {
	if k == FieldJSONSchema {
		m, ok := value.(map[string]any)
		if !ok {
			return
		}
		doc, err := json.Marshal(m)
		if err == nil {
			_, err = compileSchema("nextflow:user-schema", doc)
		}
		if err != nil {
			v.node(i, CodeInvalidConfig, path, fmt.Sprintf("%s is not a valid JSON Schema: %v", field(path), err))
		}
		return
	}
	s, ok := value.(string)
	if !ok {
		return
	}
	switch k {
	case FieldTemplate:
		if err := v.r.tmpl.Parse(s); err != nil {
			v.node(i, CodeInvalidTemplate, path, fmt.Sprintf("%s: %v", field(path), err))
		}
	case FieldCondition:
		if strings.TrimSpace(s) == "" {
			return // optional filters may be empty; required ones are caught by the schema
		}
		if _, err := v.r.expr.CompileBool(s); err != nil {
			v.node(i, CodeInvalidExpression, path, fmt.Sprintf("%s: %v", field(path), err))
		}
	case FieldExpression:
		if _, err := v.r.expr.Compile(s); err != nil {
			v.node(i, CodeInvalidExpression, path, fmt.Sprintf("%s: %v", field(path), err))
		}
	case FieldDuration:
		d, err := ParseDuration(s)
		switch {
		case err != nil:
			v.node(i, CodeInvalidDuration, path, fmt.Sprintf("%s: %v", field(path), err))
		case d <= 0:
			v.node(i, CodeInvalidDuration, path, fmt.Sprintf("%s: %q must be longer than zero", field(path), s))
		}
	case FieldCron:
		tz, _ := cfg["timezone"].(string)
		if _, err := schedule.LoadLocation(tz); err != nil {
			tz = "" // reported by the timezone field; check the expression on its own
		}
		if _, err := schedule.Parse(s, tz); err != nil {
			v.node(i, CodeInvalidCron, path, err.Error())
		}
	case FieldTimezone:
		if _, err := schedule.LoadLocation(s); err != nil {
			v.node(i, CodeInvalidTimezone, path, err.Error())
		}
	case FieldTimezoneOrContact:
		if s == "contact" {
			return
		}
		if _, err := schedule.LoadLocation(s); err != nil {
			v.node(i, CodeInvalidTimezone, path, err.Error()+` (or "contact" for the contact's own timezone)`)
		}
	}
}

// field names a config path in a message.
func field(path string) string {
	if path == "" {
		return "config"
	}
	return strings.TrimPrefix(path, "/")
}

type match struct {
	path  string
	value any
}

// resolve returns the values at a JSON pointer in which "*" matches every
// key (sorted) or index.
func resolve(root any, pointer string) []match {
	cur := []match{{"", root}}
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		var next []match
		for _, m := range cur {
			switch c := m.value.(type) {
			case map[string]any:
				if tok == "*" {
					keys := make([]string, 0, len(c))
					for k := range c {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					for _, k := range keys {
						next = append(next, match{m.path + "/" + escapePointer(k), c[k]})
					}
				} else if x, ok := c[tok]; ok {
					next = append(next, match{m.path + "/" + escapePointer(tok), x})
				}
			case []any:
				if tok == "*" {
					for j, x := range c {
						next = append(next, match{m.path + "/" + strconv.Itoa(j), x})
					}
				} else if j, err := strconv.Atoi(tok); err == nil && j >= 0 && j < len(c) {
					next = append(next, match{m.path + "/" + tok, c[j]})
				}
			}
		}
		cur = next
	}
	return cur
}

func escapePointer(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

type schemaLeaf struct{ path, msg string }

// schemaLeaves flattens a schema validation error into one entry per
// failing keyword, naming missing and unknown properties one by one and
// explaining patterns with the schema's errorMessage (looked up by explain).
func schemaLeaves(ve *jsonschema.ValidationError, explain func(schemaURL string) string) []schemaLeaf {
	var out []schemaLeaf
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		base := ""
		for _, tok := range e.InstanceLocation {
			base += "/" + escapePointer(tok)
		}
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			for _, p := range k.Missing {
				path := base + "/" + escapePointer(p)
				out = append(out, schemaLeaf{path, fmt.Sprintf("%s is required", field(path))})
			}
		case *kind.AdditionalProperties:
			for _, p := range k.Properties {
				path := base + "/" + escapePointer(p)
				out = append(out, schemaLeaf{path, fmt.Sprintf("%s is not a known setting", field(path))})
			}
		case *kind.Pattern:
			if p, ok := propertyNamePath(e.SchemaURL, k.Got); ok {
				// The library reports a bad property name without a useful
				// instance location; point at the property itself.
				base = p
			}
			if msg := explain(e.SchemaURL); msg != "" {
				out = append(out, schemaLeaf{base, fmt.Sprintf("%s: %q: %s", field(base), k.Got, msg)})
			} else {
				out = append(out, schemaLeaf{base, fmt.Sprintf("%s: %s", field(base), e.ErrorKind.LocalizedString(printer))})
			}
		default:
			out = append(out, schemaLeaf{base, fmt.Sprintf("%s: %s", field(base), e.ErrorKind.LocalizedString(printer))})
		}
	}
	walk(ve)
	return out
}

// propertyNamePath turns the location of a failing propertyNames schema
// ("…#/properties/headers/propertyNames") and the bad name into the
// pointer of that property in the config ("/headers/bad name").
func propertyNamePath(schemaURL, name string) (string, bool) {
	_, frag, _ := strings.Cut(schemaURL, "#")
	if !strings.HasSuffix(frag, "/propertyNames") {
		return "", false
	}
	toks := strings.Split(strings.TrimPrefix(strings.TrimSuffix(frag, "/propertyNames"), "/"), "/")
	path := ""
	for i := 0; i+1 < len(toks); i += 2 {
		if toks[i] != "properties" {
			return "", false
		}
		path += "/" + toks[i+1]
	}
	return path + "/" + escapePointer(name), true
}

// checkEdges checks each edge and returns two adjacencies (node index →
// target node indexes): reach has every edge whose both ends exist (what
// the author connected, for reachability), flow only those the engine can
// follow, with a known handle (for cycles).
func (v *validation) checkEdges() (reach, flow [][]int) {
	reach = make([][]int, len(v.d.Nodes))
	flow = make([][]int, len(v.d.Nodes))
	edgeIDs := map[string]bool{}
	type triple struct{ src, handle, dst string }
	type pair struct{ src, handle string }
	seen := map[triple]bool{}
	// leaves is the first edge out of each node's handle: an execution is
	// at one node at a time, so a handle leads to one node.
	leaves := map[pair]Edge{}
	for i, e := range v.d.Edges {
		switch {
		case e.ID == "":
			v.edge(i, CodeEmptyID, fmt.Sprintf("edge #%d (%s → %s) has no id", i+1, e.Source, e.Target))
		case edgeIDs[e.ID]:
			v.edge(i, CodeDuplicateEdgeID, fmt.Sprintf("edge id %q is used by more than one edge", e.ID))
		default:
			edgeIDs[e.ID] = true
		}
		src, srcOK := v.index[e.Source]
		dst, dstOK := v.index[e.Target]
		if !srcOK {
			if e.Source == "" {
				v.edge(i, CodeEdgeMissingSource, "edge has no source")
			} else {
				v.edge(i, CodeEdgeMissingSource, fmt.Sprintf("source node %q does not exist", e.Source))
			}
		}
		if !dstOK {
			if e.Target == "" {
				v.edge(i, CodeEdgeMissingTarget, "edge has no target")
			} else {
				v.edge(i, CodeEdgeMissingTarget, fmt.Sprintf("target node %q does not exist", e.Target))
			}
		}
		handle := e.SourceHandle
		if handle == "" {
			handle = DefaultHandle
		}
		followable := srcOK
		if srcOK {
			if nt, ok := v.r.Get(v.d.Nodes[src].Type); ok {
				handles := nt.Handles(v.d.Nodes[src].Config)
				if !hasHandle(handles, handle) {
					followable = false
					v.edge(i, CodeUnknownSourceHandle, handleMessage(v.d.Nodes[src], e.SourceHandle, handles))
				}
			}
		}
		if dstOK {
			if nt, ok := v.r.Get(v.d.Nodes[dst].Type); ok && nt.IsTrigger() {
				v.edge(i, CodeEdgeIntoTrigger, fmt.Sprintf("edge leads into trigger %q; triggers only start executions", e.Target))
			}
		}
		if srcOK && dstOK {
			t := triple{e.Source, handle, e.Target}
			first, fanOut := leaves[pair{e.Source, handle}]
			switch {
			case seen[t]:
				v.edge(i, CodeDuplicateEdge, fmt.Sprintf("another edge already connects %q (%s) to %q", e.Source, handle, e.Target))
			case fanOut && followable:
				v.edge(i, CodeHandleFanOut, fmt.Sprintf("handle %q of %q already leads to %q (edge %q); an execution follows one path, so use a split or condition node to choose between paths",
					handle, e.Source, first.Target, first.ID))
				seen[t] = true
				reach[src] = append(reach[src], dst) // connected, so not also "unreachable"
			default:
				if followable {
					leaves[pair{e.Source, handle}] = e
				}
				seen[t] = true
				reach[src] = append(reach[src], dst)
				if followable {
					flow[src] = append(flow[src], dst)
				}
			}
		}
	}
	return reach, flow
}

func hasHandle(hs []Handle, id string) bool {
	for _, h := range hs {
		if h.ID == id {
			return true
		}
	}
	return false
}

func handleMessage(n Node, handle string, handles []Handle) string {
	ids := make([]string, len(handles))
	for i, h := range handles {
		ids[i] = strconv.Quote(h.ID)
	}
	switch {
	case len(handles) == 0:
		return fmt.Sprintf("node %q (%s) has no outputs", n.ID, n.Type)
	case handle == "":
		return fmt.Sprintf("node %q (%s) has several outputs; sourceHandle must be one of %s", n.ID, n.Type, strings.Join(ids, ", "))
	default:
		return fmt.Sprintf("node %q (%s) has no output %q; it has %s", n.ID, n.Type, handle, strings.Join(ids, ", "))
	}
}

// checkGraph reports a missing trigger, unreachable nodes and cycles that
// pass through no waiting node.
func (v *validation) checkGraph(reach, flow [][]int) {
	n := len(v.d.Nodes)
	nodeType := func(i int) *NodeType {
		nt, _ := v.r.Get(v.d.Nodes[i].Type)
		return nt
	}
	var roots []int
	for i := range n {
		if !v.primary(i) {
			continue // a duplicate or without id; reported already
		}
		if nt := nodeType(i); nt != nil && nt.IsTrigger() {
			roots = append(roots, i)
		}
	}
	if len(roots) == 0 {
		v.problems = append(v.problems, Problem{Code: CodeNoTrigger, Message: "the workflow needs a trigger node to start executions", group: groupGraph})
	} else {
		seen := make([]bool, n)
		queue := append([]int(nil), roots...)
		for _, r := range roots {
			seen[r] = true
		}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, nx := range reach[cur] {
				if !seen[nx] {
					seen[nx] = true
					queue = append(queue, nx)
				}
			}
		}
		for i := range n {
			if !seen[i] && v.primary(i) {
				v.node(i, CodeUnreachableNode, "", fmt.Sprintf("node %q cannot be reached from any trigger", v.d.Nodes[i].ID))
			}
		}
	}

	// Cycles among nodes that do not wait: strongly connected components of
	// the graph without delay / wait_for_event nodes.
	waits := make([]bool, n)
	for i := range n {
		if nt := nodeType(i); nt != nil && nt.Waits {
			waits[i] = true
		}
	}
	for _, comp := range stronglyConnected(n, flow, waits) {
		selfLoop := false
		if len(comp) == 1 {
			for _, nx := range flow[comp[0]] {
				if nx == comp[0] {
					selfLoop = true
				}
			}
			if !selfLoop {
				continue
			}
		}
		sort.Ints(comp)
		ids := make([]string, len(comp))
		for k, c := range comp {
			ids[k] = strconv.Quote(v.d.Nodes[c].ID)
		}
		v.node(comp[0], CodeCycleWithoutWait, "", fmt.Sprintf("cycle through %s has no delay or wait_for_event node; it would loop without pause", strings.Join(ids, " → ")))
	}
}

// stronglyConnected returns the strongly connected components of the graph
// restricted to nodes not excluded (Tarjan's algorithm, iterative so deep
// graphs cannot overflow the stack).
func stronglyConnected(n int, adj [][]int, excluded []bool) [][]int {
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var comps [][]int
	counter := 0
	type frame struct{ node, next int }
	for start := range n {
		if excluded[start] || index[start] >= 0 {
			continue
		}
		call := []frame{{start, 0}}
		index[start], low[start] = counter, counter
		counter++
		stack = append(stack, start)
		onStack[start] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.next < len(adj[f.node]) {
				w := adj[f.node][f.next]
				f.next++
				if excluded[w] {
					continue
				}
				if index[w] < 0 {
					index[w], low[w] = counter, counter
					counter++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] && index[w] < low[f.node] {
					low[f.node] = index[w]
				}
				continue
			}
			node := f.node
			call = call[:len(call)-1]
			if len(call) > 0 {
				parent := call[len(call)-1].node
				if low[node] < low[parent] {
					low[parent] = low[node]
				}
			}
			if low[node] == index[node] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == node {
						break
					}
				}
				comps = append(comps, comp)
			}
		}
	}
	return comps
}
