package workflow

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTriggerEventReentry(t *testing.T) {
	t.Parallel()
	r := Default()
	done := n("done", TypeEnd, endCfg)
	for _, policy := range []string{"", ReentryOnce, ReentryOneAtATime, ReentryAlways} {
		cfg := `{"event":"user.signed_up"}`
		if policy != "" {
			cfg = `{"event":"user.signed_up","reentry":"` + policy + `"}`
		}
		def := &Definition{Nodes: []Node{n("start", TypeTriggerEvent, cfg), done}, Edges: []Edge{e("e1", "start", "", "done")}}
		require.Empty(t, r.Validate(def), policy)
		c, err := DecodeConfig[TriggerEventConfig](&def.Nodes[0])
		require.NoError(t, err)
		want := policy
		if want == "" {
			want = ReentryOneAtATime
		}
		require.Equal(t, want, c.ReentryPolicy())
	}

	def := &Definition{
		Nodes: []Node{n("start", TypeTriggerEvent, `{"event":"user.signed_up","reentry":"twice"}`), done},
		Edges: []Edge{e("e1", "start", "", "done")},
	}
	problems := r.Validate(def)
	require.Equal(t, []want{{CodeInvalidConfig, "start", "", "/reentry"}}, got(problems))
	require.Contains(t, problems[0].Message, "one_at_a_time")
}
