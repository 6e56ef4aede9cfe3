package store

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// CredentialStore holds workspace credentials (encrypted by the caller;
// the store sees only ciphertext) and the one rewrite of stored definitions
// that is allowed: moving plain secrets out of drafts and versions.
type CredentialStore interface {
	// CredentialInsert fails with ErrConflict when the name is taken in the
	// tenant.
	CredentialInsert(ctx context.Context, p *CredentialInsertParams) (*domain.Credential, error)
	CredentialGetByName(ctx context.Context, tenantID uuid.UUID, name string) (*domain.Credential, error)
	// CredentialList returns a tenant's credentials by name.
	CredentialList(ctx context.Context, tenantID uuid.UUID) ([]domain.Credential, error)
	// CredentialUpdate replaces a credential's value, kind and description.
	CredentialUpdate(ctx context.Context, p *CredentialUpdateParams) (*domain.Credential, error)
	CredentialDelete(ctx context.Context, tenantID uuid.UUID, name string) error
	// CredentialListAfter pages through every tenant's credentials by ID
	// (key rotation); call it in a system transaction.
	CredentialListAfter(ctx context.Context, after uuid.UUID, limit int) ([]domain.Credential, error)
	// CredentialReseal replaces a credential's ciphertext only while it is
	// still sealed with expectedKeyID; it reports whether it did (a value
	// replaced meanwhile is left alone).
	CredentialReseal(ctx context.Context, p *CredentialResealParams) (bool, error)

	// WorkflowListSecretCandidates pages, across tenants and by ID, through
	// drafts that may hold plain secrets (a cheap textual filter; the caller
	// decides). Call it in a system transaction.
	WorkflowListSecretCandidates(ctx context.Context, after uuid.UUID, limit int) ([]DefinitionRow, error)
	// WorkflowVersionListSecretCandidates does the same over versions.
	WorkflowVersionListSecretCandidates(ctx context.Context, after uuid.UUID, limit int) ([]DefinitionRow, error)
	// WorkflowRewriteDefinition replaces a draft (its revision moves on).
	WorkflowRewriteDefinition(ctx context.Context, tenantID, id uuid.UUID, definition json.RawMessage) error
	// WorkflowVersionRewriteDefinition replaces a published definition.
	// Versions are otherwise immutable: this exists only to move plain
	// secrets into credentials.
	WorkflowVersionRewriteDefinition(ctx context.Context, tenantID, id uuid.UUID, definition json.RawMessage) error
}

// CredentialInsertParams creates a credential.
type CredentialInsertParams struct {
	TenantID    uuid.UUID
	ID          uuid.UUID // zero: generated (the ciphertext is bound to it, so callers set it)
	Name        string
	Kind        string
	Description string
	Ciphertext  []byte
	KeyID       string
	CreatedBy   *uuid.UUID
}

// CredentialUpdateParams replaces a credential's value (sealed by the
// caller for the credential's ID), kind and description.
type CredentialUpdateParams struct {
	TenantID    uuid.UUID
	Name        string
	Kind        string
	Description string
	Ciphertext  []byte
	KeyID       string
}

// CredentialResealParams re-seals one credential under another key.
type CredentialResealParams struct {
	TenantID      uuid.UUID
	ID            uuid.UUID
	ExpectedKeyID string
	Ciphertext    []byte
	KeyID         string
}

// DefinitionRow is a stored definition (a draft or a version) with its
// owner.
type DefinitionRow struct {
	TenantID uuid.UUID
	ID       uuid.UUID
	// WorkflowID is the workflow's ID (ID itself for a draft).
	WorkflowID uuid.UUID
	Definition json.RawMessage
}
