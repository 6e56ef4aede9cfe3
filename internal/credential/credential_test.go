package credential

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

func eachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	for name, open := range map[string]func(testing.TB, ...storetest.Option) store.Store{
		"sqlite":   storetest.SQLite,
		"postgres": func(t testing.TB, o ...storetest.Option) store.Store { return storetest.PostgresAppRole(t, o...) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t))
		})
	}
}

func keyring(t *testing.T, cur byte, prev ...byte) *secret.Keyring {
	t.Helper()
	var ps [][]byte
	for _, p := range prev {
		ps = append(ps, bytes.Repeat([]byte{p}, 32))
	}
	kr, err := secret.NewKeyring(bytes.Repeat([]byte{cur}, 32), ps...)
	require.NoError(t, err)
	return kr
}

func newTenant(t *testing.T, st store.Store, slug string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	require.NoError(t, st.InTx(context.Background(), uuid.Nil, func(tx store.Tx) error {
		ten, err := tx.TenantInsert(context.Background(), &store.TenantInsertParams{Name: slug, Slug: slug, Plan: domain.PlanFree})
		if err == nil {
			id = ten.ID
		}
		return err
	}))
	return id
}

func create(t *testing.T, s *Service, tenant uuid.UUID, name, value string) *domain.Credential {
	t.Helper()
	var c *domain.Credential
	require.NoError(t, s.st.InTx(context.Background(), tenant, func(tx store.Tx) error {
		var err error
		c, err = s.InsertTx(context.Background(), tx, tenant, Input{Name: name, Value: value}, nil)
		return err
	}))
	return c
}

func TestResolveAndRotate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
		old := New(st, keyring(t, 1), nil)
		for i := range 5 {
			create(t, old, a, "K"+string(rune('A'+i)), "value-a-"+string(rune('A'+i)))
		}
		create(t, old, b, "KA", "value-b")
		v, err := old.Resolve(ctx, a, "KA")
		require.NoError(t, err)
		require.Equal(t, "value-a-A", v)
		_, err = old.Resolve(ctx, a, "NOPE")
		require.ErrorIs(t, err, store.ErrNotFound)

		// A new key alone cannot read them.
		fresh := New(st, keyring(t, 2), nil)
		_, err = fresh.Resolve(ctx, a, "KA")
		require.ErrorIs(t, err, secret.ErrUnknownKey)

		// Rotation with the old key as a previous one, in small batches.
		both := New(st, keyring(t, 2, 1), nil)
		res, err := both.Rotate(ctx, 2)
		require.NoError(t, err)
		require.Equal(t, RotateResult{Resealed: 6}, res)
		again, err := both.Rotate(ctx, 2)
		require.NoError(t, err)
		require.Equal(t, RotateResult{Current: 6}, again, "idempotent")

		// Now the new key alone reads every value.
		v, err = fresh.Resolve(ctx, a, "KE")
		require.NoError(t, err)
		require.Equal(t, "value-a-E", v)
		v, err = fresh.Resolve(ctx, b, "KA")
		require.NoError(t, err)
		require.Equal(t, "value-b", v)
	})
}

func TestCiphertextMovedToAnotherTenantDoesNotOpen(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
		s := New(st, keyring(t, 1), nil)
		victim := create(t, s, a, "STRIPE", "sk_live_victim")
		create(t, s, b, "STRIPE", "mine")
		// An attacker with write access to the database copies tenant A's
		// ciphertext into tenant B's row.
		require.NoError(t, st.InTx(ctx, b, func(tx store.Tx) error {
			_, err := tx.CredentialUpdate(ctx, &store.CredentialUpdateParams{TenantID: b, Name: "STRIPE", Kind: domain.CredentialGeneric,
				Ciphertext: victim.Ciphertext, KeyID: victim.KeyID})
			return err
		}))
		_, err := s.Resolve(ctx, b, "STRIPE")
		require.ErrorIs(t, err, secret.ErrOpen)
		v, err := s.Resolve(ctx, a, "STRIPE")
		require.NoError(t, err)
		require.Equal(t, "sk_live_victim", v)
	})
}

func TestInputCheck(t *testing.T) {
	t.Parallel()
	for _, in := range []Input{
		{Name: "bad-name", Value: "x"}, {Name: "", Value: "x"}, {Name: "OK", Value: ""},
		{Name: "OK", Value: "a\nb"}, {Name: "OK", Kind: "smtp?", Value: "x"},
	} {
		var ie *InvalidError
		require.ErrorAs(t, in.Check(), &ie, "%+v", in)
	}
	ok := Input{Name: "Ok_1", Value: "x"}
	require.NoError(t, ok.Check())
	require.Equal(t, domain.CredentialGeneric, ok.Kind)
}

func TestMigratePlain(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		a := newTenant(t, st, "a")
		s := New(st, keyring(t, 1), nil)
		v1 := `{"nodes":[{"id":"hook","type":"trigger.webhook","config":{"secret":"old-secret-old-secret"},"position":{"x":0,"y":0}},
		 {"id":"call","type":"http.request","config":{"url":"https://api.example.com","headers":{"Authorization":"Bearer sk_live_1"}},"position":{"x":0,"y":0}}],
		 "edges":[{"id":"e","source":"hook","target":"call"}]}`
		draft := `{"nodes":[{"id":"hook","type":"trigger.webhook","config":{"secret":"new-secret-new-secret"},"position":{"x":0,"y":0}},
		 {"id":"call","type":"http.request","config":{"url":"https://api.example.com","headers":{"Authorization":"Bearer sk_live_1"}},"position":{"x":0,"y":0}}],
		 "edges":[{"id":"e","source":"hook","target":"call"}]}`
		var wf *domain.Workflow
		var ver *domain.WorkflowVersion
		require.NoError(t, st.InTx(ctx, a, func(tx store.Tx) error {
			var err error
			if wf, err = tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: a, Name: "Old", Definition: json.RawMessage(draft)}); err != nil {
				return err
			}
			ver, err = tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: a, WorkflowID: wf.ID, Version: 1, Definition: json.RawMessage(v1)})
			return err
		}))

		res, err := s.MigratePlain(ctx)
		require.NoError(t, err)
		require.Equal(t, MigrateResult{Drafts: 1, Versions: 1, Credentials: 3}, res,
			"the header value is shared; the webhook secret differs between draft and version")
		again, err := s.MigratePlain(ctx)
		require.NoError(t, err)
		require.Equal(t, MigrateResult{}, again, "idempotent")

		var gotDraft *domain.Workflow
		var gotVer *domain.WorkflowVersion
		require.NoError(t, st.Read(ctx, a, func(tx store.Tx) error {
			var err error
			if gotDraft, err = tx.WorkflowGetByID(ctx, a, wf.ID); err != nil {
				return err
			}
			gotVer, err = tx.WorkflowVersionGetByID(ctx, a, ver.ID)
			return err
		}))
		for _, raw := range []json.RawMessage{gotDraft.Definition, gotVer.Definition} {
			for _, plain := range []string{"old-secret", "new-secret", "sk_live_1"} {
				require.NotContains(t, string(raw), plain)
			}
			def, err := workflow.Parse(raw)
			require.NoError(t, err)
			require.Empty(t, workflow.PlainSecrets(def))
		}
		// Each reference resolves to the value it replaced.
		check := func(raw json.RawMessage, hookWant string) {
			def, err := workflow.Parse(raw)
			require.NoError(t, err)
			var hook struct {
				Auth             string `json:"auth"`
				SecretCredential string `json:"secretCredential"`
			}
			require.NoError(t, json.Unmarshal(def.Nodes[0].Config, &hook))
			require.Equal(t, "signature", hook.Auth)
			v, err := s.Resolve(ctx, a, hook.SecretCredential)
			require.NoError(t, err)
			require.Equal(t, hookWant, v)
			refs := workflow.SecretRefs(def)
			require.Len(t, refs, 2)
			for name := range refs {
				if name != hook.SecretCredential {
					v, err := s.Resolve(ctx, a, name)
					require.NoError(t, err)
					require.Equal(t, "Bearer sk_live_1", v)
				}
			}
		}
		check(gotDraft.Definition, "new-secret-new-secret")
		check(gotVer.Definition, "old-secret-old-secret")
	})
}
