package workflow

import (
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var firstSet = []string{
	"ai.classify", "ai.extract", "ai.generate", "condition", "delay", "email.send", "end",
	"http.request", "messenger.send", "set_attribute", "split", "trigger.event", "trigger.manual",
	"trigger.schedule", "trigger.segment", "trigger.webhook", "wait_for_event", "whatsapp.send",
}

func TestRegistryAll(t *testing.T) {
	t.Parallel()
	r := Default()
	var names []string
	for _, nt := range r.All() {
		names = append(names, nt.Type)
	}
	require.True(t, sort.StringsAreSorted(names))
	require.Equal(t, firstSet, names)

	for _, nt := range r.All() {
		require.NotEmpty(t, nt.Label, nt.Type)
		require.NotEmpty(t, nt.Description, nt.Type)
		require.Contains(t, []string{CategoryTrigger, CategoryMessage, CategoryFlow, CategoryData, CategoryAI}, nt.Category, nt.Type)
		var sch map[string]any
		require.NoError(t, json.Unmarshal(nt.ConfigSchema, &sch), nt.Type)
		require.Equal(t, "https://json-schema.org/draft/2020-12/schema", sch["$schema"], nt.Type)
		require.Equal(t, "object", sch["type"], nt.Type)
		require.NotEmpty(t, sch["title"], nt.Type)
		if nt.Category == CategoryTrigger {
			require.Equal(t, 0, nt.Inputs, nt.Type)
			require.True(t, nt.Pure, nt.Type)
		} else {
			require.Equal(t, 1, nt.Inputs, nt.Type)
		}
		// Every property has a title for the form.
		props, _ := sch["properties"].(map[string]any)
		for name, p := range props {
			require.NotEmpty(t, p.(map[string]any)["title"], "%s.%s", nt.Type, name)
		}
		// Served to the builder as JSON.
		_, err := json.Marshal(nt)
		require.NoError(t, err)
	}

	_, ok := r.Get("nope")
	require.False(t, ok)
}

func TestRegistryFlags(t *testing.T) {
	t.Parallel()
	r := Default()
	flags := func(typ string) (canFail, pure, waits bool) {
		nt, ok := r.Get(typ)
		require.True(t, ok, typ)
		return nt.CanFail, nt.Pure, nt.Waits
	}
	for _, typ := range []string{"http.request", "email.send", "whatsapp.send", "messenger.send", "ai.generate", "ai.classify", "ai.extract"} {
		canFail, pure, waits := flags(typ)
		require.True(t, canFail, typ)
		require.False(t, pure, typ)
		require.False(t, waits, typ)
	}
	for _, typ := range []string{"condition", "split", "set_attribute", "end", "trigger.event", "trigger.manual", "trigger.schedule", "trigger.segment", "trigger.webhook"} {
		canFail, pure, waits := flags(typ)
		require.False(t, canFail, typ)
		require.True(t, pure, typ)
		require.False(t, waits, typ)
	}
	for _, typ := range []string{"delay", "wait_for_event"} {
		canFail, pure, waits := flags(typ)
		require.False(t, canFail, typ)
		require.False(t, pure, typ)
		require.True(t, waits, typ)
	}
}

func handleIDs(hs []Handle) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, h.ID)
	}
	return out
}

func TestHandles(t *testing.T) {
	t.Parallel()
	r := Default()
	tests := []struct {
		typ, cfg string
		want     []string
	}{
		{"trigger.manual", `{}`, []string{"out"}},
		{"condition", `{"expression":"true"}`, []string{"true", "false"}},
		{"wait_for_event", `{}`, []string{"event", "timeout"}},
		{"split", `{"variants":[{"name":"a","weight":1},{"name":"b","weight":1},{"name":"a","weight":1}]}`, []string{"a", "b"}},
		{"split", `not json`, []string{}},
		{"ai.classify", `{"labels":["question","complaint"]}`, []string{"question", "complaint", "other", "error"}},
		{"ai.classify", `{}`, []string{"other", "error"}},
		{"http.request", `{}`, []string{"out", "error"}},
		{"email.send", `{}`, []string{"out", "error"}},
		{"delay", `{}`, []string{"out"}},
		{"end", `{}`, []string{}},
	}
	for _, tc := range tests {
		nt, ok := r.Get(tc.typ)
		require.True(t, ok)
		require.Equal(t, tc.want, handleIDs(nt.Handles(json.RawMessage(tc.cfg))), "%s %s", tc.typ, tc.cfg)
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	r := Default()
	require.Error(t, r.Register(NodeType{Type: "delay"}))
	require.Error(t, r.Register(NodeType{}))
	require.Error(t, r.Register(NodeType{Type: "x.bad", ConfigSchema: json.RawMessage(`{"type": 5}`)}))
	require.Error(t, r.Register(NodeType{Type: "x.remote", ConfigSchema: json.RawMessage(`{"$ref": "https://example.com/s.json"}`)}))
	require.NoError(t, r.Register(NodeType{Type: "slack.send", Category: CategoryMessage, Inputs: 1, Outputs: outHandle(), CanFail: true,
		ConfigSchema: json.RawMessage(`{"type":"object","required":["channel"],"properties":{"channel":{"type":"string"}}}`)}))
	d := &Definition{
		Nodes: []Node{n("s", TypeTriggerManual, ""), n("x", "slack.send", `{}`)},
		Edges: []Edge{e("1", "s", "", "x")},
	}
	require.Equal(t, []want{{CodeInvalidConfig, "x", "", "/channel"}}, got(r.Validate(d)))
	require.NotNil(t, r.Expr())
	require.NotNil(t, r.Templates())
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	ok := map[string]time.Duration{
		"2d":     48 * time.Hour,
		"48h":    48 * time.Hour,
		"90m":    90 * time.Minute,
		"30s":    30 * time.Second,
		"1w":     7 * 24 * time.Hour,
		"1d12h":  36 * time.Hour,
		"1.5h":   90 * time.Minute,
		"0.5d":   12 * time.Hour,
		"1h30m":  90 * time.Minute,
		"250ms":  250 * time.Millisecond,
		" 10s ":  10 * time.Second,
		"0":      0,
		"-1h":    -time.Hour,
		"2w3d4h": (14+3)*24*time.Hour + 4*time.Hour,
		"100us":  100 * time.Microsecond,
		"5µs":    5 * time.Microsecond,
	}
	for s, want := range ok {
		d, err := ParseDuration(s)
		require.NoError(t, err, s)
		require.Equal(t, want, d, s)
	}
	for _, s := range []string{"", " ", "2", "2 days", "d", "1x", "1.2.3h", "h1", "99999999999999w", "-", "1h-2m", "1y"} {
		_, err := ParseDuration(s)
		require.Error(t, err, s)
		require.Contains(t, err.Error(), "parse duration", s)
	}
}
