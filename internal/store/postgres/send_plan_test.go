package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// The send path's statements that take a batch as arrays are planned at
// each call, from the tables' sizes of that moment: each is prepared on
// the store's connection (parsed once) but never given a generic plan,
// which, made while the tables were small, would be kept until an
// ANALYZE (see customPlanOnly). With the tables small and freshly
// analyzed when they first run (more than the five runs PostgreSQL plans
// a prepared statement for before it weighs a generic plan), they still
// find a few executions, steps, outbox entries, contacts and messages
// through their primary keys once each table holds 20,000 rows of the
// tenant.
//
// Statistics can also be wrong the other way: a bench saw the planner,
// told a tenant had 61 messages when it had 9,000, hash-join a batch of 36
// against all of them (78 ms for one statement). Each statement bounds its
// index scan by the batch's IDs (id = ANY(the IDs)), so even a plan
// without a nested loop (enable_nestloop off, the last round) reads the
// batch's rows and no others.
func TestSendPathStatementsArePlannedAtEachCall(t *testing.T) {
	ctx := context.Background()
	schema := storetest.PostgresSchema(t)
	opts := postgres.Options{Schema: schema, Queue: store.QueueConfig{WorkNone: true}, SystemTokens: storetest.SystemTokens}
	m, err := postgres.Open(ctx, storetest.PostgresURL(), opts)
	require.NoError(t, err)
	require.NoError(t, m.Migrate(ctx))
	require.NoError(t, m.Close())
	url := storetest.PostgresURL()
	if strings.Contains(url, "?") {
		url += "&"
	} else {
		url += "?"
	}
	s, err := postgres.Open(ctx, url+"pool_max_conns=1", opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	tenantID, workflowID := uuid.New(), uuid.New()
	pool := s.Pool()
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return insertTenantWorkflow(ctx, tx, tenantID, workflowID, "plans-"+tenantID.String())
	}))
	addRows := func(n int) (execs, contacts []uuid.UUID) {
		t.Helper()
		rows, err := pool.Query(ctx, `INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, status, context)
SELECT gen_random_uuid(), $1, $2, gen_random_uuid(), 1, 'RUNNING', '{}' FROM generate_series(1, $3::int) RETURNING id`, tenantID, workflowID, n)
		require.NoError(t, err)
		execs, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		require.NoError(t, err)
		rows, err = pool.Query(ctx, "INSERT INTO contacts (tenant_id, id) SELECT $1, gen_random_uuid() FROM generate_series(1, $2::int) RETURNING id", tenantID, n)
		require.NoError(t, err)
		contacts, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		require.NoError(t, err)
		_, err = pool.Exec(ctx, `INSERT INTO messages (tenant_id, id, channel, recipient, status, queued_at)
SELECT $1, gen_random_uuid(), 'email', 'a@example.com', 'queued', now() FROM generate_series(1, $2::int)`, tenantID, n)
		require.NoError(t, err)
		_, err = pool.Exec(ctx, `WITH s AS (
    INSERT INTO workflow_execution_steps (id, tenant_id, execution_id, seq, node_id, node_type, status)
    SELECT gen_random_uuid(), $1, x, 1, 'send', 'email.send', 'RUNNING' FROM unnest($2::uuid[]) AS x
    RETURNING id, execution_id
)
INSERT INTO outbox (id, tenant_id, execution_id, step_id, idempotency_key, kind, status)
SELECT gen_random_uuid(), $1, s.execution_id, s.id, 'bulk:' || s.id, 'email.send', 'PENDING' FROM s`, tenantID, execs)
		require.NoError(t, err)
		return execs, contacts
	}
	execs, contacts := addRows(2)
	_, err = pool.Exec(ctx, "ANALYZE workflow_executions, workflow_execution_steps, outbox, contacts, messages")
	require.NoError(t, err)
	rows, err := pool.Query(ctx, "SELECT id FROM outbox WHERE tenant_id = $1 AND execution_id = ANY($2)", tenantID, execs)
	require.NoError(t, err)
	outboxIDs, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	require.NoError(t, err)
	require.Len(t, outboxIDs, len(execs))

	// round runs the statements once, in one transaction, and returns the
	// rows it read from each table; without nested loops when noNestLoop.
	round := func(noNestLoop bool) map[string]int64 {
		t.Helper()
		tables := []string{"workflow_executions", "workflow_execution_steps", "outbox", "contacts", "messages"}
		reads := map[string]int64{}
		require.NoError(t, s.InTx(ctx, tenantID, func(tx store.Tx) error {
			// PostgreSQL 15's pg_stat_xact_user_tables also counts earlier
			// transactions' reads that the backend has not reported yet
			// (it reports at most once a second): count from here.
			for _, table := range tables {
				seq, idx, err := postgres.TxTableReads(ctx, tx, table)
				require.NoError(t, err)
				reads[table] = -(seq + idx)
			}
			if noNestLoop {
				require.NoError(t, postgres.TxExec(ctx, tx, "SET LOCAL enable_nestloop = off"))
			}
			states, err := tx.ExecutionStates(ctx, tenantID, execs)
			require.NoError(t, err)
			require.Len(t, states, len(execs))
			updates := make([]*store.ExecutionUpdateParams, len(execs))
			for i, id := range execs {
				updates[i] = &store.ExecutionUpdateParams{TenantID: tenantID, ID: id, Status: domain.ExecutionRunning,
					Context: []byte(`{}`), Token: states[i].Token + 1}
			}
			require.NoError(t, tx.ExecutionUpdateMany(ctx, updates))
			steps := make([]*store.StepUpdateParams, len(execs))
			for i, id := range execs {
				steps[i] = &store.StepUpdateParams{TenantID: tenantID, ExecutionID: id, Seq: 1, Status: domain.StepRunning, Attempt: 1}
			}
			require.NoError(t, tx.StepUpdateMany(ctx, steps))
			attempts, err := tx.OutboxAttemptMany(ctx, tenantID, outboxIDs)
			require.NoError(t, err)
			outcomes := make([]*store.OutboxUpdateParams, len(outboxIDs))
			for i, id := range outboxIDs {
				outcomes[i] = &store.OutboxUpdateParams{TenantID: tenantID, ID: id, Status: domain.OutboxPending, Attempts: attempts[i]}
			}
			require.NoError(t, tx.OutboxUpdateMany(ctx, outcomes))
			id := uuid.New()
			require.NoError(t, tx.MessageInsertMany(ctx, []*store.MessageInsertParams{{TenantID: tenantID, ID: id,
				Channel: domain.ChannelEmail, ContactID: &contacts[0], Recipient: "a@example.com"}}))
			require.NoError(t, tx.MessageMarkSentMany(ctx, []*store.MessageMarkSentParams{{TenantID: tenantID, ID: id,
				ProviderMessageID: "<" + id.String() + "@example.com>"}}))
			for _, table := range tables {
				seq, idx, err := postgres.TxTableReads(ctx, tx, table)
				require.NoError(t, err)
				reads[table] += seq + idx
			}
			return nil
		}))
		return reads
	}
	for range 6 {
		round(false)
	}
	addRows(20000)
	for _, noNestLoop := range []bool{false, true} {
		for table, n := range round(noNestLoop) {
			require.Less(t, n, int64(20), "rows of %s read by a round of the send path's statements, at 20,000 rows of the tenant (nested loops off: %v)",
				table, noNestLoop)
		}
	}
	// Each statement is prepared on the connection, and every one of its
	// runs (eight) was planned for its values.
	type plans struct{ generic, custom int64 }
	got := map[string]plans{}
	rows, err = pool.Query(ctx, "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = ANY($1)",
		postgres.SendPathBatchSQL)
	require.NoError(t, err)
	for rows.Next() {
		var sql string
		var p plans
		require.NoError(t, rows.Scan(&sql, &p.generic, &p.custom))
		got[sql] = p
	}
	require.NoError(t, rows.Err())
	for _, sql := range postgres.SendPathBatchSQL {
		p, ok := got[sql]
		require.True(t, ok, "statement not prepared on the store's connection: %.80s", sql)
		require.Zero(t, p.generic, "generic plans of %.80s", sql)
		require.GreaterOrEqual(t, p.custom, int64(8), "plans for the call's values of %.80s", sql)
	}
}
