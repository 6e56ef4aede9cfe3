package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// A batch upsert locks the contacts it matches FOR NO KEY UPDATE, not FOR
// UPDATE: it never changes a contact's key (tenant_id, id; the unique
// indexes on external_id and email are partial, so not keys), so another
// transaction's KEY SHARE lock of the contact (an event insert, a journey
// entry's foreign key) goes through while the upsert's transaction is
// open, and a second upsert of the contact still waits for it.
func TestContactUpsertManyLeavesKeyShareLocksFree(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID := uuid.New()
	_, err := s.Pool().Exec(ctx, "INSERT INTO tenants (id, name, slug, plan) VALUES ($1, 'Lock', 'lock-contact', 'PRO')", tenantID)
	require.NoError(t, err)
	ann, annMail := "ann", "ann@example.com"
	upsert := func(p *store.ContactUpsertParams, during func(id uuid.UUID)) {
		t.Helper()
		require.NoError(t, s.InTx(ctx, tenantID, func(tx store.Tx) error {
			res, err := tx.ContactUpsertMany(ctx, []*store.ContactUpsertParams{p})
			if err != nil {
				return err
			}
			require.Len(t, res, 1)
			if during != nil {
				during(res[0].Contact.ID)
			}
			return nil
		}))
	}
	upsert(&store.ContactUpsertParams{TenantID: tenantID, ExternalID: &ann}, nil)

	lock := func(id uuid.UUID, strength string) error {
		return pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "SELECT 1 FROM contacts WHERE tenant_id = $1 AND id = $2 FOR "+strength+" NOWAIT", tenantID, id)
			return err
		})
	}
	upsert(&store.ContactUpsertParams{TenantID: tenantID, ExternalID: &ann, Email: &annMail}, func(id uuid.UUID) {
		require.NoError(t, lock(id, "KEY SHARE"), "the upsert leaves the contact's key to others")
		err := lock(id, "NO KEY UPDATE")
		var pgErr *pgconn.PgError
		require.True(t, errors.As(err, &pgErr), "another upsert waits: %v", err)
		require.Equal(t, "55P03", pgErr.Code, "lock_not_available")
	})
}
