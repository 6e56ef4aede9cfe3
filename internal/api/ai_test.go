package api

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// newAIAPI is the API with the AI routes, over SQLite.
func newAIAPI(t *testing.T) *testAPI {
	t.Helper()
	st := storetest.SQLite(t)
	kr, err := secret.NewKeyring(bytes.Repeat([]byte{9}, 32))
	require.NoError(t, err)
	f, err := ai.NewFactory(ai.NetOptions{})
	require.NoError(t, err)
	routes := &AIRoutes{Store: st, AI: ai.NewService(kr, f)}
	return newTestAPIDeps(t, st, Deps{Hooks: []func(huma.API){routes.Register}})
}

func TestAISettingsAPI(t *testing.T) {
	t.Parallel()
	a := newAIAPI(t)
	ada := a.signup("ada@example.com", "Acme")
	bob := a.signup("bob@example.com", "Bravo")
	as, bs := creds{Cookie: ada.Cookie}, creds{Cookie: bob.Cookie}

	r := a.do(http.MethodGet, Prefix+"/ai/settings", nil, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	var got AISettingsDTO
	r.JSON(t, &got)
	require.False(t, got.Configured)

	r = a.do(http.MethodPut, Prefix+"/ai/settings", map[string]any{
		"provider": "openai", "model": "gpt-4o-mini", "apiKey": "sk-very-secret", "monthlyTokenBudget": 5000,
		"redactFields": []string{"email"},
	}, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	require.NotContains(t, string(r.Body), "sk-very-secret")
	r.JSON(t, &got)
	require.True(t, got.Configured)
	require.True(t, got.HasAPIKey)
	require.Equal(t, "gpt-4o-mini", got.Model)
	require.Equal(t, int64(5000), got.MonthlyTokenBudget)

	// Omitting the key keeps it.
	r = a.do(http.MethodPut, Prefix+"/ai/settings", map[string]any{"provider": "openai", "model": "gpt-4.1"}, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	r.JSON(t, &got)
	require.True(t, got.HasAPIKey, "an omitted key keeps the stored one")
	require.Equal(t, "gpt-4.1", got.Model)

	r = a.do(http.MethodGet, Prefix+"/ai/settings", nil, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	require.NotContains(t, string(r.Body), "sk-very-secret")
	r.JSON(t, &got)
	require.Equal(t, "gpt-4.1", got.Model)
	require.True(t, got.HasAPIKey)

	// Another tenant sees none of it.
	r = a.do(http.MethodGet, Prefix+"/ai/settings", nil, bs)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	var other AISettingsDTO
	r.JSON(t, &other)
	require.False(t, other.Configured)
	require.Empty(t, other.Model)

	// Bad input: 422 naming the field, nothing written.
	r = a.do(http.MethodPut, Prefix+"/ai/settings", map[string]any{"provider": "openai", "model": "", "apiKey": "k"}, as)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
	require.Contains(t, problemDetail(t, r), "model")
	r = a.do(http.MethodPut, Prefix+"/ai/settings", map[string]any{"provider": "anthropic", "model": "claude-haiku", "apiKey": ""}, bs)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
	require.Contains(t, problemDetail(t, r), "apiKey")
	r = a.do(http.MethodPut, Prefix+"/ai/settings", map[string]any{"provider": "openai", "model": "m", "baseUrl": "ftp://x"}, as)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
	require.Contains(t, problemDetail(t, r), "baseUrl")
	r = a.do(http.MethodGet, Prefix+"/ai/settings", nil, as)
	r.JSON(t, &got)
	require.Equal(t, "gpt-4.1", got.Model, "a refused update writes nothing")

	// An API key reads the settings but never changes them.
	key := creds{Key: a.apiKey(ada, "full")}
	r = a.do(http.MethodGet, Prefix+"/ai/settings", nil, key)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	r = a.do(http.MethodPut, Prefix+"/ai/settings", map[string]any{"provider": "local"}, key)
	require.Equal(t, http.StatusForbidden, r.Status, r.short())

	// Usage: empty month, budget reported.
	r = a.do(http.MethodGet, Prefix+"/ai/usage?month=2026-01", nil, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	var u AIUsageDTO
	r.JSON(t, &u)
	require.Equal(t, "2026-01", u.Month)
	require.Zero(t, u.TokensUsed)
	require.Empty(t, u.ByModel)
	require.Equal(t, got.MonthlyTokenBudget, u.MonthlyTokenBudget)
	r = a.do(http.MethodGet, Prefix+"/ai/usage?month=2026-13", nil, as)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
}
