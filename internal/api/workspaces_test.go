package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCreateWorkspace(t *testing.T) {
	t.Parallel()
	a := newFullAPI(t, backends[0].open)
	acc := a.signup("owner@example.com", "Acme")
	c := creds{Cookie: acc.Cookie}

	r := a.do(http.MethodPost, Prefix+"/workspaces", map[string]any{"name": "Acme EU"}, c)
	require.Equal(t, http.StatusCreated, r.Status, r.short())
	var ws TenantDTO
	r.JSON(t, &ws)
	require.Equal(t, "Acme EU", ws.Name)
	require.Equal(t, "acme-eu", ws.Slug)

	// The user owns it, and the session stays where it was until it switches.
	var me MeDTO
	a.do(http.MethodGet, Prefix+"/auth/me", nil, c).JSON(t, &me)
	require.Equal(t, acc.Me.ActiveTenant.ID, me.ActiveTenant.ID)
	roles := map[string]string{}
	for _, m := range me.Memberships {
		roles[m.Tenant.Name] = string(m.Role)
	}
	require.Equal(t, map[string]string{"Acme": "OWNER", "Acme EU": "OWNER"}, roles)
	sw := a.do(http.MethodPost, Prefix+"/auth/switch-tenant", map[string]any{"tenantId": ws.ID}, c)
	require.Equal(t, http.StatusOK, sw.Status, sw.short())

	// The new workspace's audit log says who created it.
	var log AuditListDTO
	a.do(http.MethodGet, Prefix+"/audit-log", nil, c).JSON(t, &log)
	require.NotEmpty(t, log.Items)
	require.Equal(t, "tenant.created", log.Items[len(log.Items)-1].Action)

	for _, tc := range []struct {
		name   string
		body   any
		cred   creds
		status int
	}{
		{"blank name", map[string]any{"name": "   "}, c, http.StatusUnprocessableEntity},
		{"no name", map[string]any{}, c, http.StatusUnprocessableEntity},
		{"control characters", map[string]any{"name": "a\x01b"}, c, http.StatusUnprocessableEntity},
		{"api key", map[string]any{"name": "Keyed"}, creds{Key: a.apiKey(acc, "full")}, http.StatusForbidden},
		{"anonymous", map[string]any{"name": "Anon"}, creds{}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(http.MethodPost, Prefix+"/workspaces", tc.body, tc.cred)
			require.Equal(t, tc.status, r.Status, r.short())
		})
	}
	a.do(http.MethodGet, Prefix+"/auth/me", nil, c).JSON(t, &me)
	require.Len(t, me.Memberships, 2, "refused requests create nothing")
}

// Workflow, version and schedule changes are in the audit log with the
// actor's name.
func TestAuditRecordsWorkflowEventsWithActorNames(t *testing.T) {
	t.Parallel()
	a := newFullAPI(t, backends[0].open)
	acc := a.signup("owner@example.com", "Acme")
	c := creds{Cookie: acc.Cookie}
	r := a.do(http.MethodPost, Prefix+"/workflows", map[string]any{"name": "Welcome", "definition": map[string]any{
		"nodes": []any{map[string]any{"id": "start", "type": "trigger.manual", "config": map[string]any{}, "position": map[string]any{"x": 0, "y": 0}}},
		"edges": []any{}}}, c)
	require.Equal(t, http.StatusCreated, r.Status, r.short())
	var w WorkflowDTO
	r.JSON(t, &w)
	p := a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/publish", nil, c)
	require.Equal(t, http.StatusOK, p.Status, p.short())
	bad := a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/activate", nil, creds{})
	require.Equal(t, http.StatusUnauthorized, bad.Status)

	var log AuditListDTO
	a.do(http.MethodGet, Prefix+"/audit-log", nil, c).JSON(t, &log)
	byAction := map[string]AuditEntryDTO{}
	for _, e := range log.Items {
		byAction[e.Action] = e
	}
	require.Contains(t, byAction, "workflow.created")
	pub, ok := byAction["version.published"]
	require.True(t, ok, "publishing is audited: %+v", log.Items)
	require.Equal(t, w.ID.String(), pub.TargetID)
	require.Equal(t, "User owner@example.com", pub.ActorName)
	require.NotContains(t, byAction, "workflow.activated", "a refused request records nothing")
}
