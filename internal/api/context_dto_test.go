package api

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// The stored context leaves empty parts out and carries the engine's
// bookkeeping; the API shows every documented part and none of the
// bookkeeping.
func TestContextDTO(t *testing.T) {
	raw := json.RawMessage(`{"trigger":{"type":"trigger.manual","input":{"a":1}},"$engine":{"open":{"seq":2}}}`)
	require.Equal(t, map[string]any{
		"trigger": map[string]any{"type": "trigger.manual", "input": map[string]any{"a": 1.0}},
		"contact": map[string]any{}, "steps": map[string]any{}, "vars": map[string]any{},
	}, contextDTO(raw))

	full := json.RawMessage(`{"trigger":{},"contact":{"email":"a@b.c"},"steps":{"x":{"output":1}},"vars":{"n":2}}`)
	require.Equal(t, map[string]any{
		"trigger": map[string]any{}, "contact": map[string]any{"email": "a@b.c"},
		"steps": map[string]any{"x": map[string]any{"output": 1.0}}, "vars": map[string]any{"n": 2.0},
	}, contextDTO(full))

	require.Nil(t, contextDTO(nil))
}
