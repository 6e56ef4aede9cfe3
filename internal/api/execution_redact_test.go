package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// TestExecutionViewRedactsContact: without redaction settings the
// execution view shows the context as it is (its readers may read the
// contact); once the workspace names redaction fields and asks for personal
// data to be redacted (Settings → AI), as an AI step's prompt is, the view
// blanks those attributes, every email address and phone number, and the
// contact's identity (email, phone, name…) in the context and wherever its
// values appear (the trigger input repeating the email), while a field of
// the same name outside the contact stays.
func TestExecutionViewRedactsContact(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		ctx := context.Background()
		owner := a.signup("owner@example.com", "Acme")
		oc := creds{Cookie: owner.Cookie}
		w := a.createWorkflow(owner, "Plain", `{"nodes":[
		 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
		 {"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],
		 "edges":[{"id":"e1","source":"start","target":"done"}]}`)
		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/publish", nil, oc).Status)
		view := func() (ExecutionDTO, string) {
			r := a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/executions", map[string]any{
				"input": map[string]any{"note": "reply to ada@example.com", "other": "call +4915112345678 or bob@example.org",
					"campaign": map[string]any{"name": "Spring sale"}},
				"contact": map[string]any{"email": "ada@example.com", "phone": "+4917012345678", "name": "Ada Lovelace",
					"attributes": map[string]any{"plan": "PRO", "vipCode": "VIP-4711"}},
			}, oc)
			require.Equal(t, http.StatusAccepted, r.Status, r.short())
			var started ExecutionDTO
			r.JSON(t, &started)
			r = a.do(http.MethodGet, Prefix+"/executions/"+started.ID.String(), nil, oc)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			var got ExecutionDTO
			r.JSON(t, &got)
			return got, string(r.Body)
		}

		got, _ := view()
		contact := got.Context["contact"].(map[string]any)
		require.Equal(t, "ada@example.com", contact["email"], "no redaction settings")
		require.Equal(t, "Ada Lovelace", contact["name"])
		input := got.Context["trigger"].(map[string]any)["input"].(map[string]any)
		require.Equal(t, "reply to ada@example.com", input["note"])

		tenant := owner.Me.ActiveTenant.ID
		require.NoError(t, a.st.InTx(ctx, tenant, func(tx store.Tx) error {
			_, err := tx.AISettingsUpsert(ctx, &store.AISettingsUpsertParams{TenantID: tenant, Provider: "openai", Model: "gpt-4o-mini",
				RedactFields: []string{"vipCode"}, RedactPII: true})
			return err
		}))
		got, body := view()
		require.NotContains(t, body, "ada@example.com")
		require.NotContains(t, body, "Ada Lovelace")
		require.NotContains(t, body, "+4917012345678")
		contact = got.Context["contact"].(map[string]any)
		require.Equal(t, "[redacted]", contact["email"])
		require.Equal(t, "[redacted]", contact["phone"])
		require.Equal(t, "[redacted]", contact["name"])
		attrs := contact["attributes"].(map[string]any)
		require.Equal(t, "[redacted]", attrs["vipCode"])
		require.Equal(t, "PRO", attrs["plan"])
		input = got.Context["trigger"].(map[string]any)["input"].(map[string]any)
		require.Equal(t, "reply to [redacted]", input["note"])
		require.Equal(t, "call [redacted] or [redacted]", input["other"])
		require.Equal(t, "Spring sale", input["campaign"].(map[string]any)["name"],
			"a field named like an identity field outside the contact is not the contact's")
		for _, s := range got.Steps {
			require.False(t, strings.Contains(s.Error, "ada@example.com"))
		}
	})
}
