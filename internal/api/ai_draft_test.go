package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/ai/aifake"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// newDraftAPI is the API with the AI routes over SQLite, its providers
// allowed to reach a fake OpenAI server on loopback.
func newDraftAPI(t *testing.T) (*testAPI, *aifake.Server) {
	t.Helper()
	fake := aifake.New(aifake.OpenAI, "sk-draft")
	t.Cleanup(fake.Close)
	st := storetest.SQLite(t)
	kr, err := secret.NewKeyring(bytes.Repeat([]byte{9}, 32))
	require.NoError(t, err)
	f, err := ai.NewFactory(ai.NetOptions{Allow: []string{"127.0.0.1"}, AnyPort: true})
	require.NoError(t, err)
	routes := &AIRoutes{Store: st, AI: ai.NewService(kr, f)}
	return newTestAPIDeps(t, st, Deps{Hooks: []func(huma.API){routes.Register}}), fake
}

const aiValidDraft = `{"explanation":"Starts by hand and ends.","definition":{"nodes":[
 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
 {"id":"done","type":"end","config":{},"position":{"x":0,"y":150}}],
 "edges":[{"id":"e1","source":"start","target":"done"}]}}`

const aiInvalidDraft = `{"explanation":"Uses a node that does not exist.","definition":{"nodes":[
 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
 {"id":"magic","type":"magic.wand","config":{},"position":{"x":0,"y":150}}],
 "edges":[{"id":"e1","source":"start","target":"magic"}]}}`

func TestAIWorkflowDraftAPI(t *testing.T) {
	t.Parallel()
	a, fake := newDraftAPI(t)
	ada := a.signup("ada@example.com", "Acme")
	as := creds{Cookie: ada.Cookie}
	body := map[string]any{"prompt": "Greet people who start it by hand"}

	// Not configured: 409, no call.
	r := a.do(http.MethodPost, Prefix+"/ai/workflow-drafts", body, as)
	require.Equal(t, http.StatusConflict, r.Status, r.short())
	require.Zero(t, fake.Calls())

	r = a.do(http.MethodPut, Prefix+"/ai/settings", map[string]any{"provider": "openai", "model": "gpt-4o-mini",
		"baseUrl": fake.BaseURL, "apiKey": "sk-draft", "monthlyTokenBudget": 1000}, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())

	// The first answer does not validate; the second, sent the problems, does.
	fake.Enqueue(aifake.Reply{Text: aiInvalidDraft, TokensIn: 300, TokensOut: 80}, aifake.Reply{Text: aiValidDraft, TokensIn: 400, TokensOut: 60})
	r = a.do(http.MethodPost, Prefix+"/ai/workflow-drafts", body, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	var d AIWorkflowDraftDTO
	r.JSON(t, &d)
	require.Equal(t, 2, d.Calls)
	require.Len(t, d.Definition.Nodes, 2)
	require.Equal(t, "Starts by hand and ends.", d.Explanation)
	require.Equal(t, int64(700), d.TokensIn)
	reqs := fake.Requests()
	require.Len(t, reqs, 2)
	sys, _ := json.Marshal(reqs[0].Body["messages"])
	require.Contains(t, string(sys), "ai.classify", "the model is shown the node registry")
	require.Contains(t, aifake.LastUserText(reqs[1]), "magic.wand", "the problems go back to the model")

	// Nothing was saved.
	r = a.do(http.MethodGet, Prefix+"/workflows", nil, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	require.NotContains(t, string(r.Body), "Starts by hand")

	// Never valid: 422 with the problems after the bounded repairs.
	fake.Respond(func(aifake.Request) aifake.Reply {
		return aifake.Reply{Text: aiInvalidDraft, TokensIn: 100, TokensOut: 50}
	})
	r = a.do(http.MethodPost, Prefix+"/ai/workflow-drafts", body, as)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
	require.Contains(t, string(r.Body), "magic.wand")
	require.Equal(t, 2+1+ai.MaxDraftRepairs, fake.Calls())

	// The usage counts every call: 380+460 and 3×150 tokens.
	r = a.do(http.MethodGet, Prefix+"/ai/usage", nil, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	var u AIUsageDTO
	r.JSON(t, &u)
	require.Equal(t, int64(5), u.Calls)
	require.Equal(t, int64(840+450), u.TokensUsed)

	// Over the budget of 1000: 429, and no call is made.
	calls := fake.Calls()
	r = a.do(http.MethodPost, Prefix+"/ai/workflow-drafts", body, as)
	require.Equal(t, http.StatusTooManyRequests, r.Status, r.short())
	require.Contains(t, string(r.Body), "budget")
	require.Equal(t, calls, fake.Calls())

	// Bad input: 422, no call.
	r = a.do(http.MethodPost, Prefix+"/ai/workflow-drafts", map[string]any{"prompt": ""}, as)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
	require.Equal(t, calls, fake.Calls())
}
