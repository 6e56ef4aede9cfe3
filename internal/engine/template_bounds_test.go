package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// bombDef is trigger → node → end, the node given as JSON.
func bombDef(node string) string {
	return fmt.Sprintf(`{"nodes": [
	  {"id": "start", "type": "trigger.manual"},
	  %s,
	  {"id": "done", "type": "end"}],
	 "edges": [{"id": "e1", "source": "start", "target": "bomb"}, {"id": "e2", "source": "bomb", "target": "done"}]}`, node)
}

// TestTemplateAndExpressionBoundsFailTheStep performs the attacks of #12
// through workflows: each fails its step once, for good, with the bound in
// the message, and makes no call.
func TestTemplateAndExpressionBoundsFailTheStep(t *testing.T) {
	t.Parallel()
	// Twelve body fields of 100 KB each: every render is within the
	// output bound, together they are not.
	fields := make([]string, 12)
	for i := range fields {
		fields[i] = fmt.Sprintf(`"f%d": "{%% for i in (1..1000) %%}%s{%% endfor %%}"`, i, strings.Repeat("x", 100))
	}
	attrs := make([]string, 3)
	for i := range attrs {
		attrs[i] = fmt.Sprintf(`"a%d": "lists.range(20000)"`, i)
	}
	each(t, func(t *testing.T, b *bundle) {
		srv := newSink(t, 0, 0)
		for _, tc := range []struct{ name, node, msg string }{
			{"assign doubling",
				`{"id": "bomb", "type": "http.request", "config": {"method": "POST", "url": "` + srv.URL + `/x", "body": "{% assign s='aaaaaaaaaa' %}{% for i in (1..29) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}"}}`,
				"template limit exceeded: filter append would take the bytes built by filters and captures past 16777216"},
			{"nested loops in a header",
				`{"id": "bomb", "type": "http.request", "config": {"method": "POST", "url": "` + srv.URL + `/x", "headers": {"X-Bomb": "{% for i in (1..10000) %}{% for j in (1..10000) %}{% endfor %}{% endfor %}"}}}`,
				"template limit exceeded: more than 100000 loop iterations"},
			{"many body fields",
				`{"id": "bomb", "type": "http.request", "config": {"method": "POST", "url": "` + srv.URL + `/x", "body": {` + strings.Join(fields, ", ") + `}}}`,
				"template limit exceeded: output longer than 1048576 bytes"},
			{"expression cost",
				`{"id": "bomb", "type": "condition", "config": {"expression": "lists.range(1000).map(i, lists.range(1000).map(j, j)).size() > 0"}}`,
				"expression limit exceeded"},
			{"many attributes",
				`{"id": "bomb", "type": "set_attribute", "config": {"target": "vars", "attributes": {` + strings.Join(attrs, ", ") + `}}}`,
				"results larger than 1048576 bytes together"},
		} {
			wf := b.publish(t, bombDef(tc.node))
			exec := b.start(t, wf, `{}`)
			failed, steps := b.waitFor(t, exec.ID, domain.ExecutionFailed)
			// On a loaded machine (or under -race) the time bound may come
			// first; either way the step fails for a bound.
			if !strings.Contains(failed.Error, "took longer than") {
				require.Contains(t, failed.Error, tc.msg, tc.name)
			}
			require.Regexp(t, `(template|expression) limit exceeded`, failed.Error, tc.name)
			require.Len(t, steps, 2, tc.name)
			require.Equal(t, domain.StepFailed, steps[1].Status, tc.name)
			require.Equal(t, 1, steps[1].Attempt, "%s: a bound is not retried", tc.name)
		}
		require.Zero(t, srv.calls.Load())
	})
}
