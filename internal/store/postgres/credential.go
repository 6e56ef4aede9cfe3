package postgres

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toCredential(r dbsqlc.Credential) *domain.Credential {
	return &domain.Credential{
		ID:          r.ID,
		TenantID:    r.TenantID,
		Name:        r.Name,
		Kind:        r.Kind,
		Description: r.Description,
		Ciphertext:  r.Ciphertext,
		KeyID:       r.KeyID,
		CreatedBy:   r.CreatedBy,
		CreatedAt:   utc(r.CreatedAt),
		UpdatedAt:   utc(r.UpdatedAt),
	}
}

// CredentialInsert creates a credential; a taken name is store.ErrConflict.
func (t *tx) CredentialInsert(ctx context.Context, p *store.CredentialInsertParams) (*domain.Credential, error) {
	r, err := t.q.CredentialInsert(ctx, dbsqlc.CredentialInsertParams{
		ID: newID(p.ID), TenantID: p.TenantID, Name: p.Name, Kind: p.Kind, Description: p.Description,
		Ciphertext: p.Ciphertext, KeyID: p.KeyID, CreatedBy: p.CreatedBy,
	})
	if err != nil {
		return nil, translateInsert(err, "insert credential %q", p.Name)
	}
	return toCredential(r), nil
}

// CredentialGetByName returns a tenant's credential.
func (t *tx) CredentialGetByName(ctx context.Context, tenantID uuid.UUID, name string) (*domain.Credential, error) {
	r, err := t.q.CredentialGetByName(ctx, dbsqlc.CredentialGetByNameParams{TenantID: tenantID, Name: name})
	if err != nil {
		return nil, translate(err, "get credential %q", name)
	}
	return toCredential(r), nil
}

// CredentialList returns a tenant's credentials by name.
func (t *tx) CredentialList(ctx context.Context, tenantID uuid.UUID) ([]domain.Credential, error) {
	rows, err := t.q.CredentialList(ctx, tenantID)
	if err != nil {
		return nil, translate(err, "list credentials of tenant %s", tenantID)
	}
	out := make([]domain.Credential, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toCredential(r))
	}
	return out, nil
}

// CredentialUpdate replaces a credential's value, kind and description.
func (t *tx) CredentialUpdate(ctx context.Context, p *store.CredentialUpdateParams) (*domain.Credential, error) {
	r, err := t.q.CredentialUpdate(ctx, dbsqlc.CredentialUpdateParams{
		TenantID: p.TenantID, Name: p.Name, Kind: p.Kind, Description: p.Description,
		Ciphertext: p.Ciphertext, KeyID: p.KeyID,
	})
	if err != nil {
		return nil, translate(err, "update credential %q", p.Name)
	}
	return toCredential(r), nil
}

// CredentialDelete deletes a credential.
func (t *tx) CredentialDelete(ctx context.Context, tenantID uuid.UUID, name string) error {
	n, err := t.q.CredentialDelete(ctx, dbsqlc.CredentialDeleteParams{TenantID: tenantID, Name: name})
	return affected(n, err, "delete credential %q", name)
}

// CredentialListAfter pages through every tenant's credentials by ID.
func (t *tx) CredentialListAfter(ctx context.Context, after uuid.UUID, limit int) ([]domain.Credential, error) {
	rows, err := t.q.CredentialListAfter(ctx, dbsqlc.CredentialListAfterParams{After: after, Lim: int32(limit)})
	if err != nil {
		return nil, translate(err, "list credentials after %s", after)
	}
	out := make([]domain.Credential, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toCredential(r))
	}
	return out, nil
}

// CredentialReseal replaces a ciphertext still sealed with the expected key.
func (t *tx) CredentialReseal(ctx context.Context, p *store.CredentialResealParams) (bool, error) {
	n, err := t.q.CredentialReseal(ctx, dbsqlc.CredentialResealParams{
		TenantID: p.TenantID, ID: p.ID, ExpectedKeyID: p.ExpectedKeyID, Ciphertext: p.Ciphertext, KeyID: p.KeyID,
	})
	if err != nil {
		return false, translate(err, "reseal credential %s", p.ID)
	}
	return n > 0, nil
}

// WorkflowListSecretCandidates pages through drafts that may hold plain
// secrets.
func (t *tx) WorkflowListSecretCandidates(ctx context.Context, after uuid.UUID, limit int) ([]store.DefinitionRow, error) {
	rows, err := t.q.WorkflowListSecretCandidates(ctx, dbsqlc.WorkflowListSecretCandidatesParams{After: after, Lim: int32(limit)})
	if err != nil {
		return nil, translate(err, "list drafts after %s", after)
	}
	out := make([]store.DefinitionRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, store.DefinitionRow{TenantID: r.TenantID, ID: r.ID, WorkflowID: r.WorkflowID, Definition: r.Definition})
	}
	return out, nil
}

// WorkflowVersionListSecretCandidates pages through versions that may hold
// plain secrets.
func (t *tx) WorkflowVersionListSecretCandidates(ctx context.Context, after uuid.UUID, limit int) ([]store.DefinitionRow, error) {
	rows, err := t.q.WorkflowVersionListSecretCandidates(ctx, dbsqlc.WorkflowVersionListSecretCandidatesParams{After: after, Lim: int32(limit)})
	if err != nil {
		return nil, translate(err, "list versions after %s", after)
	}
	out := make([]store.DefinitionRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, store.DefinitionRow{TenantID: r.TenantID, ID: r.ID, WorkflowID: r.WorkflowID, Definition: r.Definition})
	}
	return out, nil
}

// WorkflowRewriteDefinition replaces a draft.
func (t *tx) WorkflowRewriteDefinition(ctx context.Context, tenantID, id uuid.UUID, definition json.RawMessage) error {
	n, err := t.q.WorkflowRewriteDefinition(ctx, dbsqlc.WorkflowRewriteDefinitionParams{TenantID: tenantID, ID: id, Definition: definition})
	return affected(n, err, "rewrite workflow %s", id)
}

// WorkflowVersionRewriteDefinition replaces a published definition.
func (t *tx) WorkflowVersionRewriteDefinition(ctx context.Context, tenantID, id uuid.UUID, definition json.RawMessage) error {
	n, err := t.q.WorkflowVersionRewriteDefinition(ctx, dbsqlc.WorkflowVersionRewriteDefinitionParams{TenantID: tenantID, ID: id, Definition: definition})
	return affected(n, err, "rewrite workflow version %s", id)
}
