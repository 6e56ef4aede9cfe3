package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

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

	// eventRaw is trigger.event as the start had it, compact, written by
	// encode while trigger.event is still eventMap (setEvent).
	eventRaw json.RawMessage
	eventMap map[string]any
	// encodedLen is the length of the last encoding, to size the next.
	encodedLen int
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

// encode writes the context as stored: the JSON json.Marshal(c) writes,
// through appendJSON (the values a context holds, without reflection), and
// with trigger.event as the start had it (eventRaw), not encoded again.
func (c *execContext) encode() (json.RawMessage, error) {
	b := make([]byte, 0, c.encodedLen+c.encodedLen/4+64)
	b = append(b, `{"trigger":`...)
	b, err := c.appendTrigger(b)
	if err != nil {
		return nil, fmt.Errorf("encode execution context: %w", err)
	}
	for _, part := range [...]struct {
		name string
		m    map[string]any
	}{{`,"contact":`, c.Contact}, {`,"steps":`, c.Steps}, {`,"vars":`, c.Vars}} {
		if len(part.m) == 0 {
			continue // omitempty
		}
		b = append(b, part.name...)
		if b, err = appendJSON(b, part.m, 0); err != nil {
			return nil, fmt.Errorf("encode execution context: %w", err)
		}
	}
	if !c.Engine.isZero() { // omitzero
		data, err := json.Marshal(c.Engine)
		if err != nil {
			return nil, fmt.Errorf("encode execution context: %w", err)
		}
		b = append(b, `,"$engine":`...)
		b = append(b, data...)
	}
	b = append(b, '}')
	c.encodedLen = len(b)
	return b, nil
}

// isZero reports whether s is its zero value (json's omitzero).
func (s *engineState) isZero() bool {
	return s.Open == nil && s.StepBase == 0 && s.Announce == nil && s.Test == nil
}

// setEvent sets trigger.event to v, decoded from raw; raw, compact and
// valid UTF-8, is what encode then writes for it as long as trigger.event
// is v (the trigger is not changed once the execution started, so one
// encoding of the event serves every write of the context).
func (c *execContext) setEvent(raw json.RawMessage, v any) {
	c.Trigger["event"] = v
	m, ok := v.(map[string]any)
	if !ok || !utf8.Valid(raw) {
		return
	}
	if noWhitespace(raw) {
		// Valid (v was decoded from it) and already compact, as an event
		// start's raw is (rawEventView): kept as it is, not scanned again.
		c.eventRaw, c.eventMap = bytes.Clone(raw), m
		return
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return
	}
	c.eventRaw, c.eventMap = buf.Bytes(), m
}

// noWhitespace reports whether b holds none of JSON's whitespace bytes.
func noWhitespace(b []byte) bool {
	return bytes.IndexByte(b, ' ') < 0 && bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\t') < 0 && bytes.IndexByte(b, '\r') < 0
}

// triggerJSON is the JSON of the context's trigger (trigger.event as the
// start had it, see setEvent), as json.Marshal(c.Trigger) would write it.
func (c *execContext) triggerJSON() (json.RawMessage, error) {
	b, err := c.appendTrigger(make([]byte, 0, len(c.eventRaw)+128))
	if err != nil {
		return nil, fmt.Errorf("encode trigger: %w", err)
	}
	return b, nil
}

// appendTrigger appends the JSON of c.Trigger to b.
func (c *execContext) appendTrigger(b []byte) ([]byte, error) {
	if c.eventRaw != nil {
		if ev, ok := c.Trigger["event"].(map[string]any); ok && sameMap(ev, c.eventMap) {
			return appendMap(b, c.Trigger, 0, "event", c.eventRaw)
		}
	}
	return appendJSON(b, c.Trigger, 0)
}

// sameMap reports whether a and b are the same map (not equal ones).
func sameMap(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// maxJSONDepth is how deep appendJSON nests before it leaves a value to
// json.Marshal (which reports a cycle as an error).
const maxJSONDepth = 200

// appendJSON appends the JSON of v to b exactly as json.Marshal writes it
// (keys sorted, HTML characters and U+2028/U+2029 escaped, floats as
// encoding/json formats them), without reflection for the values
// expressions and decoded JSON produce (maps, slices, strings, numbers,
// booleans, nil); any other value, and one nested deeper than
// maxJSONDepth, goes through json.Marshal.
func appendJSON(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxJSONDepth {
		return appendMarshal(b, v)
	}
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case float64:
		return appendJSONFloat(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case map[string]any:
		return appendMap(b, v, depth, "", nil)
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, x, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	return appendMarshal(b, v)
}

// appendMarshal appends json.Marshal(v) to b.
func appendMarshal(b []byte, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, data...), nil
}

// appendMap appends the JSON of m, its keys sorted; the value of key
// rawKey, when set, is written as raw.
func appendMap(b []byte, m map[string]any, depth int, rawKey string, raw []byte) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		if raw != nil && k == rawKey {
			b = append(b, raw...)
			continue
		}
		var err error
		if b, err = appendJSON(b, m[k], depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendJSONFloat appends f as encoding/json writes a float64.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return appendMarshal(b, f) // json's error
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json writes a string
// (escapeHTML on).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
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
