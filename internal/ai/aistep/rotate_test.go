package aistep_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/ai/aifake"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestRotateResealsAIKeys: after the secret key changes, Rotate re-seals
// the stored AI key under the new one; a keyring without the old key then
// opens it and the call goes through. A second run changes nothing.
func TestRotateResealsAIKeys(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB, ...storetest.Option) store.Store{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := setupWith(t, open, aifake.OpenAI)
			h.configure(t, 0) // sealed with key {5…}
			f, err := ai.NewFactory(ai.NetOptions{Allow: []string{"127.0.0.1"}, AnyPort: true})
			require.NoError(t, err)
			both, err := secret.NewKeyring(bytes.Repeat([]byte{6}, 32), bytes.Repeat([]byte{5}, 32))
			require.NoError(t, err)
			ctx := context.Background()
			resealed, current, err := ai.NewService(both, f).Rotate(ctx, h.st)
			require.NoError(t, err)
			require.Equal(t, 1, resealed)
			require.Zero(t, current)
			resealed, current, err = ai.NewService(both, f).Rotate(ctx, h.st)
			require.NoError(t, err)
			require.Zero(t, resealed, "idempotent")
			require.Equal(t, 1, current)

			onlyNew, err := secret.NewKeyring(bytes.Repeat([]byte{6}, 32))
			require.NoError(t, err)
			var p ai.Provider
			require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
				st, err := tx.AISettingsGet(ctx, h.tenant)
				if err != nil {
					return err
				}
				p, err = ai.NewService(onlyNew, f).Provider(st)
				return err
			}))
			_, err = p.Complete(ctx, ai.Request{Model: "gpt-4o-mini", Messages: []ai.Message{{Role: ai.RoleUser, Content: "hi"}}})
			require.NoError(t, err, "the re-sealed key is the same key")
			require.Equal(t, "Bearer sk-test", h.fake.Requests()[0].Header.Get("Authorization"))
		})
	}
}
