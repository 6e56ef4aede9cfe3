package postgres_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// The indexes an event and a journey entry write (migration 00047): an
// event six (one index by contact and time carries the name, where two
// indexes by contact were), a journey entry one (its key leads with the
// contact and serves a contact's list; no index by contact and entry
// time, and none by execution since 00051).
func TestEventAndJourneyEntryIndexes(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	indexes := func(table string) []string {
		rows, err := s.Pool().Query(ctx, `SELECT regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '')
FROM pg_index i WHERE i.indrelid = to_regclass($1) ORDER BY 1`, table)
		require.NoError(t, err)
		defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return defs
	}
	require.Equal(t, []string{
		"btree (tenant_id, contact_id, occurred_at DESC) INCLUDE (name)",
		"btree (tenant_id, id)",
		"btree (tenant_id, message_id)",
		"btree (tenant_id, name, occurred_at DESC)",
		"btree (tenant_id, occurred_at DESC, id DESC)",
		"btree (tenant_id, received_at)",
	}, indexes("events"))
	require.Equal(t, []string{
		"btree (tenant_id, contact_id, workflow_id)",
	}, indexes("journey_entries"))
}

// A re-entry is a HOT update of the entry (migration 00051): no index
// names a column a claim changes, so claiming the entry again for a new
// execution writes no index entry. With journey_entries_execution_id_idx
// every re-entry wrote a new entry into both of the table's indexes.
func TestJourneyEntryReentryIsAHOTUpdate(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, workflowID, contactID := uuid.New(), uuid.New(), uuid.New()
	first, second := uuid.New(), uuid.New()
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if err := insertTenantWorkflow(ctx, tx, tenantID, workflowID, "hot-journey"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO contacts (id, tenant_id, external_id) VALUES ($1, $2, 'ann')", contactID, tenantID); err != nil {
			return err
		}
		q := dbsqlc.New(tx)
		for _, exec := range []uuid.UUID{first, second} {
			if _, err := tx.Exec(ctx, `INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, status, contact_id, context)
VALUES ($1, $2, $3, $3, 1, 'COMPLETED', $4, '{}')`, exec, tenantID, workflowID, contactID); err != nil {
				return err
			}
			claimed, err := q.JourneyEntryClaimMany(ctx, dbsqlc.JourneyEntryClaimManyParams{
				TenantID: tenantID, WorkflowIds: []uuid.UUID{workflowID}, ContactIds: []uuid.UUID{contactID},
				ExecutionIds: []uuid.UUID{exec}, Reentries: []string{"one_at_a_time"},
			})
			if err != nil {
				return err
			}
			require.Len(t, claimed, 1, "the entry is claimed for %s", exec)
		}
		var updates, hot int64
		require.NoError(t, tx.QueryRow(ctx, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables
WHERE relid = 'journey_entries'::regclass`).Scan(&updates, &hot))
		require.EqualValues(t, 1, updates, "the second claim updates the entry")
		require.EqualValues(t, 1, hot, "a re-entry touches no index of journey_entries")
		var named uuid.UUID
		require.NoError(t, tx.QueryRow(ctx, "SELECT execution_id FROM journey_entries WHERE tenant_id = $1", tenantID).Scan(&named))
		require.Equal(t, second, named)
		return nil
	})
	require.NoError(t, err)
}

// Claiming a journey entry locks nothing of its tenant (migration 00047
// dropped the entry's own key to tenants: its workflow's key checks the
// tenant), and a deleted tenant still takes its entries with it.
func TestJourneyEntryLeavesItsTenantRowAlone(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, workflowID, contactID, execID := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if err := insertTenantWorkflow(ctx, tx, tenantID, workflowID, "lock-journey"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO contacts (id, tenant_id, external_id) VALUES ($1, $2, 'ann')", contactID, tenantID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, status, context)
VALUES ($1, $2, $3, $3, 1, 'RUNNING', '{}')`, execID, tenantID, workflowID)
		return err
	})
	require.NoError(t, err)

	writer, err := s.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = writer.Rollback(ctx) }()
	_, err = writer.Exec(ctx, `INSERT INTO journey_entries (tenant_id, workflow_id, contact_id, execution_id, reentry, first_entered_at, entered_at)
VALUES ($1, $2, $3, $4, 'one_at_a_time', now(), now())`, tenantID, workflowID, contactID, execID)
	require.NoError(t, err)
	err = pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "SELECT id FROM tenants WHERE id = $1 FOR UPDATE NOWAIT", tenantID)
		return err
	})
	require.NoError(t, err, "the entry's insert holds no lock on its tenant's row")
	require.NoError(t, writer.Commit(ctx))

	_, err = s.Pool().Exec(ctx, "DELETE FROM tenants WHERE id = $1", tenantID)
	require.NoError(t, err)
	var left int
	require.NoError(t, s.Pool().QueryRow(ctx, "SELECT count(*) FROM journey_entries WHERE tenant_id = $1", tenantID).Scan(&left))
	require.Zero(t, left, "the tenant's entries went with its workflows and contacts")
}
