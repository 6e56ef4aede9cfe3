package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nextflow-dev/nextflow/internal/expr"
	"github.com/nextflow-dev/nextflow/internal/tmpl"
)

// Handle is a named output of a node; edges leave a node through one.
type Handle struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// ErrorHandle is the output a node that can fail follows once its retries
// are exhausted.
const ErrorHandle = "error"

// FieldKind says what a string in a node's config holds, so validation can
// check it and the builder can offer the right editor.
type FieldKind string

// Field kinds.
const (
	// FieldTemplate is a Liquid template rendered over the execution context.
	FieldTemplate FieldKind = "template"
	// FieldCondition is a CEL expression that must produce a bool.
	FieldCondition FieldKind = "condition"
	// FieldExpression is a CEL expression producing any value.
	FieldExpression FieldKind = "expression"
	// FieldDuration is a duration such as "2d", "48h", "90m" or "30s".
	FieldDuration FieldKind = "duration"
	// FieldCron is a cron expression (with the node's timezone field).
	FieldCron FieldKind = "cron"
	// FieldTimezone is an IANA timezone name.
	FieldTimezone FieldKind = "timezone"
	// FieldTimezoneOrContact is an IANA timezone name or "contact" (the
	// contact's own timezone).
	FieldTimezoneOrContact FieldKind = "timezone_or_contact"
	// FieldJSONSchema is a JSON Schema document (ai.extract's output shape).
	FieldJSONSchema FieldKind = "json_schema"
)

// Field marks strings in a node's config: Pointer is a JSON pointer into the
// config in which "*" stands for every key of an object or item of an array
// ("/headers/*").
type Field struct {
	Pointer string    `json:"pointer"`
	Kind    FieldKind `json:"kind"`
}

// ConfigIssue is a problem found by a node type's own config check.
type ConfigIssue struct {
	// Path is a JSON pointer into the config.
	Path    string
	Message string
}

// DynamicHandles describes outputs that come from the config, so clients
// can compute them without Go: one handle per distinct non-empty string at
// Pointer ("*" matches every item), then Extra.
type DynamicHandles struct {
	Pointer string   `json:"pointer"`
	Extra   []Handle `json:"extra,omitempty"`
}

// NodeType describes one kind of node: its config schema, its handles and
// how the engine runs it. The registry holds one per type.
type NodeType struct {
	// Type is the node's type name as stored in a definition ("email.send").
	Type string `json:"type"`
	// Category groups types in the builder's palette: trigger, message,
	// flow, data or ai.
	Category    string `json:"category"`
	Label       string `json:"label"`
	Description string `json:"description"`
	// ConfigSchema is a JSON Schema (2020-12) of the node's config, with
	// titles, descriptions, defaults and enums so a builder can render a form.
	ConfigSchema json.RawMessage `json:"configSchema"`
	// Inputs is 0 for triggers and 1 for every other node.
	Inputs int `json:"inputs"`
	// Outputs are the node's static output handles (without "error").
	Outputs []Handle `json:"outputs"`
	// DynamicOutputs, when set, returns the handles that depend on the
	// config (split variants, ai.classify labels plus "other").
	DynamicOutputs func(config json.RawMessage) []Handle `json:"-"`
	// DynamicOutputsFrom describes the dynamic outputs for clients; when
	// DynamicOutputs is nil, Register derives it from this.
	DynamicOutputsFrom *DynamicHandles `json:"dynamicOutputs,omitempty"`
	// CanFail means the node has an "error" handle, followed once its
	// retries are exhausted.
	CanFail bool `json:"canFail"`
	// Pure nodes (triggers, condition, split, set_attribute, end) have no
	// side effects outside the execution and run inline.
	Pure bool `json:"pure"`
	// Waits means the node suspends the execution (delay, wait_for_event);
	// a cycle must pass through one.
	Waits bool `json:"waits"`
	// Fields marks the template, expression, duration, cron and timezone
	// strings in the config; validation checks each.
	Fields []Field `json:"fields,omitempty"`
	// CheckConfig, when set, checks what the schema cannot express (such as
	// unique variant names); it is called with the decoded config.
	CheckConfig func(config map[string]any) []ConfigIssue `json:"-"`
}

// IsTrigger reports whether the type starts executions.
func (t *NodeType) IsTrigger() bool { return t.Inputs == 0 }

// Handles returns every output handle of a node of this type with the
// given config: static, dynamic, then "error" when the type can fail.
func (t *NodeType) Handles(config json.RawMessage) []Handle {
	out := append([]Handle(nil), t.Outputs...)
	if t.DynamicOutputs != nil {
		out = append(out, t.DynamicOutputs(config)...)
	}
	if t.CanFail {
		out = append(out, Handle{ID: ErrorHandle, Label: "Error"})
	}
	return out
}

// Registry holds the node types and what validation needs to check them
// (compiled config schemas, a CEL environment, a template engine). It is
// safe for concurrent use once built.
type Registry struct {
	types   map[string]*NodeType
	schemas map[string]*jsonschema.Schema
	docs    map[string]any // decoded config schemas, for errorMessage lookups
	expr    *expr.Env
	tmpl    *tmpl.Engine
}

// NewRegistry returns an empty registry that checks expressions with env
// and templates with engine.
func NewRegistry(env *expr.Env, engine *tmpl.Engine) *Registry {
	return &Registry{
		types:   map[string]*NodeType{},
		schemas: map[string]*jsonschema.Schema{},
		docs:    map[string]any{},
		expr:    env,
		tmpl:    engine,
	}
}

// Default builds a registry with every built-in node type. Each call builds
// a new one; callers keep theirs.
func Default() *Registry {
	env, err := expr.NewEnv(expr.Options{})
	if err != nil {
		panic(fmt.Sprintf("workflow: build CEL environment: %v", err))
	}
	r := NewRegistry(env, tmpl.New(tmpl.Options{}))
	for _, nt := range builtinTypes() {
		if err := r.Register(nt); err != nil {
			// The built-in schemas are constants covered by tests.
			panic(fmt.Sprintf("workflow: %v", err))
		}
	}
	return r
}

// Register adds a node type, compiling its config schema. It fails if the
// type is already registered or its schema does not compile.
func (r *Registry) Register(nt NodeType) error {
	if nt.Type == "" {
		return fmt.Errorf("register node type: empty type name")
	}
	if _, ok := r.types[nt.Type]; ok {
		return fmt.Errorf("register node type %s: already registered", nt.Type)
	}
	sch, err := compileSchema(schemaURL(nt.Type), nt.ConfigSchema)
	if err != nil {
		return fmt.Errorf("register node type %s: %w", nt.Type, err)
	}
	var doc any
	_ = json.Unmarshal(nt.ConfigSchema, &doc) // compiled above, so it decodes
	if nt.DynamicOutputs == nil && nt.DynamicOutputsFrom != nil {
		nt.DynamicOutputs = dynamicHandles(*nt.DynamicOutputsFrom)
	}
	r.types[nt.Type] = &nt
	r.schemas[nt.Type] = sch
	r.docs[nt.Type] = doc
	return nil
}

// Get returns the node type with the given name.
func (r *Registry) Get(typ string) (*NodeType, bool) {
	nt, ok := r.types[typ]
	return nt, ok
}

// All returns every node type sorted by type name.
func (r *Registry) All() []*NodeType {
	out := make([]*NodeType, 0, len(r.types))
	for _, nt := range r.types {
		out = append(out, nt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// Expr returns the CEL environment the registry validates with; the engine
// may share it.
func (r *Registry) Expr() *expr.Env { return r.expr }

// Templates returns the template engine the registry validates with; the
// engine may share it.
func (r *Registry) Templates() *tmpl.Engine { return r.tmpl }

// dynamicHandles returns a DynamicOutputs func reading handle names at a
// pointer in the config. Names that collide with Extra or "error" are left
// out (validation reports them).
func dynamicHandles(from DynamicHandles) func(json.RawMessage) []Handle {
	return func(config json.RawMessage) []Handle {
		var cfg any
		_ = json.Unmarshal(config, &cfg)
		reserved := map[string]bool{ErrorHandle: true}
		for _, h := range from.Extra {
			reserved[h.ID] = true
		}
		var out []Handle
		for _, m := range resolve(cfg, from.Pointer) {
			name, _ := m.value.(string)
			if name == "" || reserved[name] {
				continue
			}
			reserved[name] = true
			out = append(out, Handle{ID: name, Label: name})
		}
		return append(out, from.Extra...)
	}
}

// schemaURL names a node type's config schema for the compiler.
func schemaURL(typ string) string { return "nextflow:node/" + typ }

// errorMessage returns the "errorMessage" annotation of the subschema at
// an absolute schema location ("nextflow:node/delay#/properties/until"),
// which the schemas use to explain patterns in words.
func (r *Registry) errorMessage(typ, location string) string {
	_, frag, ok := strings.Cut(location, "#")
	if !ok || !strings.HasPrefix(location, schemaURL(typ)+"#") {
		return ""
	}
	for _, m := range resolve(r.docs[typ], frag) {
		if obj, ok := m.value.(map[string]any); ok {
			if msg, ok := obj["errorMessage"].(string); ok {
				return msg
			}
		}
	}
	return ""
}

// noLoader refuses every $ref to a document outside the schema, so a
// user-supplied schema cannot read files or reach the network.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external schema %q not allowed", url)
}

// compileSchema compiles a JSON Schema document (2020-12 unless it says
// otherwise) that may only refer to itself.
func compileSchema(url string, doc []byte) (*jsonschema.Schema, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		doc = []byte(`{}`)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("decode config schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	if err := c.AddResource(url, v); err != nil {
		return nil, fmt.Errorf("add config schema: %w", err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compile config schema: %s", strings.TrimSpace(err.Error()))
	}
	return sch, nil
}
