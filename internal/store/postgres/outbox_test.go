package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// Recording the outcomes of a batch of calls writes no index entry: the
// entries were inserted together (one statement, as the group commit
// does) with half of each page left free (migration 00042), so each
// entry's new version stays on its page. With full pages most of them
// wrote a new entry into each of the outbox's indexes.
func TestOutboxOutcomesAreHOTUpdates(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, workflowID, execID := uuid.New(), uuid.New(), uuid.New()
	const n = 64
	request := `{"email":{"html":"` + strings.Repeat("<p>Hello Ana</p>", 50) + `"}}`
	response := `{"messageId":"` + uuid.NewString() + `","providerMessageId":"` + strings.Repeat("a", 60) +
		`","to":"ana@example.com","response":"250 2.0.0 Ok: queued as 4ABCDEF"}`
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if err := insertTenantWorkflow(ctx, tx, tenantID, workflowID, "hot-outbox"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, status, context)
VALUES ($1, $2, $3, $3, 1, 'RUNNING', '{}')`, execID, tenantID, workflowID); err != nil {
			return err
		}
		ids := make([]uuid.UUID, n)
		statuses, attempts, responses, errs := make([]string, n), make([]int32, n), make([]string, n), make([]string, n)
		for i := range ids {
			ids[i], statuses[i], attempts[i], responses[i] = uuid.New(), "DONE", 1, response
		}
		if _, err := tx.Exec(ctx, `INSERT INTO outbox (id, tenant_id, execution_id, step_id, idempotency_key, kind, status, request, attempts)
SELECT u.id, $1, $2, gen_random_uuid(), $5 || ':' || u.n, 'email.send', 'PENDING', $4::jsonb, 1
FROM unnest($3::uuid[]) WITH ORDINALITY AS u(id, n)`, tenantID, execID, ids, request, execID.String()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, postgres.OutboxUpdateManySQL, tenantID, ids, statuses, attempts, responses, errs); err != nil {
			return err
		}
		var updates, hot int64
		require.NoError(t, tx.QueryRow(ctx, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables
WHERE relid = 'outbox'::regclass`).Scan(&updates, &hot))
		require.EqualValues(t, n, updates)
		require.EqualValues(t, n, hot, "recording outcomes touches no index of the outbox")
		return nil
	})
	require.NoError(t, err)
}

// Writing an outbox entry locks nothing of its tenant (migration 00042
// dropped the entry's own key to tenants: its execution's key checks the
// tenant), and a deleted tenant still takes its entries with it, through
// its executions.
func TestOutboxEntryLeavesItsTenantRowAlone(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, workflowID, execID := uuid.New(), uuid.New(), uuid.New()
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if err := insertTenantWorkflow(ctx, tx, tenantID, workflowID, "lock-outbox"); err != nil {
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
	_, err = writer.Exec(ctx, `INSERT INTO outbox (id, tenant_id, execution_id, step_id, idempotency_key, kind, status, request)
VALUES ($1, $2, $3, $1, $4, 'email.send', 'PENDING', '{}')`, uuid.New(), tenantID, execID, execID.String()+":1")
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
	require.NoError(t, s.Pool().QueryRow(ctx, "SELECT count(*) FROM outbox WHERE tenant_id = $1", tenantID).Scan(&left))
	require.Zero(t, left, "the tenant's entries went with its executions")
}
