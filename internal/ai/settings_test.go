package ai_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

func TestSettingsSealTheKeyAndBudgetRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.SQLite(t)
	kr, err := secret.NewKeyring(make([]byte, 32))
	require.NoError(t, err)
	svc := ai.NewService(kr, loopback(t))
	var tenant *domain.Tenant
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tenant, err = tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme", Plan: domain.PlanPro})
		return err
	}))
	key := "sk-secret-value"
	var saved *domain.AISettings
	require.NoError(t, st.InTx(ctx, tenant.ID, func(tx store.Tx) error {
		_, err := svc.SaveTx(ctx, tx, tenant.ID, ai.SettingsInput{Provider: ai.ProviderOpenAI, Model: "gpt-4o-mini"}, nil)
		var ie *ai.InvalidError
		require.ErrorAs(t, err, &ie)
		require.Equal(t, "apiKey", ie.Field)
		saved, err = svc.SaveTx(ctx, tx, tenant.ID, ai.SettingsInput{Provider: ai.ProviderOpenAI, Model: "gpt-4o-mini", APIKey: &key, MonthlyTokenBudget: 100}, nil)
		return err
	}))
	require.NotContains(t, string(saved.APIKeyCiphertext), key)
	p, err := svc.Provider(saved)
	require.NoError(t, err)
	require.Equal(t, ai.ProviderOpenAI, p.Name())

	now := time.Now()
	require.NoError(t, st.InTx(ctx, tenant.ID, func(tx store.Tx) error {
		require.NoError(t, ai.CheckBudget(ctx, tx, saved, now))
		_, err := tx.AIUsageInsert(ctx, &store.AIUsageInsertParams{TenantID: tenant.ID, Kind: "ai.generate", Provider: "openai", Model: "gpt-4o-mini", Calls: 1, TokensIn: 60, TokensOut: 40})
		require.NoError(t, err)
		err = ai.CheckBudget(ctx, tx, saved, now)
		var be *ai.BudgetError
		require.ErrorAs(t, err, &be)
		require.Contains(t, err.Error(), "monthly AI token budget of 100 exceeded")
		return nil
	}))
	require.Equal(t, int64(27), ai.EstimateCost("openai", "gpt-4o-mini-2024", 100, 20))
	require.Zero(t, ai.EstimateCost("local", "gpt-4o", 100, 20))
}
