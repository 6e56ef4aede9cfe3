package engine

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// rudeEffect stands in for a called service whose error text holds a NUL
// byte and bytes that are not UTF-8, which PostgreSQL's text refuses.
type rudeEffect struct{}

func (rudeEffect) Kind() string { return "http.request" }

func (rudeEffect) Prepare(context.Context, PrepareInput) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}

func (rudeEffect) Perform(context.Context, EffectRequest) (json.RawMessage, error) {
	return nil, Permanent(errors.New("upstream said \x00 and \xff\xfe"))
}

// TestOutsideErrorTextIsStored: a step failed by such an error is
// recorded (with U+FFFD in place of the bad bytes) and fails its
// execution, on both backends, instead of leaving the write refused and
// the job retrying.
func TestOutsideErrorTextIsStored(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		wf := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "call", "type": "http.request", "config": {"url": "https://example.com/"}},
		  {"id": "done", "type": "end"}],
		 "edges": [{"id": "e1", "source": "start", "target": "call"}, {"id": "e2", "source": "call", "target": "done"}]}`)
		exec := b.start(t, wf, `{}`)
		failed, steps := b.waitFor(t, exec.ID, domain.ExecutionFailed)
		require.Contains(t, failed.Error, "upstream said \uFFFD and \uFFFD")
		require.NotContains(t, failed.Error, "\x00")
		require.Equal(t, domain.StepFailed, steps[1].Status)
		require.Contains(t, steps[1].Error, "upstream said \uFFFD")
	}, func(o *Options) { o.SideEffects = append(o.SideEffects, rudeEffect{}) })
}
