package auth

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// APIKeyCreated is a new API key with its full secret, shown once.
type APIKeyCreated struct {
	Key    *domain.APIKey
	Secret string
}

// CreateAPIKey creates an API key in the principal's workspace.
func (s *Service) CreateAPIKey(ctx context.Context, p *Principal, name string, scopes []string, meta RequestMeta) (*APIKeyCreated, error) {
	if err := p.Require(PermAPIKeysManage); err != nil {
		return nil, err
	}
	name, err := validateName("name", name)
	if err != nil {
		return nil, err
	}
	if len(scopes) == 0 {
		return nil, invalid("scopes", "at least one scope is required (full or events:write)")
	}
	clean := make([]string, 0, len(scopes))
	for _, sc := range scopes {
		if !ValidScope(sc) {
			return nil, invalid("scopes", fmt.Sprintf("unknown scope %q (full or events:write)", sc))
		}
		if !slices.Contains(clean, sc) {
			clean = append(clean, sc)
		}
	}
	secret, prefix, hash, err := NewAPIKey()
	if err != nil {
		return nil, err
	}
	var key *domain.APIKey
	err = s.st.InTx(ctx, p.TenantID, func(tx store.Tx) error {
		var err error
		key, err = tx.APIKeyInsert(ctx, &store.APIKeyInsertParams{
			TenantID: p.TenantID, ID: domain.NewID(), Name: name, Prefix: prefix, SecretHash: hash,
			Scopes: clean, CreatedBy: p.UserID(),
		})
		if err != nil {
			return fmt.Errorf("insert API key: %w", err)
		}
		return s.audit(ctx, tx, p.TenantID, p, "apikey.created", "api_key", key.ID.String(),
			map[string]any{"name": name, "prefix": prefix, "scopes": clean}, meta.IP)
	})
	if err != nil {
		return nil, fmt.Errorf("create API key: %w", err)
	}
	return &APIKeyCreated{Key: key, Secret: secret}, nil
}

// ListAPIKeys returns the API keys of the principal's workspace.
func (s *Service) ListAPIKeys(ctx context.Context, p *Principal) ([]domain.APIKey, error) {
	if err := p.Require(PermAPIKeysRead); err != nil {
		return nil, err
	}
	var out []domain.APIKey
	err := s.st.Read(ctx, p.TenantID, func(tx store.Tx) error {
		var err error
		out, err = tx.APIKeyListByTenant(ctx, p.TenantID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	return out, nil
}

// RevokeAPIKey revokes an API key of the principal's workspace; it stops
// working at once.
func (s *Service) RevokeAPIKey(ctx context.Context, p *Principal, id uuid.UUID, meta RequestMeta) error {
	if err := p.Require(PermAPIKeysManage); err != nil {
		return err
	}
	err := s.st.InTx(ctx, p.TenantID, func(tx store.Tx) error {
		key, err := tx.APIKeyGetByID(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if key.RevokedAt != nil {
			return nil
		}
		if err := tx.APIKeyRevoke(ctx, p.TenantID, id, s.now().UTC()); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.TenantID, p, "apikey.revoked", "api_key", id.String(),
			map[string]any{"name": key.Name, "prefix": key.Prefix}, meta.IP)
	})
	if err != nil {
		return fmt.Errorf("revoke API key %s: %w", id, err)
	}
	return nil
}

// ListAudit returns a page of the principal's workspace audit log, newest
// first, starting after the entry before (uuid.Nil: the newest).
func (s *Service) ListAudit(ctx context.Context, p *Principal, before uuid.UUID, limit int) ([]domain.AuditEntry, error) {
	if err := p.Require(PermAuditRead); err != nil {
		return nil, err
	}
	var out []domain.AuditEntry
	err := s.st.Read(ctx, p.TenantID, func(tx store.Tx) error {
		var err error
		out, err = tx.AuditListByTenant(ctx, &store.AuditListParams{TenantID: p.TenantID, Before: before, Limit: limit})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return out, nil
}
