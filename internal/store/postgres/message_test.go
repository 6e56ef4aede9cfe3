package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// Marking a message sent writes no index entry: the provider ID has no
// index on messages (migration 00040 keeps it in message_provider_ids),
// so the update is HOT, as are the status callbacks after it. With the
// unique index on messages.provider_message_id every mark wrote a new
// entry into each of the table's indexes.
func TestMessageMarkSentIsAHOTUpdate(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, id := uuid.New(), uuid.New()
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if err := insertTenant(ctx, tx, tenantID, "hot"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO messages (tenant_id, id, channel, recipient, status, queued_at)
VALUES ($1, $2, 'whatsapp', '4915112345678', 'queued', now())`, tenantID, id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, postgres.MessageMarkSentManySQL, tenantID, []uuid.UUID{id}, []string{"wamid.HOT"},
			[]time.Time{time.Now()})
		if err != nil {
			return err
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var updates, hot int64
		require.NoError(t, tx.QueryRow(ctx, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables
WHERE relid = 'messages'::regclass`).Scan(&updates, &hot))
		require.EqualValues(t, 1, updates)
		require.EqualValues(t, 1, hot, "marking a message sent touches no index of messages")
		var found uuid.UUID
		require.NoError(t, tx.QueryRow(ctx, `SELECT message_id FROM message_provider_ids
WHERE tenant_id = $1 AND channel = 'whatsapp' AND provider_message_id = 'wamid.HOT'`, tenantID).Scan(&found))
		require.Equal(t, id, found)
		return nil
	})
	require.NoError(t, err)
}

// Storing messages with contacts locks nothing of their tenant (migration
// 00046 dropped the messages' keys to tenants and contacts: the insert
// checks the contacts, once each, and they check the tenant), and a
// message without a contact locks the tenant's row once per statement
// instead of once per row.
func TestMessageInsertLeavesItsTenantRowAlone(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, contactID := uuid.New(), uuid.New()
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		return insertTenantContact(ctx, tx, tenantID, contactID, "lock-messages")
	})
	require.NoError(t, err)

	tenantLocked := func() bool {
		t.Helper()
		err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "SELECT id FROM tenants WHERE id = $1 FOR UPDATE NOWAIT", tenantID)
			return err
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "55P03" {
			return true
		}
		require.NoError(t, err)
		return false
	}
	insert := func(contact *uuid.UUID) {
		t.Helper()
		require.NoError(t, s.InTx(ctx, tenantID, func(tx store.Tx) error {
			if err := tx.MessageInsertMany(ctx, []*store.MessageInsertParams{{TenantID: tenantID, Channel: domain.ChannelEmail,
				ContactID: contact, Recipient: "ada@example.com"}}); err != nil {
				return err
			}
			if contact != nil {
				require.False(t, tenantLocked(), "a message with a contact leaves its tenant's row unlocked")
			} else {
				require.True(t, tenantLocked(), "a message without a contact holds its tenant (a tenant delete waits for it)")
			}
			return nil
		}))
	}
	insert(&contactID)
	insert(nil)

	var keys int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_constraint
WHERE conrelid = 'messages'::regclass AND contype = 'f'`).Scan(&keys))
	require.Zero(t, keys, "messages have no foreign key checked per row")
}

// A message naming another tenant's contact is refused, as the key on
// (tenant_id, contact_id) refused it before migration 00046.
func TestMessageInsertRefusesAnotherTenantsContact(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, otherID, contactID := uuid.New(), uuid.New(), uuid.New()
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO tenants (id, name, slug, plan) VALUES ($1, 'A', 'a-messages', 'PRO'), ($2, 'B', 'b-messages', 'PRO')",
			tenantID, otherID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO contacts (tenant_id, id, email) VALUES ($1, $2, 'eve@example.com')", otherID, contactID)
		return err
	})
	require.NoError(t, err)
	err = s.InTx(ctx, tenantID, func(tx store.Tx) error {
		_, _, err := tx.MessageInsert(ctx, &store.MessageInsertParams{TenantID: tenantID, Channel: domain.ChannelEmail,
			ContactID: &contactID, Recipient: "eve@example.com"})
		return err
	})
	require.ErrorIs(t, err, store.ErrNotFound)
	err = s.InTx(ctx, tenantID, func(tx store.Tx) error {
		return tx.MessageInsertMany(ctx, []*store.MessageInsertParams{{TenantID: tenantID, Channel: domain.ChannelEmail,
			ContactID: &contactID, Recipient: "eve@example.com"}})
	})
	require.ErrorIs(t, err, store.ErrNotFound)
}
