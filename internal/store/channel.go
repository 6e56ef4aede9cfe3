package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// ChannelStore holds channel connections. Secrets arrive sealed by the
// caller (package channel); the store sees only ciphertext.
type ChannelStore interface {
	// ChannelInsert creates a connection; a name taken in the tenant is
	// ErrConflict.
	ChannelInsert(ctx context.Context, p *ChannelInsertParams) (*domain.ChannelConnection, error)
	ChannelGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.ChannelConnection, error)
	// ChannelList returns a tenant's connections by name, of one kind when
	// kind is not empty.
	ChannelList(ctx context.Context, tenantID uuid.UUID, kind domain.ChannelKind) ([]domain.ChannelConnection, error)
	// ChannelUpdate replaces a connection's name, config and sealed
	// secrets, and sets its status back to untested; a name taken by
	// another connection is ErrConflict.
	ChannelUpdate(ctx context.Context, p *ChannelUpdateParams) (*domain.ChannelConnection, error)
	// ChannelSetStatus records the result of a connection test.
	ChannelSetStatus(ctx context.Context, p *ChannelSetStatusParams) (*domain.ChannelConnection, error)
	ChannelDelete(ctx context.Context, tenantID, id uuid.UUID) error
	// ChannelListAfter pages through every tenant's connections by ID (key
	// rotation); call it in a system transaction.
	ChannelListAfter(ctx context.Context, after uuid.UUID, limit int) ([]domain.ChannelConnection, error)
	// ChannelReseal replaces a connection's ciphertext only while it is
	// still sealed with p.ExpectedKeyID, and reports whether it did.
	ChannelReseal(ctx context.Context, p *ChannelResealParams) (bool, error)
}

// ChannelInsertParams creates a channel connection.
type ChannelInsertParams struct {
	TenantID uuid.UUID
	// ID is set by the caller: the ciphertext is bound to it.
	ID          uuid.UUID
	Kind        domain.ChannelKind
	Name        string
	Config      json.RawMessage
	SecretNames []string
	Ciphertext  []byte
	KeyID       string
	CreatedBy   *uuid.UUID
}

// ChannelUpdateParams replaces a connection's settings.
type ChannelUpdateParams struct {
	TenantID    uuid.UUID
	ID          uuid.UUID
	Name        string
	Config      json.RawMessage
	SecretNames []string
	Ciphertext  []byte
	KeyID       string
}

// ChannelSetStatusParams records a connection test.
type ChannelSetStatusParams struct {
	TenantID uuid.UUID
	ID       uuid.UUID
	Status   domain.ChannelStatus
	Message  string
	TestedAt time.Time
}

// ChannelResealParams re-seals one connection's secrets under another key.
type ChannelResealParams struct {
	TenantID      uuid.UUID
	ID            uuid.UUID
	ExpectedKeyID string
	Ciphertext    []byte
	KeyID         string
}
