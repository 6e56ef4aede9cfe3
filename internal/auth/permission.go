package auth

import (
	"slices"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// Permission names one kind of action in a workspace, as "resource:verb".
// Every API operation that touches a workspace declares the permission it
// needs; the matrix below says which roles and API key scopes hold it.
type Permission = string

// Permissions. Add new ones here and to the matrix; never check roles
// directly elsewhere.
const (
	PermWorkflowsRead   Permission = "workflows:read"
	PermWorkflowsWrite  Permission = "workflows:write"
	PermExecutionsRead  Permission = "executions:read"
	PermExecutionsRun   Permission = "executions:run"
	PermSchedulesRead   Permission = "schedules:read"
	PermSchedulesWrite  Permission = "schedules:write"
	PermContactsRead    Permission = "contacts:read"
	PermContactsWrite   Permission = "contacts:write"
	PermEventsWrite     Permission = "events:write"
	PermTemplatesRead   Permission = "templates:read"
	PermTemplatesWrite  Permission = "templates:write"
	PermChannelsRead    Permission = "channels:read"
	PermChannelsManage  Permission = "channels:manage"
	PermAIUse           Permission = "ai:use"
	PermMembersRead     Permission = "members:read"
	PermMembersManage   Permission = "members:manage"
	PermAPIKeysRead     Permission = "apikeys:read"
	PermAPIKeysManage   Permission = "apikeys:manage"
	PermAuditRead       Permission = "audit:read"
	PermWorkspaceRead   Permission = "workspace:read"
	PermWorkspaceManage Permission = "workspace:manage"
	PermBillingManage   Permission = "billing:manage"
	PermWorkspaceDelete Permission = "workspace:delete"
	// PermOwnersManage is granting, revoking or inviting the OWNER role.
	PermOwnersManage Permission = "owners:manage"
)

// Credential permissions: every member sees the names and metadata of
// the workspace's credentials (never their values), so authors can pick
// one; ADMIN creates, replaces and deletes them.
const (
	PermCredentialsRead   Permission = "credentials:read"
	PermCredentialsManage Permission = "credentials:manage"
)

// The permission matrix, written once. Each role holds its own list plus
// everything of the role below it: VIEWER reads; OPERATOR runs and edits
// journeys; ADMIN manages channels, keys and members; OWNER also billing
// and deleting the workspace.
var (
	viewerPerms = []Permission{
		PermWorkflowsRead, PermExecutionsRead, PermSchedulesRead, PermContactsRead,
		PermTemplatesRead, PermChannelsRead, PermMembersRead, PermWorkspaceRead,
		PermCredentialsRead,
	}
	operatorPerms = append(slices.Clone(viewerPerms),
		PermWorkflowsWrite, PermExecutionsRun, PermSchedulesWrite, PermContactsWrite,
		PermEventsWrite, PermTemplatesWrite, PermAIUse,
	)
	adminPerms = append(slices.Clone(operatorPerms),
		PermChannelsManage, PermMembersManage, PermAPIKeysRead, PermAPIKeysManage,
		PermAuditRead, PermWorkspaceManage, PermCredentialsManage,
	)
	ownerPerms = append(slices.Clone(adminPerms),
		PermBillingManage, PermWorkspaceDelete, PermOwnersManage,
	)

	rolePerms = map[domain.Role][]Permission{
		domain.RoleViewer:   viewerPerms,
		domain.RoleOperator: operatorPerms,
		domain.RoleAdmin:    adminPerms,
		domain.RoleOwner:    ownerPerms,
	}

	// API keys never manage identities (members, keys), credentials,
	// billing or the workspace itself: a leaked key cannot mint more keys,
	// swap a secret or lock the owners out. "full" is everything else an ADMIN may do.
	scopePerms = map[string][]Permission{
		domain.ScopeFull: slices.DeleteFunc(slices.Clone(adminPerms), func(p Permission) bool {
			return p == PermMembersManage || p == PermAPIKeysRead || p == PermAPIKeysManage || p == PermWorkspaceManage ||
				p == PermCredentialsManage
		}),
		domain.ScopeEventsWrite: {PermEventsWrite},
	}
)

// Allowed reports whether role holds perm. Unknown roles hold nothing.
func Allowed(role domain.Role, perm Permission) bool {
	return slices.Contains(rolePerms[role], perm)
}

// ScopeAllowed reports whether an API key with the given scopes holds perm.
func ScopeAllowed(scopes []string, perm Permission) bool {
	for _, s := range scopes {
		if slices.Contains(scopePerms[s], perm) {
			return true
		}
	}
	return false
}

// RolePermissions returns the permissions of role, for display.
func RolePermissions(role domain.Role) []Permission {
	return slices.Clone(rolePerms[role])
}

// KnownPermission reports whether perm is in the matrix.
func KnownPermission(perm Permission) bool {
	return slices.Contains(ownerPerms, perm)
}

// ValidScope reports whether s is a known API key scope.
func ValidScope(s string) bool {
	_, ok := scopePerms[s]
	return ok
}

// roleRank orders roles from least (1) to most powerful (4).
func roleRank(r domain.Role) int {
	switch r {
	case domain.RoleViewer:
		return 1
	case domain.RoleOperator:
		return 2
	case domain.RoleAdmin:
		return 3
	case domain.RoleOwner:
		return 4
	}
	return 0
}
