package main

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/credential"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storeopen"
)

func TestSecretsRotateKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	keyA, keyB, keyC := strings.Repeat("a1", 32), strings.Repeat("b2", 32), strings.Repeat("c3", 32)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	withKeys := func(cur string, prev ...string) func(*testing.T, func(*credential.Service, uuid.UUID)) {
		return func(t *testing.T, fn func(*credential.Service, uuid.UUID)) {
			st, err := storeopen.Open(ctx, storeopen.Config{DataDir: dir, Logger: quiet, Queue: store.QueueConfig{WorkNone: true}})
			require.NoError(t, err)
			defer st.Close()
			require.NoError(t, st.Migrate(ctx))
			decode := func(h string) []byte { b, err := hex.DecodeString(h); require.NoError(t, err); return b }
			var ps [][]byte
			for _, p := range prev {
				ps = append(ps, decode(p))
			}
			kr, err := secret.NewKeyring(decode(cur), ps...)
			require.NoError(t, err)
			var tenant uuid.UUID
			require.NoError(t, st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
				ten, err := tx.TenantGetBySlug(ctx, "acme")
				if err == nil {
					tenant = ten.ID
				}
				return nil
			}))
			fn(credential.New(st, kr, quiet), tenant)
		}
	}
	// Two credentials sealed under key A.
	withKeys(keyA)(t, func(s *credential.Service, _ uuid.UUID) {
		require.NoError(t, sOpenTx(ctx, s, func(tx store.Tx) error {
			ten, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme", Plan: domain.PlanFree})
			if err != nil {
				return err
			}
			for _, n := range []string{"ONE", "TWO"} {
				if _, err := s.InsertTx(ctx, tx, ten.ID, credential.Input{Name: n, Value: "value-" + n}, nil); err != nil {
					return err
				}
			}
			// And a channel connection's secrets.
			name := "Page"
			_, err = channel.New(s.Store(), s.Keyring(), channel.Options{Logger: quiet}).CreateTx(ctx, tx, ten.ID, &channel.Input{
				Kind: domain.ChannelMessenger, Name: &name, Config: &channel.Config{PageID: "123"},
				Secrets: map[string]string{channel.SecretPageToken: "page-token"}}, nil)
			return err
		}))
	})
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	var out strings.Builder
	err := cmdSecrets(ctx, []string{"rotate-key", "--data-dir", dir, "--batch", "1"}, &out,
		env(map[string]string{"NEXTFLOW_SECRET_KEY": keyB, "NEXTFLOW_SECRET_KEY_PREVIOUS": keyA}))
	require.NoError(t, err)
	require.Contains(t, out.String(), "re-sealed: 2\n")
	require.Contains(t, out.String(), "channel connections re-sealed: 1\n")

	out.Reset()
	require.NoError(t, cmdSecrets(ctx, []string{"rotate-key", "--data-dir", dir}, &out,
		env(map[string]string{"NEXTFLOW_SECRET_KEY": keyB, "NEXTFLOW_SECRET_KEY_PREVIOUS": keyA})))
	require.Contains(t, out.String(), "re-sealed: 0\nalready current: 2\n", "idempotent")
	require.Contains(t, out.String(), "channel connections already current: 1\n")

	// Key B alone now opens them.
	withKeys(keyB)(t, func(s *credential.Service, tenant uuid.UUID) {
		v, err := s.Resolve(ctx, tenant, "TWO")
		require.NoError(t, err)
		require.Equal(t, "value-TWO", v)
		require.NoError(t, s.Store().Read(ctx, tenant, func(tx store.Tx) error {
			list, err := tx.ChannelList(ctx, tenant, "")
			require.NoError(t, err)
			require.Len(t, list, 1)
			r, err := channel.New(s.Store(), s.Keyring(), channel.Options{Logger: quiet}).Resolve(ctx, tx, tenant, list[0].ID)
			require.NoError(t, err)
			require.Equal(t, "page-token", r.Secret(channel.SecretPageToken))
			return nil
		}))
	})

	// Rotating to C without B among the previous keys opens nothing: it
	// says so and changes nothing.
	out.Reset()
	err = cmdSecrets(ctx, []string{"rotate-key", "--data-dir", dir}, &out, env(map[string]string{"NEXTFLOW_SECRET_KEY": keyC}))
	require.Error(t, err)
	require.Contains(t, out.String(), "failed: 2\n")
	withKeys(keyB)(t, func(s *credential.Service, tenant uuid.UUID) {
		v, err := s.Resolve(ctx, tenant, "ONE")
		require.NoError(t, err)
		require.Equal(t, "value-ONE", v)
	})

	require.Error(t, cmdSecrets(ctx, []string{"rotate"}, &out, env(nil)))
}

// sOpenTx runs fn in a system transaction of the service's store.
func sOpenTx(ctx context.Context, s *credential.Service, fn func(tx store.Tx) error) error {
	return s.Store().InTx(ctx, uuid.Nil, fn)
}
