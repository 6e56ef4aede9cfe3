package sqlite

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func credentialFromRow(r dbsqlc.Credential) *domain.Credential {
	return &domain.Credential{
		ID:          r.ID,
		TenantID:    r.TenantID,
		Name:        r.Name,
		Kind:        r.Kind,
		Description: r.Description,
		Ciphertext:  r.Ciphertext,
		KeyID:       r.KeyID,
		CreatedBy:   uuidPtr(r.CreatedBy),
		CreatedAt:   r.CreatedAt.UTC(),
		UpdatedAt:   r.UpdatedAt.UTC(),
	}
}

// CredentialInsert creates a credential; a taken name is store.ErrConflict.
func (t *tx) CredentialInsert(ctx context.Context, p *store.CredentialInsertParams) (*domain.Credential, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	r, err := t.q.CredentialInsert(ctx, t.tx, &dbsqlc.CredentialInsertParams{
		ID: id, TenantID: p.TenantID, Name: p.Name, Kind: p.Kind, Description: p.Description,
		Ciphertext: p.Ciphertext, KeyID: p.KeyID, CreatedBy: nullUUID(p.CreatedBy), Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "insert credential %q", p.Name)
	}
	return credentialFromRow(r), nil
}

// CredentialGetByName returns a tenant's credential.
func (t *tx) CredentialGetByName(ctx context.Context, tenantID uuid.UUID, name string) (*domain.Credential, error) {
	r, err := t.q.CredentialGetByName(ctx, t.tx, &dbsqlc.CredentialGetByNameParams{TenantID: tenantID, Name: name})
	if err != nil {
		return nil, wrap(err, "get credential %q", name)
	}
	return credentialFromRow(r), nil
}

// CredentialList returns a tenant's credentials by name.
func (t *tx) CredentialList(ctx context.Context, tenantID uuid.UUID) ([]domain.Credential, error) {
	rows, err := t.q.CredentialList(ctx, t.tx, tenantID)
	if err != nil {
		return nil, wrap(err, "list credentials of tenant %s", tenantID)
	}
	out := make([]domain.Credential, 0, len(rows))
	for _, r := range rows {
		out = append(out, *credentialFromRow(r))
	}
	return out, nil
}

// CredentialUpdate replaces a credential's value, kind and description.
func (t *tx) CredentialUpdate(ctx context.Context, p *store.CredentialUpdateParams) (*domain.Credential, error) {
	r, err := t.q.CredentialUpdate(ctx, t.tx, &dbsqlc.CredentialUpdateParams{
		TenantID: p.TenantID, Name: p.Name, Kind: p.Kind, Description: p.Description,
		Ciphertext: p.Ciphertext, KeyID: p.KeyID, Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "update credential %q", p.Name)
	}
	return credentialFromRow(r), nil
}

// CredentialDelete deletes a credential.
func (t *tx) CredentialDelete(ctx context.Context, tenantID uuid.UUID, name string) error {
	n, err := t.q.CredentialDelete(ctx, t.tx, &dbsqlc.CredentialDeleteParams{TenantID: tenantID, Name: name})
	return affected(n, err, "delete credential %q", name)
}

// CredentialListAfter pages through every tenant's credentials by ID.
func (t *tx) CredentialListAfter(ctx context.Context, after uuid.UUID, limit int) ([]domain.Credential, error) {
	rows, err := t.q.CredentialListAfter(ctx, t.tx, &dbsqlc.CredentialListAfterParams{After: after, Lim: int64(limit)})
	if err != nil {
		return nil, wrap(err, "list credentials after %s", after)
	}
	out := make([]domain.Credential, 0, len(rows))
	for _, r := range rows {
		out = append(out, *credentialFromRow(r))
	}
	return out, nil
}

// CredentialReseal replaces a ciphertext still sealed with the expected key.
func (t *tx) CredentialReseal(ctx context.Context, p *store.CredentialResealParams) (bool, error) {
	n, err := t.q.CredentialReseal(ctx, t.tx, &dbsqlc.CredentialResealParams{
		TenantID: p.TenantID, ID: p.ID, ExpectedKeyID: p.ExpectedKeyID, Ciphertext: p.Ciphertext, KeyID: p.KeyID,
	})
	if err != nil {
		return false, wrap(err, "reseal credential %s", p.ID)
	}
	return n > 0, nil
}

// WorkflowListSecretCandidates pages through drafts that may hold plain
// secrets.
func (t *tx) WorkflowListSecretCandidates(ctx context.Context, after uuid.UUID, limit int) ([]store.DefinitionRow, error) {
	rows, err := t.q.WorkflowListSecretCandidates(ctx, t.tx, &dbsqlc.WorkflowListSecretCandidatesParams{After: after, Lim: int64(limit)})
	if err != nil {
		return nil, wrap(err, "list drafts after %s", after)
	}
	out := make([]store.DefinitionRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, store.DefinitionRow{TenantID: r.TenantID, ID: r.ID, WorkflowID: r.WorkflowID, Definition: json.RawMessage(r.Definition)})
	}
	return out, nil
}

// WorkflowVersionListSecretCandidates pages through versions that may hold
// plain secrets.
func (t *tx) WorkflowVersionListSecretCandidates(ctx context.Context, after uuid.UUID, limit int) ([]store.DefinitionRow, error) {
	rows, err := t.q.WorkflowVersionListSecretCandidates(ctx, t.tx, &dbsqlc.WorkflowVersionListSecretCandidatesParams{After: after, Lim: int64(limit)})
	if err != nil {
		return nil, wrap(err, "list versions after %s", after)
	}
	out := make([]store.DefinitionRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, store.DefinitionRow{TenantID: r.TenantID, ID: r.ID, WorkflowID: r.WorkflowID, Definition: json.RawMessage(r.Definition)})
	}
	return out, nil
}

// WorkflowRewriteDefinition replaces a draft.
func (t *tx) WorkflowRewriteDefinition(ctx context.Context, tenantID, id uuid.UUID, definition json.RawMessage) error {
	n, err := t.q.WorkflowRewriteDefinition(ctx, t.tx, &dbsqlc.WorkflowRewriteDefinitionParams{
		TenantID: tenantID, ID: id, Definition: string(definition), Now: now()})
	return affected(n, err, "rewrite workflow %s", id)
}

// WorkflowVersionRewriteDefinition replaces a published definition.
func (t *tx) WorkflowVersionRewriteDefinition(ctx context.Context, tenantID, id uuid.UUID, definition json.RawMessage) error {
	n, err := t.q.WorkflowVersionRewriteDefinition(ctx, t.tx, &dbsqlc.WorkflowVersionRewriteDefinitionParams{
		TenantID: tenantID, ID: id, Definition: string(definition)})
	return affected(n, err, "rewrite workflow version %s", id)
}
