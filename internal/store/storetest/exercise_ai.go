package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func aiCases() []exerciseCase {
	return []exerciseCase{
		{"AISettingsUpsert/CreatesThenReplaces", func(t *testing.T, f *fixture) {
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.AISettingsGet(f.ctx, f.tenantA.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
			})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				s, err := tx.AISettingsUpsert(f.ctx, &store.AISettingsUpsertParams{
					TenantID: f.tenantA.ID, Provider: "openai", Model: "gpt-4o-mini", BaseURL: "https://llm.example.com/v1",
					APIKeyCiphertext: []byte{1, 2, 3}, APIKeyKeyID: "k1", MonthlyTokenBudget: 5000,
					RedactFields: []string{"email", "phone"}, RedactPII: true, UpdatedBy: &f.user.ID,
				})
				require.NoError(t, err)
				require.Equal(t, "openai", s.Provider)
				require.Equal(t, "gpt-4o-mini", s.Model)
				require.Equal(t, "https://llm.example.com/v1", s.BaseURL)
				require.Equal(t, []byte{1, 2, 3}, s.APIKeyCiphertext)
				require.Equal(t, "k1", s.APIKeyKeyID)
				require.Equal(t, int64(5000), s.MonthlyTokenBudget)
				require.Equal(t, []string{"email", "phone"}, s.RedactFields)
				require.True(t, s.RedactPII)
				require.Equal(t, &f.user.ID, s.UpdatedBy)
				require.True(t, s.HasAPIKey())

				got, err := tx.AISettingsGet(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Equal(t, s, got)

				s, err = tx.AISettingsUpsert(f.ctx, &store.AISettingsUpsertParams{TenantID: f.tenantA.ID, Provider: "local"})
				require.NoError(t, err)
				require.Equal(t, "local", s.Provider)
				require.Nil(t, s.APIKeyCiphertext, "the upsert replaces every field")
				require.False(t, s.HasAPIKey())
				require.Equal(t, []string{}, s.RedactFields)
				require.Zero(t, s.MonthlyTokenBudget)
				require.False(t, s.RedactPII)
			})
		}},
		{"AISettingsReseal/OnlyFromTheExpectedKey", func(t *testing.T, f *fixture) {
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.AISettingsUpsert(f.ctx, &store.AISettingsUpsertParams{TenantID: f.tenantA.ID, Provider: "openai", Model: "m",
					APIKeyCiphertext: []byte{1}, APIKeyKeyID: "old"})
				require.NoError(t, err)
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				_, err := tx.AISettingsUpsert(f.ctx, &store.AISettingsUpsertParams{TenantID: f.tenantB.ID, Provider: "local"})
				require.NoError(t, err)
			})
			f.system(t, func(tx store.Tx) {
				var sealed []domain.AISettings
				after := uuid.Nil
				for {
					page, err := tx.AISettingsListSealedAfter(f.ctx, after, 1)
					require.NoError(t, err)
					sealed = append(sealed, page...)
					if len(page) < 1 {
						break
					}
					after = page[len(page)-1].TenantID
				}
				var mine []domain.AISettings
				for _, s := range sealed {
					require.True(t, s.HasAPIKey(), "only settings with a key")
					if s.TenantID == f.tenantA.ID || s.TenantID == f.tenantB.ID {
						mine = append(mine, s)
					}
				}
				require.Len(t, mine, 1)
				require.Equal(t, f.tenantA.ID, mine[0].TenantID)

				ok, err := tx.AISettingsReseal(f.ctx, &store.AISettingsResealParams{TenantID: f.tenantA.ID, ExpectedKeyID: "other", Ciphertext: []byte{9}, KeyID: "new"})
				require.NoError(t, err)
				require.False(t, ok, "sealed with another key meanwhile")
				ok, err = tx.AISettingsReseal(f.ctx, &store.AISettingsResealParams{TenantID: f.tenantA.ID, ExpectedKeyID: "old", Ciphertext: []byte{2}, KeyID: "new"})
				require.NoError(t, err)
				require.True(t, ok)
				got, err := tx.AISettingsGet(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Equal(t, []byte{2}, got.APIKeyCiphertext)
				require.Equal(t, "new", got.APIKeyKeyID)
				require.Equal(t, "m", got.Model, "the rest is kept")
			})
		}},
		{"AISettingsGet/OtherTenantIsNotFound", func(t *testing.T, f *fixture) {
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.AISettingsUpsert(f.ctx, &store.AISettingsUpsertParams{TenantID: f.tenantA.ID, Provider: "local"})
				require.NoError(t, err)
			})
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				_, err := tx.AISettingsGet(f.ctx, f.tenantB.ID)
				require.ErrorIs(t, err, store.ErrNotFound, "tenant A's settings are not tenant B's")
			})
		}},
		{"AIUsageInsert/OncePerStepAndSummedByMonth", func(t *testing.T, f *fixture) {
			month := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			exec, step := domain.NewID(), domain.NewID()
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				ok, err := tx.AIUsageInsert(f.ctx, &store.AIUsageInsertParams{
					TenantID: f.tenantA.ID, ExecutionID: &exec, StepID: &step, NodeID: "classify", Kind: "ai.classify",
					Provider: "openai", Model: "gpt-4o-mini", Calls: 2, TokensIn: 100, TokensOut: 20, LatencyMS: 300,
					CostMicroUSD: 27, CreatedAt: month.Add(time.Hour),
				})
				require.NoError(t, err)
				require.True(t, ok)
				// The same step again (a retried result transaction) is ignored.
				ok, err = tx.AIUsageInsert(f.ctx, &store.AIUsageInsertParams{
					TenantID: f.tenantA.ID, ExecutionID: &exec, StepID: &step, NodeID: "classify", Kind: "ai.classify",
					Provider: "openai", Model: "gpt-4o-mini", Calls: 1, TokensIn: 999, TokensOut: 999, CreatedAt: month.Add(time.Hour),
				})
				require.NoError(t, err)
				require.False(t, ok)
				step2 := domain.NewID()
				for _, p := range []store.AIUsageInsertParams{
					{ExecutionID: &exec, StepID: &step2, Kind: "ai.generate", Provider: "openai", Model: "gpt-4o-mini", Calls: 1, TokensIn: 10, TokensOut: 5, CostMicroUSD: 3, CreatedAt: month.AddDate(0, 1, 0).Add(-time.Second)},
					// Drafts have no step: several rows are kept.
					{Kind: "workflow_draft", Provider: "anthropic", Model: "claude-sonnet-4-5", Calls: 1, TokensIn: 500, TokensOut: 400, CreatedAt: month.Add(2 * time.Hour)},
					{Kind: "workflow_draft", Provider: "anthropic", Model: "claude-sonnet-4-5", Calls: 1, TokensIn: 500, TokensOut: 400, CreatedAt: month.Add(3 * time.Hour)},
					// Outside the month on both sides.
					{Kind: "ai.generate", Provider: "openai", Model: "gpt-4o-mini", Calls: 1, TokensIn: 7, CreatedAt: month.Add(-time.Second)},
					{Kind: "ai.generate", Provider: "openai", Model: "gpt-4o-mini", Calls: 1, TokensIn: 7, CreatedAt: month.AddDate(0, 1, 0)},
				} {
					p.TenantID = f.tenantA.ID
					ok, err := tx.AIUsageInsert(f.ctx, &p)
					require.NoError(t, err)
					require.True(t, ok)
				}
			})
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				totals, err := tx.AIUsageTotals(f.ctx, f.tenantA.ID, month, month.AddDate(0, 1, 0))
				require.NoError(t, err)
				require.Equal(t, []domain.AIUsageTotal{
					{Provider: "anthropic", Model: "claude-sonnet-4-5", Calls: 2, TokensIn: 1000, TokensOut: 800},
					{Provider: "openai", Model: "gpt-4o-mini", Calls: 3, TokensIn: 110, TokensOut: 25, CostMicroUSD: 30},
				}, totals)
			})
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				totals, err := tx.AIUsageTotals(f.ctx, f.tenantB.ID, time.Time{}, time.Now().Add(time.Hour))
				require.NoError(t, err)
				require.Empty(t, totals, "tenant A's usage is not tenant B's")
			})
		}},
	}
}
