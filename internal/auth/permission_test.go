package auth

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	cases := []struct {
		perm                           Permission
		viewer, operator, admin, owner bool
	}{
		{PermWorkflowsRead, true, true, true, true},
		{PermExecutionsRead, true, true, true, true},
		{PermMembersRead, true, true, true, true},
		{PermWorkflowsWrite, false, true, true, true},
		{PermExecutionsRun, false, true, true, true},
		{PermEventsWrite, false, true, true, true},
		{PermChannelsManage, false, false, true, true},
		{PermMembersManage, false, false, true, true},
		{PermAPIKeysManage, false, false, true, true},
		{PermAuditRead, false, false, true, true},
		{PermBillingManage, false, false, false, true},
		{PermWorkspaceDelete, false, false, false, true},
		{PermOwnersManage, false, false, false, true},
		{"made:up", false, false, false, false},
	}
	for _, c := range cases {
		require.Equal(t, c.viewer, Allowed(domain.RoleViewer, c.perm), "VIEWER %s", c.perm)
		require.Equal(t, c.operator, Allowed(domain.RoleOperator, c.perm), "OPERATOR %s", c.perm)
		require.Equal(t, c.admin, Allowed(domain.RoleAdmin, c.perm), "ADMIN %s", c.perm)
		require.Equal(t, c.owner, Allowed(domain.RoleOwner, c.perm), "OWNER %s", c.perm)
	}
	require.False(t, Allowed("ROOT", PermWorkflowsRead))
	// Each role holds everything of the role below it.
	roles := []domain.Role{domain.RoleViewer, domain.RoleOperator, domain.RoleAdmin, domain.RoleOwner}
	for i := 1; i < len(roles); i++ {
		for _, p := range RolePermissions(roles[i-1]) {
			require.True(t, Allowed(roles[i], p), "%s lacks %s of %s", roles[i], p, roles[i-1])
		}
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	full := []string{domain.ScopeFull}
	require.True(t, ScopeAllowed(full, PermWorkflowsWrite))
	require.True(t, ScopeAllowed(full, PermExecutionsRun))
	require.True(t, ScopeAllowed(full, PermChannelsManage))
	for _, p := range []Permission{PermMembersManage, PermAPIKeysManage, PermAPIKeysRead, PermBillingManage, PermWorkspaceDelete, PermOwnersManage} {
		require.False(t, ScopeAllowed(full, p), "full key must not hold %s", p)
	}
	ev := []string{domain.ScopeEventsWrite}
	require.True(t, ScopeAllowed(ev, PermEventsWrite))
	require.False(t, ScopeAllowed(ev, PermWorkflowsRead))
	require.False(t, ScopeAllowed([]string{"admin"}, PermWorkflowsRead))
	require.True(t, ValidScope("full"))
	require.False(t, ValidScope("admin"))
}

func TestPrincipalRequire(t *testing.T) {
	t.Parallel()
	var nilP *Principal
	require.ErrorIs(t, nilP.Require(PermWorkflowsRead), ErrUnauthenticated)
	require.ErrorIs(t, (&Principal{Kind: KindUser, Role: domain.RoleOwner}).Require(PermWorkflowsRead), ErrNoWorkspace)

	viewer := &Principal{Kind: KindUser, TenantID: uuid.New(), Role: domain.RoleViewer}
	require.NoError(t, viewer.Require(PermWorkflowsRead))
	err := viewer.Require(PermWorkflowsWrite)
	var pe *PermissionError
	require.True(t, errors.As(err, &pe))
	require.Equal(t, PermWorkflowsWrite, pe.Permission)
	require.Contains(t, err.Error(), "workflows:write")

	key := &Principal{Kind: KindAPIKey, TenantID: uuid.New(), Scopes: []string{domain.ScopeEventsWrite}, Role: domain.RoleOwner}
	require.NoError(t, key.Require(PermEventsWrite))
	require.Error(t, key.Require(PermWorkflowsRead), "keys are judged by scope, never by role")

	ctx := WithPrincipal(t.Context(), viewer)
	require.Same(t, viewer, FromContext(ctx))
	require.Nil(t, FromContext(t.Context()))
}
