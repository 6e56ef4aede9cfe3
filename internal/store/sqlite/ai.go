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

func aiSettingsFromRow(r dbsqlc.AiSetting) (*domain.AISettings, error) {
	s := &domain.AISettings{
		TenantID: r.TenantID, Provider: r.Provider, Model: r.Model, BaseURL: r.BaseUrl,
		APIKeyCiphertext: r.ApiKeyCiphertext, APIKeyKeyID: r.ApiKeyKeyID, MonthlyTokenBudget: r.MonthlyTokenBudget,
		RedactPII: r.RedactPii, UpdatedBy: uuidPtr(r.UpdatedBy), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if err := json.Unmarshal([]byte(r.RedactFields), &s.RedactFields); err != nil {
		return nil, fmt.Errorf("decode redact_fields of tenant %s: %w", r.TenantID, err)
	}
	return s, nil
}

// AISettingsUpsert creates or replaces a tenant's AI settings.
func (t *tx) AISettingsUpsert(ctx context.Context, p *store.AISettingsUpsertParams) (*domain.AISettings, error) {
	fields := p.RedactFields
	if fields == nil {
		fields = []string{}
	}
	enc, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode redact fields: %w", err)
	}
	r, err := t.q.AISettingsUpsert(ctx, t.tx, &dbsqlc.AISettingsUpsertParams{
		TenantID: p.TenantID, Provider: p.Provider, Model: p.Model, BaseUrl: p.BaseURL,
		ApiKeyCiphertext: p.APIKeyCiphertext, ApiKeyKeyID: p.APIKeyKeyID, MonthlyTokenBudget: p.MonthlyTokenBudget,
		RedactFields: string(enc), RedactPii: p.RedactPII, UpdatedBy: nullUUID(p.UpdatedBy), Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "save AI settings of tenant %s", p.TenantID)
	}
	return aiSettingsFromRow(r)
}

// AISettingsGet returns a tenant's AI settings.
func (t *tx) AISettingsGet(ctx context.Context, tenantID uuid.UUID) (*domain.AISettings, error) {
	r, err := t.q.AISettingsGet(ctx, t.tx, tenantID)
	if err != nil {
		return nil, wrap(err, "get AI settings of tenant %s", tenantID)
	}
	return aiSettingsFromRow(r)
}

// AISettingsListSealedAfter lists settings with a sealed key, across tenants.
func (t *tx) AISettingsListSealedAfter(ctx context.Context, after uuid.UUID, limit int) ([]domain.AISettings, error) {
	rows, err := t.q.AISettingsListSealedAfter(ctx, t.tx, &dbsqlc.AISettingsListSealedAfterParams{After: after, Lim: int64(limit)})
	if err != nil {
		return nil, wrap(err, "list AI settings after %s", after)
	}
	out := make([]domain.AISettings, 0, len(rows))
	for _, r := range rows {
		s, err := aiSettingsFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, nil
}

// AISettingsReseal replaces an API key still sealed with the expected key.
func (t *tx) AISettingsReseal(ctx context.Context, p *store.AISettingsResealParams) (bool, error) {
	n, err := t.q.AISettingsReseal(ctx, t.tx, &dbsqlc.AISettingsResealParams{
		TenantID: p.TenantID, ExpectedKeyID: p.ExpectedKeyID, Ciphertext: p.Ciphertext, KeyID: p.KeyID,
	})
	if err != nil {
		return false, wrap(err, "reseal the AI key of tenant %s", p.TenantID)
	}
	return n > 0, nil
}

// AIUsageInsert records one step's usage, once per step.
func (t *tx) AIUsageInsert(ctx context.Context, p *store.AIUsageInsertParams) (bool, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	at := p.CreatedAt
	if at.IsZero() {
		at = time.Now()
	}
	n, err := t.q.AIUsageInsert(ctx, t.tx, &dbsqlc.AIUsageInsertParams{
		TenantID: p.TenantID, ID: id, ExecutionID: nullUUID(p.ExecutionID), StepID: nullUUID(p.StepID), NodeID: p.NodeID,
		Kind: p.Kind, Provider: p.Provider, Model: p.Model, Calls: int64(p.Calls), TokensIn: p.TokensIn,
		TokensOut: p.TokensOut, LatencyMs: p.LatencyMS, CostMicroUsd: p.CostMicroUSD, CreatedAt: utc(at),
	})
	if err != nil {
		return false, wrap(err, "record AI usage of tenant %s", p.TenantID)
	}
	return n > 0, nil
}

// AIUsageTotals sums a tenant's usage in [from, to) by provider and model.
func (t *tx) AIUsageTotals(ctx context.Context, tenantID uuid.UUID, from, to time.Time) ([]domain.AIUsageTotal, error) {
	rows, err := t.q.AIUsageTotals(ctx, t.tx, &dbsqlc.AIUsageTotalsParams{TenantID: tenantID, FromTime: utc(from), ToTime: utc(to)})
	if err != nil {
		return nil, wrap(err, "sum AI usage of tenant %s", tenantID)
	}
	out := make([]domain.AIUsageTotal, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.AIUsageTotal{Provider: r.Provider, Model: r.Model, Calls: r.Calls,
			TokensIn: r.TokensIn, TokensOut: r.TokensOut, CostMicroUSD: r.CostMicroUsd})
	}
	return out, nil
}
