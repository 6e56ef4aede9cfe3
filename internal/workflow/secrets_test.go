package workflow

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

const plainDef = `{"nodes":[
 {"id":"hook","type":"trigger.webhook","config":{"secret":"s3cret-s3cret-s3cret"}},
 {"id":"call","type":"http.request","config":{"url":"https://api.example.com/{{ secrets.PATH_TOKEN }}","headers":{"Authorization":"Bearer sk_live_123","X-Api-Key":"{{ secrets.API }}","Accept":"application/json","X-Trace":"{{ trigger.input.id }}"}}}],
 "edges":[{"id":"e","source":"hook","target":"call"}]}`

func TestPlainSecretsFound(t *testing.T) {
	t.Parallel()
	def, err := Parse([]byte(plainDef))
	require.NoError(t, err)
	ps := PlainSecrets(def)
	require.Len(t, ps, 2)
	require.Equal(t, CodePlainSecret, ps[0].Code)
	require.Equal(t, "hook", ps[0].NodeID)
	require.Equal(t, "/secret", ps[0].Path)
	require.Equal(t, "call", ps[1].NodeID)
	require.Equal(t, "/headers/Authorization", ps[1].Path)

	userinfo, err := Parse([]byte(`{"nodes":[{"id":"c","type":"http.request","config":{"url":"https://bob:hunter2@example.com/"}}]}`))
	require.NoError(t, err)
	require.Len(t, PlainSecrets(userinfo), 1)
}

func TestSecretRefsAndUnknownCredentials(t *testing.T) {
	t.Parallel()
	def, err := Parse([]byte(`{"nodes":[
	 {"id":"hook","type":"trigger.webhook","config":{"auth":"bearer","secretCredential":"HOOK"}},
	 {"id":"call","type":"http.request","config":{"url":"https://x.example/{{secrets.PATH}}","body":{"k":["{{- secrets.API -}}"]},"headers":{"Authorization":"Bearer {{ secrets.API }}"}}}]}`))
	require.NoError(t, err)
	require.Equal(t, map[string][]string{"HOOK": {"hook"}, "PATH": {"call"}, "API": {"call"}}, SecretRefs(def))
	ps := UnknownCredentials(def, func(n string) bool { return n == "API" })
	require.Len(t, ps, 2)
	require.Equal(t, CodeUnknownCredential, ps[0].Code)
	require.Contains(t, ps[0].Message, `"HOOK"`)
	require.Contains(t, ps[1].Message, `"PATH"`)
}

func TestWebhookAuthNeedsCredential(t *testing.T) {
	t.Parallel()
	r := Default()
	_, ps, err := r.DecodeAndValidate([]byte(`{"nodes":[{"id":"hook","type":"trigger.webhook","config":{"auth":"bearer"}}]}`), DefaultLimits())
	require.NoError(t, err)
	require.Len(t, ps, 1)
	require.Equal(t, "/secretCredential", ps[0].Path)
}

func TestExtractSecretsRewritesConfigs(t *testing.T) {
	t.Parallel()
	out, got, err := ExtractSecrets([]byte(plainDef), func(node, suffix, _ string) (string, error) { return "WF_" + node + "_" + suffix, nil })
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, ExtractedSecret{NodeID: "hook", Name: "WF_hook_SECRET", Kind: "webhook_secret", Value: "s3cret-s3cret-s3cret", What: "webhook secret of node hook"}, got[0])
	require.Equal(t, "WF_call_AUTHORIZATION", got[1].Name)
	require.Equal(t, "Bearer sk_live_123", got[1].Value)
	require.NotContains(t, string(out), "s3cret")
	require.NotContains(t, string(out), "sk_live_123")
	def, err := Parse(out)
	require.NoError(t, err)
	require.Empty(t, PlainSecrets(def))
	var hook map[string]any
	require.NoError(t, json.Unmarshal(def.Nodes[0].Config, &hook))
	require.Equal(t, map[string]any{"secretCredential": "WF_hook_SECRET", "auth": "signature"}, hook)

	again, none, err := ExtractSecrets(out, func(node, suffix, _ string) (string, error) { return "X", nil })
	require.NoError(t, err)
	require.Nil(t, again, "nothing left to move: idempotent")
	require.Empty(t, none)
}

func TestRedactSecrets(t *testing.T) {
	t.Parallel()
	def, err := Parse([]byte(plainDef))
	require.NoError(t, err)
	require.True(t, RedactSecrets(def))
	b, err := json.Marshal(def)
	require.NoError(t, err)
	require.NotContains(t, string(b), "s3cret")
	require.NotContains(t, string(b), "sk_live_123")
	require.Contains(t, string(b), "{{ secrets.API }}")
}
