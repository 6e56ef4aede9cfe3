package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func apiKeyFromRow(r dbsqlc.ApiKey) (*domain.APIKey, error) {
	var scopes []string
	if err := json.Unmarshal([]byte(r.Scopes), &scopes); err != nil {
		return nil, fmt.Errorf("decode scopes of api key %s: %w", r.ID, err)
	}
	return &domain.APIKey{
		ID:         r.ID,
		TenantID:   r.TenantID,
		Name:       r.Name,
		Prefix:     r.Prefix,
		SecretHash: r.SecretHash,
		Scopes:     scopes,
		CreatedBy:  uuidPtr(r.CreatedBy),
		CreatedAt:  r.CreatedAt.UTC(),
		LastUsedAt: timePtr(r.LastUsedAt),
		RevokedAt:  timePtr(r.RevokedAt),
	}, nil
}

// APIKeyInsert creates an API key; a taken prefix is store.ErrConflict.
func (t *tx) APIKeyInsert(ctx context.Context, p *store.APIKeyInsertParams) (*domain.APIKey, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	scopes := p.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	scopesJSON, err := json.Marshal(scopes)
	if err != nil {
		return nil, fmt.Errorf("encode scopes: %w", err)
	}
	r, err := t.q.APIKeyInsert(ctx, t.tx, &dbsqlc.APIKeyInsertParams{
		ID:         id,
		TenantID:   p.TenantID,
		Name:       p.Name,
		Prefix:     p.Prefix,
		SecretHash: p.SecretHash,
		Scopes:     string(scopesJSON),
		CreatedBy:  nullUUID(p.CreatedBy),
		Now:        now(),
	})
	if err != nil {
		return nil, wrap(err, "insert api key %q", p.Prefix)
	}
	return apiKeyFromRow(r)
}

// APIKeyGetByPrefix returns the key with the prefix, in whichever tenant.
func (t *tx) APIKeyGetByPrefix(ctx context.Context, prefix string) (*domain.APIKey, error) {
	r, err := t.q.APIKeyGetByPrefix(ctx, t.tx, prefix)
	if err != nil {
		return nil, wrap(err, "get api key %q", prefix)
	}
	return apiKeyFromRow(r)
}

// APIKeyGetByID returns a tenant's API key.
func (t *tx) APIKeyGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.APIKey, error) {
	r, err := t.q.APIKeyGetByID(ctx, t.tx, &dbsqlc.APIKeyGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, wrap(err, "get api key %s", id)
	}
	return apiKeyFromRow(r)
}

// APIKeyListByTenant returns a tenant's API keys, newest first, revoked
// ones included.
func (t *tx) APIKeyListByTenant(ctx context.Context, tenantID uuid.UUID) ([]domain.APIKey, error) {
	rows, err := t.q.APIKeyListByTenant(ctx, t.tx, tenantID)
	if err != nil {
		return nil, wrap(err, "list api keys of tenant %s", tenantID)
	}
	out := make([]domain.APIKey, 0, len(rows))
	for _, r := range rows {
		k, err := apiKeyFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	return out, nil
}

// APIKeyRevoke revokes a key; revoking it again keeps the first time.
func (t *tx) APIKeyRevoke(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error {
	n, err := t.q.APIKeyRevoke(ctx, t.tx, &dbsqlc.APIKeyRevokeParams{TenantID: tenantID, ID: id, RevokedAt: nullTime(&at)})
	return affected(n, err, "revoke api key %s", id)
}

// APIKeyTouch records when a key was last used.
func (t *tx) APIKeyTouch(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error {
	n, err := t.q.APIKeyTouch(ctx, t.tx, &dbsqlc.APIKeyTouchParams{TenantID: tenantID, ID: id, LastUsedAt: nullTime(&at)})
	return affected(n, err, "touch api key %s", id)
}
