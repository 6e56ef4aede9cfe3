package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func credentialCases() []exerciseCase {
	return []exerciseCase{
		{"Credential/InsertGetUpdateListDelete", func(t *testing.T, f *fixture) {
			id := domain.NewID()
			var c *domain.Credential
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				var err error
				c, err = tx.CredentialInsert(f.ctx, &store.CredentialInsertParams{
					TenantID: f.tenantA.ID, ID: id, Name: "STRIPE_KEY", Kind: domain.CredentialHTTPHeader,
					Description: "live key", Ciphertext: []byte{1, 2, 3}, KeyID: "k1", CreatedBy: &f.user.ID,
				})
				require.NoError(t, err)
				require.Equal(t, id, c.ID)
				require.Equal(t, f.tenantA.ID, c.TenantID)
				require.Equal(t, "STRIPE_KEY", c.Name)
				require.Equal(t, domain.CredentialHTTPHeader, c.Kind)
				require.Equal(t, "live key", c.Description)
				require.Equal(t, []byte{1, 2, 3}, c.Ciphertext)
				require.Equal(t, "k1", c.KeyID)
				require.Equal(t, &f.user.ID, c.CreatedBy)
				require.False(t, c.CreatedAt.IsZero())

				got, err := tx.CredentialGetByName(f.ctx, f.tenantA.ID, "STRIPE_KEY")
				require.NoError(t, err)
				require.Equal(t, c, got)
				_, err = tx.CredentialGetByName(f.ctx, f.tenantA.ID, "stripe_key")
				require.ErrorIs(t, err, store.ErrNotFound, "names are case-sensitive")
			})
			// The name is unique per tenant; another tenant may use it.
			err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.CredentialInsert(f.ctx, &store.CredentialInsertParams{TenantID: f.tenantA.ID, Name: "STRIPE_KEY",
					Kind: domain.CredentialGeneric, Ciphertext: []byte{9}, KeyID: "k1"})
				return err
			})
			require.ErrorIs(t, err, store.ErrConflict)
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				_, err := tx.CredentialInsert(f.ctx, &store.CredentialInsertParams{TenantID: f.tenantB.ID, Name: "STRIPE_KEY",
					Kind: domain.CredentialGeneric, Ciphertext: []byte{7}, KeyID: "k1"})
				require.NoError(t, err)
				_, err = tx.CredentialInsert(f.ctx, &store.CredentialInsertParams{TenantID: f.tenantB.ID, Name: "A_FIRST",
					Kind: domain.CredentialGeneric, Ciphertext: []byte{8}, KeyID: "k1"})
				require.NoError(t, err)
			})

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				upd, err := tx.CredentialUpdate(f.ctx, &store.CredentialUpdateParams{TenantID: f.tenantA.ID, Name: "STRIPE_KEY",
					Kind: domain.CredentialGeneric, Description: "rotated", Ciphertext: []byte{4, 5}, KeyID: "k2"})
				require.NoError(t, err)
				require.Equal(t, id, upd.ID)
				require.Equal(t, []byte{4, 5}, upd.Ciphertext)
				require.Equal(t, "k2", upd.KeyID)
				require.Equal(t, "rotated", upd.Description)
				require.False(t, upd.UpdatedAt.Before(c.UpdatedAt))
				require.Equal(t, c.CreatedAt, upd.CreatedAt)

				list, err := tx.CredentialList(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Len(t, list, 1)
				require.Equal(t, "STRIPE_KEY", list[0].Name)
			})
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				list, err := tx.CredentialList(f.ctx, f.tenantB.ID)
				require.NoError(t, err)
				require.Len(t, list, 2)
				require.Equal(t, "A_FIRST", list[0].Name, "listed by name")
				require.Equal(t, []byte{7}, list[1].Ciphertext, "tenant B's row is its own")
			})

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.CredentialUpdate(f.ctx, &store.CredentialUpdateParams{TenantID: f.tenantA.ID, Name: "NOPE",
					Kind: domain.CredentialGeneric, Ciphertext: []byte{1}, KeyID: "k1"})
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.CredentialDelete(f.ctx, f.tenantA.ID, "NOPE"), store.ErrNotFound)
				require.NoError(t, tx.CredentialDelete(f.ctx, f.tenantA.ID, "STRIPE_KEY"))
				_, err = tx.CredentialGetByName(f.ctx, f.tenantA.ID, "STRIPE_KEY")
				require.ErrorIs(t, err, store.ErrNotFound)
			})
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				_, err := tx.CredentialGetByName(f.ctx, f.tenantB.ID, "STRIPE_KEY")
				require.NoError(t, err, "deleting tenant A's credential leaves tenant B's")
			})
		}},
		{"Credential/OtherTenantsAreNotFound", func(t *testing.T, f *fixture) {
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.CredentialInsert(f.ctx, &store.CredentialInsertParams{TenantID: f.tenantA.ID, Name: "ONLY_A",
					Kind: domain.CredentialGeneric, Ciphertext: []byte{1}, KeyID: "k1"})
				require.NoError(t, err)
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				_, err := tx.CredentialGetByName(f.ctx, f.tenantB.ID, "ONLY_A")
				require.ErrorIs(t, err, store.ErrNotFound, "tenant B cannot read tenant A's credential")
				list, err := tx.CredentialList(f.ctx, f.tenantB.ID)
				require.NoError(t, err)
				require.Empty(t, list)
				_, err = tx.CredentialUpdate(f.ctx, &store.CredentialUpdateParams{TenantID: f.tenantB.ID, Name: "ONLY_A",
					Kind: domain.CredentialGeneric, Ciphertext: []byte{2}, KeyID: "k1"})
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.CredentialDelete(f.ctx, f.tenantB.ID, "ONLY_A"), store.ErrNotFound)
			})
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.CredentialGetByName(f.ctx, f.tenantA.ID, "ONLY_A")
				require.NoError(t, err)
				require.Equal(t, []byte{1}, got.Ciphertext, "unchanged")
			})
		}},
		{"CredentialReseal/ListAfterPagesAllTenants", func(t *testing.T, f *fixture) {
			var ids []uuid.UUID
			for i, ten := range []*domain.Tenant{f.tenantA, f.tenantB, f.tenantA} {
				f.in(t, ten.ID, func(tx store.Tx) {
					c, err := tx.CredentialInsert(f.ctx, &store.CredentialInsertParams{TenantID: ten.ID, Name: fmt.Sprintf("C_%d", i),
						Kind: domain.CredentialGeneric, Ciphertext: []byte{1}, KeyID: "old"})
					require.NoError(t, err)
					ids = append(ids, c.ID)
				})
			}
			var all []domain.Credential
			after := uuid.Nil
			for {
				var page []domain.Credential
				f.system(t, func(tx store.Tx) {
					var err error
					page, err = tx.CredentialListAfter(f.ctx, after, 2)
					require.NoError(t, err)
				})
				if len(page) == 0 {
					break
				}
				all = append(all, page...)
				after = page[len(page)-1].ID
			}
			require.Len(t, all, 3, "every tenant's credentials, page by page")
			require.ElementsMatch(t, ids, []uuid.UUID{all[0].ID, all[1].ID, all[2].ID})

			c := all[0]
			f.system(t, func(tx store.Tx) {
				ok, err := tx.CredentialReseal(f.ctx, &store.CredentialResealParams{TenantID: c.TenantID, ID: c.ID,
					ExpectedKeyID: "old", Ciphertext: []byte{2}, KeyID: "new"})
				require.NoError(t, err)
				require.True(t, ok)
				ok, err = tx.CredentialReseal(f.ctx, &store.CredentialResealParams{TenantID: c.TenantID, ID: c.ID,
					ExpectedKeyID: "old", Ciphertext: []byte{3}, KeyID: "new"})
				require.NoError(t, err)
				require.False(t, ok, "already resealed: left alone")
			})
			f.read(t, c.TenantID, func(tx store.Tx) {
				got, err := tx.CredentialGetByName(f.ctx, c.TenantID, c.Name)
				require.NoError(t, err)
				require.Equal(t, []byte{2}, got.Ciphertext)
				require.Equal(t, "new", got.KeyID)
			})
		}},
		{"WorkflowListSecretCandidates/ThenRewriteDefinition", func(t *testing.T, f *fixture) {
			plain := json.RawMessage(`{"nodes":[{"id":"hook","type":"trigger.webhook","config":{"secret":"s3cret-s3cret-s3cret"},"position":{"x":0,"y":0}}],"edges":[]}`)
			var wf *domain.Workflow
			var v *domain.WorkflowVersion
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				var err error
				wf, err = tx.WorkflowInsert(f.ctx, &store.WorkflowInsertParams{TenantID: f.tenantB.ID, Name: "Hook", Definition: plain})
				require.NoError(t, err)
				v, err = tx.WorkflowVersionInsert(f.ctx, &store.WorkflowVersionInsertParams{TenantID: f.tenantB.ID, WorkflowID: wf.ID, Version: 1, Definition: plain})
				require.NoError(t, err)
			})
			clean := f.newChain(t, f.tenantA.ID)
			var drafts, versions []store.DefinitionRow
			f.system(t, func(tx store.Tx) {
				var err error
				drafts, err = tx.WorkflowListSecretCandidates(f.ctx, uuid.Nil, 100)
				require.NoError(t, err)
				versions, err = tx.WorkflowVersionListSecretCandidates(f.ctx, uuid.Nil, 100)
				require.NoError(t, err)
			})
			require.Len(t, drafts, 1, "the draft without secrets is not a candidate")
			require.Equal(t, wf.ID, drafts[0].ID)
			require.Equal(t, f.tenantB.ID, drafts[0].TenantID)
			requireJSON(t, string(plain), drafts[0].Definition)
			require.Len(t, versions, 1)
			require.Equal(t, v.ID, versions[0].ID)
			require.Equal(t, wf.ID, versions[0].WorkflowID)
			require.Equal(t, wf.ID, drafts[0].WorkflowID)

			rewritten := json.RawMessage(`{"nodes":[{"id":"hook","type":"trigger.webhook","config":{"secretCredential":"WEBHOOK_X"},"position":{"x":0,"y":0}}],"edges":[]}`)
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				require.NoError(t, tx.WorkflowRewriteDefinition(f.ctx, f.tenantB.ID, wf.ID, rewritten))
				require.NoError(t, tx.WorkflowVersionRewriteDefinition(f.ctx, f.tenantB.ID, v.ID, rewritten))
				require.ErrorIs(t, tx.WorkflowRewriteDefinition(f.ctx, f.tenantB.ID, clean.wf.ID, rewritten), store.ErrNotFound,
					"another tenant's workflow is not found")
				require.ErrorIs(t, tx.WorkflowVersionRewriteDefinition(f.ctx, f.tenantB.ID, clean.v.ID, rewritten), store.ErrNotFound)
				got, err := tx.WorkflowGetByID(f.ctx, f.tenantB.ID, wf.ID)
				require.NoError(t, err)
				requireJSON(t, string(rewritten), got.Definition)
				require.Equal(t, wf.Revision+1, got.Revision, "open editors see the draft moved on")
				gv, err := tx.WorkflowVersionGetByID(f.ctx, f.tenantB.ID, v.ID)
				require.NoError(t, err)
				requireJSON(t, string(rewritten), gv.Definition)
			})
			f.system(t, func(tx store.Tx) {
				drafts, err := tx.WorkflowListSecretCandidates(f.ctx, uuid.Nil, 100)
				require.NoError(t, err)
				require.Empty(t, drafts)
			})
		}},
	}
}
