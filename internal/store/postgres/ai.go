package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toAISettings(r dbsqlc.AiSetting) (*domain.AISettings, error) {
	s := &domain.AISettings{
		TenantID: r.TenantID, Provider: r.Provider, Model: r.Model, BaseURL: r.BaseUrl,
		APIKeyCiphertext: r.ApiKeyCiphertext, APIKeyKeyID: r.ApiKeyKeyID, MonthlyTokenBudget: r.MonthlyTokenBudget,
		RedactPII: r.RedactPii, UpdatedBy: r.UpdatedBy, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
	}
	if err := json.Unmarshal(r.RedactFields, &s.RedactFields); err != nil {
		return nil, fmt.Errorf("decode redact_fields of tenant %s: %w", r.TenantID, err)
	}
	return s, nil
}

// AISettingsUpsert creates or replaces a tenant's AI settings.
func (t *tx) AISettingsUpsert(ctx context.Context, p *store.AISettingsUpsertParams) (*domain.AISettings, error) {
	fields, err := json.Marshal(nonNil(p.RedactFields))
	if err != nil {
		return nil, fmt.Errorf("encode redact fields: %w", err)
	}
	r, err := t.q.AISettingsUpsert(ctx, dbsqlc.AISettingsUpsertParams{
		TenantID: p.TenantID, Provider: p.Provider, Model: p.Model, BaseUrl: p.BaseURL,
		ApiKeyCiphertext: p.APIKeyCiphertext, ApiKeyKeyID: p.APIKeyKeyID, MonthlyTokenBudget: p.MonthlyTokenBudget,
		RedactFields: fields, RedactPii: p.RedactPII, UpdatedBy: p.UpdatedBy,
	})
	if err != nil {
		return nil, translate(err, "save AI settings of tenant %s", p.TenantID)
	}
	return toAISettings(r)
}

// AISettingsGet returns a tenant's AI settings.
func (t *tx) AISettingsGet(ctx context.Context, tenantID uuid.UUID) (*domain.AISettings, error) {
	r, err := t.q.AISettingsGet(ctx, tenantID)
	if err != nil {
		return nil, translate(err, "get AI settings of tenant %s", tenantID)
	}
	return toAISettings(r)
}

// AISettingsListSealedAfter lists settings with a sealed key, across tenants.
func (t *tx) AISettingsListSealedAfter(ctx context.Context, after uuid.UUID, limit int) ([]domain.AISettings, error) {
	rows, err := t.q.AISettingsListSealedAfter(ctx, dbsqlc.AISettingsListSealedAfterParams{After: after, Lim: int32(limit)})
	if err != nil {
		return nil, translate(err, "list AI settings after %s", after)
	}
	out := make([]domain.AISettings, 0, len(rows))
	for _, r := range rows {
		s, err := toAISettings(r)
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, nil
}

// AISettingsReseal replaces an API key still sealed with the expected key.
func (t *tx) AISettingsReseal(ctx context.Context, p *store.AISettingsResealParams) (bool, error) {
	n, err := t.q.AISettingsReseal(ctx, dbsqlc.AISettingsResealParams{
		TenantID: p.TenantID, ExpectedKeyID: p.ExpectedKeyID, Ciphertext: p.Ciphertext, KeyID: p.KeyID,
	})
	if err != nil {
		return false, translate(err, "reseal the AI key of tenant %s", p.TenantID)
	}
	return n > 0, nil
}

// AIUsageInsert records one step's usage, once per step.
func (t *tx) AIUsageInsert(ctx context.Context, p *store.AIUsageInsertParams) (bool, error) {
	at := p.CreatedAt
	if at.IsZero() {
		at = time.Now()
	}
	n, err := t.q.AIUsageInsert(ctx, dbsqlc.AIUsageInsertParams{
		TenantID: p.TenantID, ID: newID(p.ID), ExecutionID: p.ExecutionID, StepID: p.StepID, NodeID: p.NodeID,
		Kind: p.Kind, Provider: p.Provider, Model: p.Model, Calls: int32(p.Calls), TokensIn: p.TokensIn,
		TokensOut: p.TokensOut, LatencyMs: p.LatencyMS, CostMicroUsd: p.CostMicroUSD, CreatedAt: at.UTC(),
	})
	if err != nil {
		return false, translate(err, "record AI usage of tenant %s", p.TenantID)
	}
	return n > 0, nil
}

// AIUsageTotals sums a tenant's usage in [from, to) by provider and model.
func (t *tx) AIUsageTotals(ctx context.Context, tenantID uuid.UUID, from, to time.Time) ([]domain.AIUsageTotal, error) {
	rows, err := t.q.AIUsageTotals(ctx, dbsqlc.AIUsageTotalsParams{TenantID: tenantID, FromTime: from.UTC(), ToTime: to.UTC()})
	if err != nil {
		return nil, translate(err, "sum AI usage of tenant %s", tenantID)
	}
	out := make([]domain.AIUsageTotal, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.AIUsageTotal{Provider: r.Provider, Model: r.Model, Calls: r.Calls,
			TokensIn: r.TokensIn, TokensOut: r.TokensOut, CostMicroUSD: r.CostMicroUsd})
	}
	return out, nil
}

// nonNil turns a nil list into an empty one (stored as []).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
