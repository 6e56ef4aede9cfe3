package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// Caller is who is calling an operation, resolved once by the
// authentication middleware (middleware_auth.go) and read by handlers with
// CallerFrom. Handlers scope every store call to Caller.TenantID.
type Caller struct {
	// TenantID is the active tenant (session) or the API key's tenant.
	TenantID uuid.UUID
	// UserID is set for session callers.
	UserID *uuid.UUID
	// APIKeyID is set for API-key callers.
	APIKeyID *uuid.UUID
	// Role is the member's role, or the role an API key acts with.
	Role domain.Role
	// IP is the client address, for audit entries.
	IP string
}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller stored in ctx.
func CallerFrom(ctx context.Context) (*Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(*Caller)
	return c, ok && c != nil && c.TenantID != uuid.Nil
}

// mustCaller returns the caller or a 401 problem. The middleware refuses
// unauthenticated calls before they reach a handler; this is the second
// line.
func mustCaller(ctx context.Context) (*Caller, error) {
	c, ok := CallerFrom(ctx)
	if !ok {
		return nil, huma.Error401Unauthorized("authentication required")
	}
	return c, nil
}
