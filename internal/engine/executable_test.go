package engine

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// fakeSend is a side effect registered under a type the engine does not
// build in.
type fakeSend struct{ kind string }

func (f fakeSend) Kind() string { return f.kind }
func (fakeSend) Prepare(context.Context, PrepareInput) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}
func (fakeSend) Perform(context.Context, EffectRequest) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}

func TestExecutable(t *testing.T) {
	t.Parallel()
	plain := New(nil, Options{})
	for _, typ := range []string{workflow.TypeTriggerManual, workflow.TypeTriggerWebhook, workflow.TypeCondition,
		workflow.TypeDelay, workflow.TypeWaitForEvent, workflow.TypeEnd, workflow.TypeHTTPRequest} {
		ok, reason := plain.Executable(typ)
		require.True(t, ok, typ)
		require.Empty(t, reason, typ)
	}
	ok, reason := plain.Executable(workflow.TypeEmailSend)
	require.False(t, ok)
	require.Contains(t, reason, workflow.TypeEmailSend)

	withEmail := New(nil, Options{SideEffects: []SideEffect{fakeSend{kind: workflow.TypeEmailSend}}})
	ok, reason = withEmail.Executable(workflow.TypeEmailSend)
	require.True(t, ok)
	require.Empty(t, reason)
}
