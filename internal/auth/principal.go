package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// Errors returned by the service. The API maps them to problem details.
var (
	// ErrInvalidCredentials: unknown email or wrong password (never told apart).
	ErrInvalidCredentials = errors.New("invalid email or password")
	// ErrUnauthenticated: no valid session or API key.
	ErrUnauthenticated = errors.New("authentication required")
	// ErrThrottled: too many failed attempts; see ThrottledError.
	ErrThrottled = errors.New("too many attempts")
	// ErrLastOwner: the change would leave the workspace without an OWNER.
	ErrLastOwner = errors.New("a workspace must keep at least one OWNER")
	// ErrNoWorkspace: the user has no active workspace.
	ErrNoWorkspace = errors.New("no active workspace")
	// ErrInvitationInvalid: unknown, expired, revoked or used invitation token.
	ErrInvitationInvalid = errors.New("invitation is invalid or has expired")
	// ErrEmailTaken: an account with this email exists already.
	ErrEmailTaken = errors.New("an account with this email already exists")
	// ErrAlreadyMember: the user is a member of the workspace already.
	ErrAlreadyMember = errors.New("already a member of this workspace")
)

// InvalidInputError is bad input to the service, naming the field.
type InvalidInputError struct {
	Field   string
	Message string
}

// Error implements error.
func (e *InvalidInputError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, msg string) error { return &InvalidInputError{Field: field, Message: msg} }

// PermissionError is a refused action; it names the missing permission.
type PermissionError struct {
	Permission Permission
	Reason     string
}

// Error names the missing permission.
func (e *PermissionError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("permission %q required: %s", e.Permission, e.Reason)
	}
	return fmt.Sprintf("permission %q required", e.Permission)
}

// ThrottledError is ErrThrottled with the time to wait.
type ThrottledError struct {
	RetryAfterSeconds int
}

// Error says how long to wait.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many attempts, retry in %d seconds", e.RetryAfterSeconds)
}

// Unwrap makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Unwrap() error { return ErrThrottled }

// PrincipalKind tells users from API keys.
type PrincipalKind string

// Kinds of principal.
const (
	KindUser   PrincipalKind = "user"
	KindAPIKey PrincipalKind = "api_key"
)

// Principal is who is calling: a signed-in user (with a session and an
// active workspace) or a workspace API key.
type Principal struct {
	Kind PrincipalKind
	// TenantID is the active workspace (uuid.Nil for a user with none).
	TenantID uuid.UUID
	// User and Session are set for users.
	User    *domain.User
	Session *domain.Session
	// Role is the user's role in TenantID (empty for API keys).
	Role domain.Role
	// APIKey and Scopes are set for API keys.
	APIKey *domain.APIKey
	Scopes []string
	// CreatorRole is, for an API key, its creator's current role in the
	// workspace: a key never does more than the member who made it could
	// do now (empty: a key made by no user, capped by its scopes only).
	CreatorRole domain.Role
	// Cached is set on an API key's principal answered from the key cache
	// (ResolveAPIKeyCached): what it says may be up to DefaultKeyCacheTTL
	// old, and the request must confirm it (ConfirmAPIKey) in the
	// transaction that acts for it.
	Cached bool
}

// UserID returns the user's ID, or nil for an API key.
func (p *Principal) UserID() *uuid.UUID {
	if p == nil || p.User == nil {
		return nil
	}
	id := p.User.ID
	return &id
}

// ActorType and ActorID are what audit entries record for p.
func (p *Principal) actor() (string, *uuid.UUID) {
	switch {
	case p == nil:
		return "system", nil
	case p.Kind == KindAPIKey && p.APIKey != nil:
		id := p.APIKey.ID
		return "api_key", &id
	case p.User != nil:
		id := p.User.ID
		return "user", &id
	}
	return "system", nil
}

// Can reports whether p holds perm in its active workspace.
func (p *Principal) Can(perm Permission) bool {
	if p == nil || p.TenantID == uuid.Nil {
		return false
	}
	if p.Kind == KindAPIKey {
		return ScopeAllowed(p.Scopes, perm) && (p.CreatorRole == "" || Allowed(p.CreatorRole, perm))
	}
	return Allowed(p.Role, perm)
}

// Require returns nil when p holds perm, else a *PermissionError naming it
// (or ErrUnauthenticated / ErrNoWorkspace).
func (p *Principal) Require(perm Permission) error {
	switch {
	case p == nil:
		return ErrUnauthenticated
	case p.TenantID == uuid.Nil:
		return ErrNoWorkspace
	case p.Can(perm):
		return nil
	case p.Kind == KindAPIKey && ScopeAllowed(p.Scopes, perm):
		return &PermissionError{Permission: perm, Reason: fmt.Sprintf("the key's creator's role %s does not include it", p.CreatorRole)}
	case p.Kind == KindAPIKey:
		return &PermissionError{Permission: perm, Reason: fmt.Sprintf("API key scopes %v do not include it", p.Scopes)}
	default:
		return &PermissionError{Permission: perm, Reason: fmt.Sprintf("role %s does not include it", p.Role)}
	}
}

// HasScope reports whether an API key principal carries scope.
func (p *Principal) HasScope(scope string) bool {
	return p != nil && slices.Contains(p.Scopes, scope)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal stored in ctx, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
