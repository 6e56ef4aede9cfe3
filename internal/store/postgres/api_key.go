package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toAPIKey(r dbsqlc.ApiKey) *domain.APIKey {
	scopes := r.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return &domain.APIKey{
		ID:         r.ID,
		TenantID:   r.TenantID,
		Name:       r.Name,
		Prefix:     r.Prefix,
		SecretHash: r.SecretHash,
		Scopes:     scopes,
		CreatedBy:  r.CreatedBy,
		CreatedAt:  utc(r.CreatedAt),
		LastUsedAt: utcPtr(r.LastUsedAt),
		RevokedAt:  utcPtr(r.RevokedAt),
	}
}

// APIKeyInsert creates an API key.
func (t *tx) APIKeyInsert(ctx context.Context, p *store.APIKeyInsertParams) (*domain.APIKey, error) {
	scopes := p.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	r, err := t.q.APIKeyInsert(ctx, dbsqlc.APIKeyInsertParams{
		ID:         newID(p.ID),
		TenantID:   p.TenantID,
		Name:       p.Name,
		Prefix:     p.Prefix,
		SecretHash: p.SecretHash,
		Scopes:     scopes,
		CreatedBy:  p.CreatedBy,
	})
	if err != nil {
		return nil, translateInsert(err, "insert API key %q", p.Prefix)
	}
	return toAPIKey(r), nil
}

// APIKeyGetByPrefix finds an API key across tenants.
func (t *tx) APIKeyGetByPrefix(ctx context.Context, prefix string) (*domain.APIKey, error) {
	r, err := t.q.APIKeyGetByPrefix(ctx, prefix)
	if err != nil {
		return nil, translate(err, "get API key %q", prefix)
	}
	return toAPIKey(r), nil
}

// APIKeyGetByID loads an API key.
func (t *tx) APIKeyGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.APIKey, error) {
	r, err := t.q.APIKeyGetByID(ctx, dbsqlc.APIKeyGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "get API key %s", id)
	}
	return toAPIKey(r), nil
}

// APIKeyListByTenant lists a tenant's API keys, newest first.
func (t *tx) APIKeyListByTenant(ctx context.Context, tenantID uuid.UUID) ([]domain.APIKey, error) {
	rows, err := t.q.APIKeyListByTenant(ctx, tenantID)
	if err != nil {
		return nil, translate(err, "list API keys of tenant %s", tenantID)
	}
	out := make([]domain.APIKey, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toAPIKey(r))
	}
	return out, nil
}

// APIKeyRevoke revokes an API key.
func (t *tx) APIKeyRevoke(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error {
	n, err := t.q.APIKeyRevoke(ctx, dbsqlc.APIKeyRevokeParams{TenantID: tenantID, ID: id, RevokedAt: &at})
	return affected(n, err, "revoke API key %s", id)
}

// APIKeyTouch records that an API key was used.
func (t *tx) APIKeyTouch(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error {
	n, err := t.q.APIKeyTouch(ctx, dbsqlc.APIKeyTouchParams{TenantID: tenantID, ID: id, LastUsedAt: &at})
	return affected(n, err, "touch API key %s", id)
}
