package engine

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// execContext is the execution context as stored in executions.context:
// what expressions and templates see, plus the engine's own bookkeeping
// under "$engine" (which expressions do not see). The "execution" part
// (id, workflowId, version) is not stored: it repeats the execution's
// columns, and a waiting execution should cost as few bytes as it can.
// For the same reason an empty contact, steps or vars is left out;
// decodeContext restores it.
type execContext struct {
	Trigger   map[string]any `json:"trigger"`
	Contact   map[string]any `json:"contact,omitempty"`
	Steps     map[string]any `json:"steps,omitempty"`
	Vars      map[string]any `json:"vars,omitempty"`
	Execution map[string]any `json:"-"`
	Engine    engineState    `json:"$engine,omitzero"`
}

// executionVars is the "execution" part of the context of exec.
func executionVars(exec *domain.Execution) map[string]any {
	// The version is a float64, as any number read back from JSON.
	return map[string]any{"id": exec.ID.String(), "workflowId": exec.WorkflowID.String(), "version": float64(exec.Version)}
}

// engineState is what the engine must remember between transactions.
type engineState struct {
	// Open is the step left unfinished at the current node: a delay or a
	// wait that is WAITING, or a side effect RUNNING or awaiting a retry.
	Open *openStep `json:"open,omitempty"`
	// StepBase is the step count when the execution was last retried; the
	// step limit counts from it.
	StepBase int `json:"stepBase,omitempty"`
	// Announce holds changes made inside a caller's transaction (ResumeTx),
	// which the engine cannot publish after that commit; the next advance
	// publishes them.
	Announce []announcement `json:"announce,omitempty"`
	// Test holds a test run's options (testrun.go); nil for a real run.
	Test *TestOptions `json:"test,omitempty"`
}

// announcement is a live event waiting to be published.
type announcement struct {
	Kind   string    `json:"kind"`
	Status string    `json:"status"`
	StepID uuid.UUID `json:"stepId,omitzero"`
	NodeID string    `json:"nodeId,omitempty"`
}

// openStep identifies an unfinished step.
type openStep struct {
	ID      uuid.UUID `json:"id"`
	Seq     int       `json:"seq"`
	NodeID  string    `json:"nodeId"`
	Attempt int       `json:"attempt"`
	// Key is the outbox idempotency key of a side effect.
	Key string `json:"key,omitempty"`
	// Started is when the step began (zero in contexts written before it
	// was kept), for the step latency Publisher sees (live.Event.Took).
	Started time.Time `json:"started,omitzero"`
}

func decodeContext(data []byte) (*execContext, error) {
	c := &execContext{}
	if len(data) > 0 {
		if err := json.Unmarshal(data, c); err != nil {
			return nil, fmt.Errorf("decode execution context: %w", err)
		}
	}
	if c.Trigger == nil {
		c.Trigger = map[string]any{}
	}
	if c.Contact == nil {
		c.Contact = map[string]any{}
	}
	if c.Steps == nil {
		c.Steps = map[string]any{}
	}
	if c.Vars == nil {
		c.Vars = map[string]any{}
	}
	if c.Execution == nil {
		c.Execution = map[string]any{}
	}
	return c, nil
}

// ContextView is a stored execution context as users see it: its trigger,
// contact, steps and vars, each an object even when the engine left an
// empty one out, and none of the engine's own bookkeeping.
func ContextView(raw json.RawMessage) (map[string]any, error) {
	c, err := decodeContext(raw)
	if err != nil {
		return nil, err
	}
	return map[string]any{"trigger": c.Trigger, "contact": c.Contact, "steps": c.Steps, "vars": c.Vars}, nil
}

func (c *execContext) encode() (json.RawMessage, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode execution context: %w", err)
	}
	return data, nil
}

// activation is what CEL expressions see.
func (c *execContext) activation(now time.Time) map[string]any {
	return map[string]any{
		"trigger":   c.Trigger,
		"contact":   c.Contact,
		"steps":     c.Steps,
		"vars":      c.Vars,
		"execution": c.Execution,
		"now":       now,
	}
}

// templateData is what Liquid templates see.
func (c *execContext) templateData() map[string]any {
	return map[string]any{
		"trigger":   c.Trigger,
		"contact":   c.Contact,
		"steps":     c.Steps,
		"vars":      c.Vars,
		"execution": c.Execution,
	}
}

// setOutput records a node's output as steps.<node>.output.
func (c *execContext) setOutput(nodeID string, output any) {
	c.Steps[nodeID] = map[string]any{"output": output}
}

// setError records a node's error as steps.<node>.error (output kept when
// there is one).
func (c *execContext) setError(nodeID, msg string) {
	m, _ := c.Steps[nodeID].(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	m["error"] = msg
	c.Steps[nodeID] = m
}

// toJSONValue converts a raw JSON document into a plain value (nil for
// empty input).
func toJSONValue(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	return v, nil
}
