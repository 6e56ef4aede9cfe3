package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// TestExecutionViewRedactsContact: the execution view shows the contact's
// identity (email, phone, name…) blanked in the context and wherever its
// values appear (the trigger input repeating the email), a field of the
// same name elsewhere kept, attributes named
// in the workspace's redaction fields blanked, the rest as it is; with the
// workspace's redactPii on, any other email address or phone number too.
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
		view := func() ExecutionDTO {
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
			require.NotContains(t, string(r.Body), "ada@example.com")
			require.NotContains(t, string(r.Body), "Ada Lovelace")
			require.NotContains(t, string(r.Body), "+4917012345678")
			var got ExecutionDTO
			r.JSON(t, &got)
			return got
		}

		got := view()
		contact := got.Context["contact"].(map[string]any)
		require.Equal(t, "[redacted]", contact["email"])
		require.Equal(t, "[redacted]", contact["phone"])
		require.Equal(t, "[redacted]", contact["name"])
		attrs := contact["attributes"].(map[string]any)
		require.Equal(t, "PRO", attrs["plan"])
		require.Equal(t, "VIP-4711", attrs["vipCode"], "not a redaction field yet")
		input := got.Context["trigger"].(map[string]any)["input"].(map[string]any)
		require.Equal(t, "reply to [redacted]", input["note"])
		require.Equal(t, "call +4915112345678 or bob@example.org", input["other"], "redactPii is off")
		require.Equal(t, "Spring sale", input["campaign"].(map[string]any)["name"],
			"a field named like an identity field outside the contact is not the contact's")

		tenant := owner.Me.ActiveTenant.ID
		require.NoError(t, a.st.InTx(ctx, tenant, func(tx store.Tx) error {
			_, err := tx.AISettingsUpsert(ctx, &store.AISettingsUpsertParams{TenantID: tenant, Provider: "openai", Model: "gpt-4o-mini",
				RedactFields: []string{"vipCode"}, RedactPII: true})
			return err
		}))
		got = view()
		contact = got.Context["contact"].(map[string]any)
		attrs = contact["attributes"].(map[string]any)
		require.Equal(t, "[redacted]", attrs["vipCode"])
		require.Equal(t, "PRO", attrs["plan"])
		input = got.Context["trigger"].(map[string]any)["input"].(map[string]any)
		require.Equal(t, "call [redacted] or [redacted]", input["other"])
		for _, s := range got.Steps {
			require.False(t, strings.Contains(s.Error, "ada@example.com"))
		}
	})
}
