package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// AIStore holds each workspace's AI settings (the API key sealed by the
// caller; the store sees only ciphertext) and the usage of its AI steps.
type AIStore interface {
	// AISettingsUpsert creates or replaces a tenant's AI settings.
	AISettingsUpsert(ctx context.Context, p *AISettingsUpsertParams) (*domain.AISettings, error)
	// AISettingsGet returns a tenant's AI settings; ErrNotFound when none
	// were saved.
	AISettingsGet(ctx context.Context, tenantID uuid.UUID) (*domain.AISettings, error)
	// AISettingsListSealedAfter lists, across tenants, settings holding a
	// sealed API key with tenant IDs after after, in tenant order, at most
	// limit (secret-key rotation).
	AISettingsListSealedAfter(ctx context.Context, after uuid.UUID, limit int) ([]domain.AISettings, error)
	// AISettingsReseal replaces a tenant's sealed API key still sealed with
	// the expected key; false when it was not.
	AISettingsReseal(ctx context.Context, p *AISettingsResealParams) (bool, error)
	// AIUsageInsert records one step's (or draft's) usage. A second row for
	// the same step is ignored (the result may be recorded twice when its
	// transaction is retried); it reports whether the row was written.
	AIUsageInsert(ctx context.Context, p *AIUsageInsertParams) (bool, error)
	// AIUsageTotals sums a tenant's usage created in [from, to) by
	// provider and model, largest token count first.
	AIUsageTotals(ctx context.Context, tenantID uuid.UUID, from, to time.Time) ([]domain.AIUsageTotal, error)
}

// AISettingsUpsertParams are a tenant's new AI settings. APIKeyCiphertext
// nil keeps no key.
type AISettingsUpsertParams struct {
	TenantID           uuid.UUID
	Provider           string
	Model              string
	BaseURL            string
	APIKeyCiphertext   []byte
	APIKeyKeyID        string
	MonthlyTokenBudget int64
	RedactFields       []string
	RedactPII          bool
	UpdatedBy          *uuid.UUID
}

// AISettingsResealParams re-seals one tenant's AI API key under another
// key (secret-key rotation).
type AISettingsResealParams struct {
	TenantID      uuid.UUID
	ExpectedKeyID string
	Ciphertext    []byte
	KeyID         string
}

// AIUsageInsertParams records one step's usage.
type AIUsageInsertParams struct {
	TenantID     uuid.UUID
	ID           uuid.UUID // zero: generated
	ExecutionID  *uuid.UUID
	StepID       *uuid.UUID
	NodeID       string
	Kind         string
	Provider     string
	Model        string
	Calls        int
	TokensIn     int64
	TokensOut    int64
	LatencyMS    int64
	CostMicroUSD int64
	// CreatedAt is when the usage counts (zero: now).
	CreatedAt time.Time
}
