package workflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// n builds a node; cfg is its config JSON ("" for none).
func n(id, typ, cfg string) Node {
	return Node{ID: id, Type: typ, Config: json.RawMessage(cfg)}
}

// e builds an edge.
func e(id, src, handle, dst string) Edge {
	return Edge{ID: id, Source: src, SourceHandle: handle, Target: dst}
}

// want is a compact expected problem: code, node ID, edge ID, path.
type want struct{ code, node, edge, path string }

func got(ps []Problem) []want {
	out := []want{}
	for _, p := range ps {
		out = append(out, want{p.Code, p.NodeID, p.EdgeID, p.Path})
	}
	return out
}

const (
	manual = `{}`
	endCfg = `{}`
)

func TestValidateInvalidGraphs(t *testing.T) {
	t.Parallel()
	r := Default()
	start := n("start", TypeTriggerManual, manual)
	done := n("done", TypeEnd, endCfg)

	tests := []struct {
		name  string
		nodes []Node
		edges []Edge
		want  []want
	}{
		{
			name:  "empty definition",
			nodes: nil, edges: nil,
			want: []want{{CodeNoTrigger, "", "", ""}},
		},
		{
			name:  "no trigger",
			nodes: []Node{n("a", TypeCondition, `{"expression":"true"}`), done},
			edges: []Edge{e("e1", "a", "true", "done")},
			want:  []want{{CodeNoTrigger, "", "", ""}},
		},
		{
			name:  "unknown type",
			nodes: []Node{start, n("x", "sms.send", `{}`), n("y", "", `{}`)},
			edges: []Edge{e("e1", "start", "", "x"), e("e2", "x", "", "y")},
			want:  []want{{CodeUnknownType, "x", "", ""}, {CodeUnknownType, "y", "", ""}},
		},
		{
			name:  "duplicate and empty node ids",
			nodes: []Node{start, done, n("done", TypeEnd, endCfg), n("", TypeEnd, endCfg)},
			edges: []Edge{e("e1", "start", "", "done")},
			want:  []want{{CodeDuplicateNodeID, "done", "", ""}, {CodeEmptyID, "", "", ""}},
		},
		{
			name:  "a trigger without an id starts nothing",
			nodes: []Node{n("", TypeTriggerManual, manual), done},
			edges: []Edge{e("e1", "", "", "done")},
			want:  []want{{CodeNoTrigger, "", "", ""}, {CodeEmptyID, "", "", ""}, {CodeEdgeMissingSource, "", "e1", ""}},
		},
		{
			name:  "duplicate and empty edge ids, duplicate edge",
			nodes: []Node{start, done},
			edges: []Edge{e("e1", "start", "", "done"), e("e1", "start", "out", "done"), e("", "start", "", "done")},
			want: []want{
				{CodeDuplicateEdge, "", "e1", ""}, {CodeDuplicateEdgeID, "", "e1", ""},
				{CodeDuplicateEdge, "", "", ""}, {CodeEmptyID, "", "", ""},
			},
		},
		{
			name:  "one handle leading to two nodes",
			nodes: []Node{start, done, n("other", TypeEnd, endCfg)},
			edges: []Edge{e("e1", "start", "", "done"), e("e2", "start", "out", "other")},
			want:  []want{{CodeHandleFanOut, "", "e2", ""}},
		},
		{
			name:  "dangling edges",
			nodes: []Node{start, done},
			edges: []Edge{e("e1", "start", "", "done"), e("e2", "ghost", "", "done"), e("e3", "start", "", "nowhere"), e("e4", "", "", "")},
			want: []want{
				{CodeEdgeMissingSource, "", "e2", ""},
				{CodeEdgeMissingTarget, "", "e3", ""},
				{CodeEdgeMissingSource, "", "e4", ""}, {CodeEdgeMissingTarget, "", "e4", ""},
			},
		},
		{
			name: "unknown source handles",
			nodes: []Node{start, n("c", TypeCondition, `{"expression":"true"}`),
				n("w", TypeWaitForEvent, `{"event":"x","timeout":"1h"}`), n("h", TypeHTTPRequest, `{"url":"https://x.test"}`), done},
			edges: []Edge{
				e("e1", "start", "", "c"),
				e("e2", "c", "", "w"),         // condition needs true/false
				e("e3", "c", "maybe", "w"),    // no such handle
				e("e4", "w", "timeout", "h"),  // fine
				e("e5", "h", "error", "done"), // fine: http.request can fail
				e("e6", "h", "", "done"),      // fine: default out
				e("e7", "done", "", "h"),      // end has no outputs
				e("e8", "start", "error", "h"),
			},
			want: []want{
				{CodeUnknownSourceHandle, "", "e2", ""},
				{CodeUnknownSourceHandle, "", "e3", ""},
				{CodeUnknownSourceHandle, "", "e7", ""},
				{CodeUnknownSourceHandle, "", "e8", ""},
			},
		},
		{
			name:  "edge into trigger",
			nodes: []Node{start, n("t2", TypeTriggerEvent, `{"event":"x"}`), done},
			edges: []Edge{e("e2", "start", "", "t2"), e("e3", "t2", "", "done")},
			want:  []want{{CodeEdgeIntoTrigger, "", "e2", ""}},
		},
		{
			name:  "unreachable nodes",
			nodes: []Node{start, done, n("lonely", TypeEnd, endCfg), n("island", TypeSetAttribute, `{"attributes":{"a":"1"}}`)},
			edges: []Edge{e("e1", "start", "", "done"), e("e2", "island", "", "lonely")},
			want:  []want{{CodeUnreachableNode, "lonely", "", ""}, {CodeUnreachableNode, "island", "", ""}},
		},
		{
			name: "cycle without wait",
			nodes: []Node{start, n("a", TypeSetAttribute, `{"attributes":{"n":"1"}}`),
				n("b", TypeCondition, `{"expression":"true"}`), done},
			edges: []Edge{e("e1", "start", "", "a"), e("e2", "a", "", "b"), e("e3", "b", "true", "a"), e("e4", "b", "false", "done")},
			want:  []want{{CodeCycleWithoutWait, "a", "", ""}},
		},
		{
			name:  "self loop without wait",
			nodes: []Node{start, n("a", TypeHTTPRequest, `{"url":"https://x.test"}`)},
			edges: []Edge{e("e1", "start", "", "a"), e("e2", "a", "error", "a")},
			want:  []want{{CodeCycleWithoutWait, "a", "", ""}},
		},
		{
			name: "cycle through a delay is fine, a second one without is not",
			nodes: []Node{start, n("send", TypeEmailSend, `{"subject":"s","text":"t"}`), n("wait", TypeDelay, `{"duration":"1d"}`),
				n("c", TypeCondition, `{"expression":"vars.n < 3"}`), n("x", TypeSetAttribute, `{"target":"vars","attributes":{"n":"vars.n + 1"}}`)},
			edges: []Edge{
				e("e1", "start", "", "send"), e("e2", "send", "", "wait"), e("e3", "wait", "", "c"), e("e4", "c", "true", "send"),
				e("e5", "c", "false", "x"), e("e6", "x", "", "c"),
			},
			want: []want{{CodeCycleWithoutWait, "c", "", ""}},
		},
		{
			name: "invalid configs against the schema",
			nodes: []Node{
				n("start", TypeTriggerEvent, `{"filter": 5, "extra": true}`),
				n("split", TypeSplit, `{"variants":[{"name":"a","weight":-1}]}`),
				n("mail", TypeEmailSend, `[]`),
				n("http", TypeHTTPRequest, `{"url":"ftp://x","method":"BREW","headers":{"bad header":"x"}}`),
			},
			edges: []Edge{e("e1", "start", "", "split"), e("e2", "split", "a", "mail"), e("e3", "mail", "", "http")},
			want: []want{
				{CodeInvalidConfig, "start", "", "/event"},
				{CodeInvalidConfig, "start", "", "/extra"},
				{CodeInvalidConfig, "start", "", "/filter"},
				{CodeInvalidConfig, "split", "", "/variants"},
				{CodeInvalidConfig, "split", "", "/variants"},
				{CodeInvalidConfig, "split", "", "/variants/0/weight"},
				{CodeInvalidConfig, "mail", "", ""},
				{CodeInvalidConfig, "http", "", "/headers/bad header"},
				{CodeInvalidConfig, "http", "", "/method"},
				{CodeInvalidConfig, "http", "", "/url"},
			},
		},
		{
			name: "type-specific config rules",
			nodes: []Node{start,
				n("d1", TypeDelay, `{}`),
				n("d2", TypeDelay, `{"duration":"1h","until":"09:00"}`),
				n("mail", TypeEmailSend, `{"html":"<p>x</p>"}`),
				n("wa", TypeWhatsAppSend, `{}`),
				n("ab", TypeSplit, `{"variants":[{"name":"a","weight":0},{"name":"a","weight":0}]}`),
				n("cls", TypeAIClassify, `{"input":"x","labels":["other","ok"]}`),
				n("ex", TypeAIExtract, `{"input":"x","schema":{"type":"nope"}}`),
			},
			edges: []Edge{e("e1", "start", "", "d1"), e("e2", "d1", "", "d2"), e("e3", "d2", "", "mail"), e("e4", "mail", "", "wa"),
				e("e5", "wa", "", "ab"), e("e6", "ab", "a", "cls"), e("e7", "cls", "ok", "ex")},
			want: []want{
				{CodeInvalidConfig, "d1", "", "/duration"},
				{CodeInvalidConfig, "d2", "", "/until"},
				{CodeInvalidConfig, "mail", "", "/subject"},
				{CodeInvalidConfig, "wa", "", ""},
				{CodeInvalidConfig, "ab", "", "/variants"},
				{CodeInvalidConfig, "ab", "", "/variants/1/name"},
				{CodeInvalidConfig, "cls", "", "/labels/0"},
				{CodeInvalidConfig, "ex", "", "/schema"},
			},
		},
		{
			name: "expressions that do not compile",
			nodes: []Node{
				n("start", TypeTriggerEvent, `{"event":"x","filter":"trigger.event.properties.total >"}`),
				n("c", TypeCondition, `{"expression":"1 + 2"}`),
				n("s", TypeSetAttribute, `{"attributes":{"ok":"contact.email","bad":"contact..email","worse":"nope(1)"}}`),
				n("w", TypeWaitForEvent, `{"event":"y","timeout":"1h"}`),
			},
			edges: []Edge{e("e1", "start", "", "c"), e("e2", "c", "true", "s"), e("e3", "s", "", "w")},
			want: []want{
				{CodeInvalidExpression, "start", "", "/filter"},
				{CodeInvalidExpression, "c", "", "/expression"},
				{CodeInvalidExpression, "s", "", "/attributes/bad"},
				{CodeInvalidExpression, "s", "", "/attributes/worse"},
			},
		},
		{
			name: "cron, timezone and durations",
			nodes: []Node{
				n("cron", TypeTriggerSchedule, `{"cron":"0 25 * * *","timezone":"Mars/Olympus"}`),
				n("cron2", TypeTriggerSchedule, `{"cron":"@fortnightly"}`),
				n("hook", TypeTriggerWebhook, `{"respond":"on_completion","timeout":"ten seconds"}`),
				n("d", TypeDelay, `{"duration":"2 days"}`),
				n("u", TypeDelay, `{"until":"09:00","timezone":"Moon/Base"}`),
				n("z", TypeDelay, `{"duration":"0s"}`),
				n("w", TypeWaitForEvent, `{"event":"y","timeout":"-1h"}`),
				n("h", TypeHTTPRequest, `{"url":"https://x.test","timeout":"5y"}`),
			},
			edges: []Edge{e("e1", "cron", "", "d"), e("e2", "cron2", "", "d"), e("e3", "hook", "", "d"), e("e4", "d", "", "u"),
				e("e5", "u", "", "z"), e("e6", "z", "", "w"), e("e7", "w", "event", "h")},
			want: []want{
				{CodeInvalidCron, "cron", "", "/cron"},
				{CodeInvalidTimezone, "cron", "", "/timezone"},
				{CodeInvalidCron, "cron2", "", "/cron"},
				{CodeInvalidDuration, "hook", "", "/timeout"},
				{CodeInvalidDuration, "d", "", "/duration"},
				{CodeInvalidTimezone, "u", "", "/timezone"},
				{CodeInvalidDuration, "z", "", "/duration"},
				{CodeInvalidDuration, "w", "", "/timeout"},
				{CodeInvalidDuration, "h", "", "/timeout"},
			},
		},
		{
			name: "templates that do not parse",
			nodes: []Node{start,
				n("mail", TypeEmailSend, `{"subject":"Hi {{ contact.name ","html":"{% if x %}open","text":"ok {{ contact.email }}"}`),
				n("http", TypeHTTPRequest, `{"url":"https://x.test/{{ a | }}","headers":{"X-Ok":"{{ b }}","X-Bad":"{% nosuchtag %}"},"body":"{% for %}"}`),
				n("ai", TypeAIGenerate, `{"prompt":"{{ }"}`),
				n("wa", TypeWhatsAppSend, `{"template":{"name":"t","parameters":["{{ ok }}","{{ bad"]}}`),
			},
			edges: []Edge{e("e1", "start", "", "mail"), e("e2", "mail", "", "http"), e("e3", "http", "", "ai"), e("e4", "ai", "", "wa")},
			want: []want{
				{CodeInvalidTemplate, "mail", "", "/html"},
				{CodeInvalidTemplate, "mail", "", "/subject"},
				{CodeInvalidTemplate, "http", "", "/body"},
				{CodeInvalidTemplate, "http", "", "/headers/X-Bad"},
				{CodeInvalidTemplate, "http", "", "/url"},
				{CodeInvalidTemplate, "ai", "", "/prompt"},
				{CodeInvalidTemplate, "wa", "", "/template/parameters/1"},
			},
		},
		{
			name: "many problems at once, in node then edge order",
			nodes: []Node{
				n("a", TypeCondition, `{"expression":"("}`),
				n("a", TypeEnd, endCfg),
				n("b", "nope", ``),
			},
			edges: []Edge{e("e1", "a", "true", "b"), e("e2", "b", "", "start")},
			want: []want{
				{CodeNoTrigger, "", "", ""},
				{CodeInvalidExpression, "a", "", "/expression"},
				{CodeDuplicateNodeID, "a", "", ""},
				{CodeUnknownType, "b", "", ""},
				{CodeEdgeMissingTarget, "", "e2", ""},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			problems := r.Validate(&Definition{Nodes: tc.nodes, Edges: tc.edges})
			require.Equal(t, tc.want, got(problems), "%v", problems)
			for _, p := range problems {
				require.NotEmpty(t, p.Message)
				require.NotContains(t, p.Message, "does not match pattern", "patterns are explained in words")
			}
			// Same input, same answer.
			require.Equal(t, problems, r.Validate(&Definition{Nodes: tc.nodes, Edges: tc.edges}))
		})
	}
}

func TestValidateValidGraphs(t *testing.T) {
	t.Parallel()
	r := Default()
	tests := map[string]string{
		"design example": `{"nodes": [
			{"id": "start", "type": "trigger.manual", "config": {}, "position": {"x": 0, "y": 0}},
			{"id": "wait", "type": "delay", "config": {"duration": "2s"}, "position": {"x": 0, "y": 120}},
			{"id": "vip", "type": "condition", "config": {"expression": "trigger.input.amount > 100"}, "position": {"x": 0, "y": 240}},
			{"id": "done", "type": "end", "config": {}, "position": {"x": 0, "y": 360}}],
			"edges": [
			{"id": "e1", "source": "start", "target": "wait"},
			{"id": "e2", "source": "wait", "target": "vip"},
			{"id": "e3", "source": "vip", "sourceHandle": "true", "target": "done"},
			{"id": "e4", "source": "vip", "sourceHandle": "false", "target": "done"}]}`,
		"every node type": `{"nodes": [
			{"id": "ev", "type": "trigger.event", "config": {"event": "order.completed", "filter": "trigger.event.properties.total > 10"}},
			{"id": "cron", "type": "trigger.schedule", "config": {"cron": "@every 15m", "timezone": "America/New_York", "missedRuns": "catch_up"}},
			{"id": "hook", "type": "trigger.webhook", "config": {"respond": "on_completion", "timeout": "10s", "auth": "bearer", "secretCredential": "HOOK_TOKEN"}},
			{"id": "man", "type": "trigger.manual"},
			{"id": "mail", "type": "email.send", "config": {"templateId": "tpl_1", "maxAttempts": 5}},
			{"id": "wa", "type": "whatsapp.send", "config": {"text": "Hi {{ contact.attributes.first_name | default: \"there\" }}"}},
			{"id": "ms", "type": "messenger.send", "config": {"text": "Hi", "tag": "ACCOUNT_UPDATE"}},
			{"id": "until", "type": "delay", "config": {"until": "09:00", "timezone": "contact"}},
			{"id": "until2", "type": "delay", "config": {"until": "18:30", "timezone": "Europe/Berlin"}},
			{"id": "wait", "type": "wait_for_event", "config": {"event": "order.completed", "timeout": "1w", "correlationKey": "cart_id"}},
			{"id": "cond", "type": "condition", "config": {"expression": "has(contact.attributes.plan) && contact.attributes.plan == 'pro'"}},
			{"id": "ab", "type": "split", "config": {"variants": [{"name": "a", "weight": 1}, {"name": "b", "weight": 0}]}},
			{"id": "set", "type": "set_attribute", "config": {"target": "vars", "attributes": {"count": "vars.count + 1", "label": "'x'"}}},
			{"id": "http", "type": "http.request", "config": {"method": "POST", "url": "{{ vars.base }}/hook", "headers": {"Authorization": "Bearer {{ vars.token }}"}, "body": "{}", "timeout": "1m30s", "successStatus": [200, 201]}},
			{"id": "gen", "type": "ai.generate", "config": {"prompt": "Say hi to {{ contact.email }}", "maxTokens": 50, "temperature": 0.2}},
			{"id": "cls", "type": "ai.classify", "config": {"input": "{{ steps.gen.output.text }}", "labels": ["happy", "sad"]}},
			{"id": "ex", "type": "ai.extract", "config": {"input": "x", "schema": {"type": "object", "properties": {"n": {"type": "integer"}}}}},
			{"id": "end", "type": "end", "config": {"status": "completed"}}],
			"edges": [
			{"id": "1", "source": "ev", "target": "mail"}, {"id": "2", "source": "cron", "target": "mail"},
			{"id": "3", "source": "hook", "target": "mail"}, {"id": "4", "source": "man", "target": "mail"},
			{"id": "5", "source": "mail", "target": "wa"}, {"id": "6", "source": "mail", "sourceHandle": "error", "target": "end"},
			{"id": "7", "source": "wa", "sourceHandle": "out", "target": "ms"}, {"id": "8", "source": "ms", "target": "until"},
			{"id": "9", "source": "until", "target": "until2"}, {"id": "10", "source": "until2", "target": "wait"},
			{"id": "11", "source": "wait", "sourceHandle": "event", "target": "cond"}, {"id": "12", "source": "wait", "sourceHandle": "timeout", "target": "end"},
			{"id": "13", "source": "cond", "sourceHandle": "true", "target": "ab"}, {"id": "14", "source": "cond", "sourceHandle": "false", "target": "end"},
			{"id": "15", "source": "ab", "sourceHandle": "a", "target": "set"}, {"id": "16", "source": "ab", "sourceHandle": "b", "target": "http"},
			{"id": "17", "source": "set", "target": "http"}, {"id": "18", "source": "http", "target": "gen"},
			{"id": "19", "source": "gen", "target": "cls"}, {"id": "20", "source": "cls", "sourceHandle": "happy", "target": "ex"},
			{"id": "21", "source": "cls", "sourceHandle": "sad", "target": "end"}, {"id": "22", "source": "cls", "sourceHandle": "other", "target": "end"},
			{"id": "23", "source": "cls", "sourceHandle": "error", "target": "end"}, {"id": "24", "source": "ex", "target": "end"},
			{"id": "25", "source": "http", "sourceHandle": "error", "target": "until"}]}`,
		"loop through a wait": `{"nodes": [
			{"id": "s", "type": "trigger.manual"},
			{"id": "ping", "type": "http.request", "config": {"url": "https://x.test"}},
			{"id": "nap", "type": "delay", "config": {"duration": "1h"}}],
			"edges": [{"id": "1", "source": "s", "target": "ping"}, {"id": "2", "source": "ping", "sourceHandle": "error", "target": "nap"}, {"id": "3", "source": "nap", "target": "ping"}]}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, problems, err := r.DecodeAndValidate([]byte(doc), DefaultLimits())
			require.NoError(t, err)
			require.Empty(t, problems)
		})
	}
}

func TestDecodeAndValidateErrors(t *testing.T) {
	t.Parallel()
	r := Default()
	big := `{"nodes":[` + strings.Repeat(`{"id":"x","type":"end"},`, 10) + `{"id":"y","type":"end"}],"edges":[]}`

	_, _, err := r.DecodeAndValidate([]byte(big), Limits{MaxBytes: 20})
	require.ErrorIs(t, err, ErrTooLarge)
	require.Contains(t, err.Error(), "bytes")

	_, _, err = r.DecodeAndValidate([]byte(big), Limits{MaxNodes: 5})
	require.ErrorIs(t, err, ErrTooLarge)
	require.Contains(t, err.Error(), "11 nodes, limit 5")

	edges := `{"nodes":[],"edges":[{"id":"a"},{"id":"b"},{"id":"c"}]}`
	_, _, err = r.DecodeAndValidate([]byte(edges), Limits{MaxEdges: 2})
	require.ErrorIs(t, err, ErrTooLarge)
	require.Contains(t, err.Error(), "3 edges, limit 2")

	for _, bad := range []string{``, `   `, `{`, `[]`, `{"nodes": 5}`, `{"nodes":[{"id": 1}]}`, `{} {}`, `"x"`} {
		_, _, err := r.DecodeAndValidate([]byte(bad), DefaultLimits())
		require.ErrorIs(t, err, ErrMalformed, bad)
		require.False(t, errors.Is(err, ErrTooLarge))
	}

	d, problems, err := r.DecodeAndValidate([]byte(`null`), Limits{})
	require.NoError(t, err)
	require.NotNil(t, d)
	require.Equal(t, []want{{CodeNoTrigger, "", "", ""}}, got(problems))

	// The package-level helper uses the default registry.
	_, problems, err = DecodeAndValidate([]byte(`{"nodes":[{"id":"s","type":"trigger.manual"}],"edges":[]}`), Limits{})
	require.NoError(t, err)
	require.Empty(t, problems)
}

func TestProblemJSONAndError(t *testing.T) {
	t.Parallel()
	p := Problem{Code: CodeInvalidConfig, Message: "timeout is required", NodeID: "w", Path: "/timeout"}
	b, err := json.Marshal(p)
	require.NoError(t, err)
	require.JSONEq(t, `{"code":"invalid_config","message":"timeout is required","nodeId":"w","path":"/timeout"}`, string(b))
	require.Equal(t, `invalid_config (node "w" /timeout): timeout is required`, p.Error())
	require.Equal(t, `no_trigger: x`, Problem{Code: CodeNoTrigger, Message: "x"}.Error())
}

func TestValidateLargeChainDoesNotOverflow(t *testing.T) {
	t.Parallel()
	r := Default()
	const size = 20000
	d := &Definition{Nodes: []Node{n("s", TypeTriggerManual, "")}}
	prev := "s"
	for i := range size {
		id := fmt.Sprintf("n%d", i)
		d.Nodes = append(d.Nodes, n(id, TypeSetAttribute, `{"attributes":{"a":"1"}}`))
		d.Edges = append(d.Edges, e("e"+id, prev, "", id))
		prev = id
	}
	d.Edges = append(d.Edges, e("back", prev, "", "n0"))
	problems := r.Validate(d)
	require.Equal(t, []want{{CodeCycleWithoutWait, "n0", "", ""}}, got(problems))
}

func TestProblemMessagesSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	r := Default()
	d := &Definition{Nodes: []Node{n("s", TypeTriggerManual, ""),
		n("d", TypeDelay, `{"until":"9am"}`),
		n("a", TypeSetAttribute, `{"attributes":{"1x":"1"}}`),
		n("w", TypeWaitForEvent, `{"event":"x","timeout":"1h","oops":1}`),
		n("m", "emial.send", `{}`),
		n("z", "zzz", `{}`),
	}, Edges: []Edge{e("1", "s", "", "d"), e("2", "d", "", "a"), e("3", "a", "", "w"), e("4", "w", "event", "m"), e("5", "m", "", "z")}}
	var msgs []string
	for _, p := range r.Validate(d) {
		msgs = append(msgs, p.Error())
	}
	require.Equal(t, []string{
		`invalid_config (node "d" /until): until: "9am": use a 24-hour time as HH:MM, e.g. 09:00`,
		`invalid_config (node "a" /attributes/1x): attributes/1x: "1x": attribute names start with a letter or _ and use letters, digits, _, . or -`,
		`invalid_config (node "w" /oops): oops is not a known setting`,
		`unknown_type (node "m"): unknown node type "emial.send" (did you mean "email.send"?)`,
		`unknown_type (node "z"): unknown node type "zzz"`,
	}, msgs)
}
