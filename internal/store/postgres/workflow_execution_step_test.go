package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// Completing steps writes no index entry: the split indexes name no column
// a completion changes (status, handle, finished_at, output, error) and part
// of each page is kept free (migration 00044), so each step's new version
// stays on its page. Before, every completion wrote a new entry into each
// index of the steps table. The steps are written as the engine writes
// them: per execution a trigger and a split step complete, and an effect's
// step running, completed or failed (error handle) by the update.
func TestStepCompletionsAreHOTUpdates(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, workflowID := uuid.New(), uuid.New()
	const executions = 16
	input := `{"to":"ana@example.com","subject":"` + strings.Repeat("Welcome ", 16) + `"}`
	output := `{"messageId":"` + uuid.NewString() + `","response":"250 2.0.0 Ok: queued"}`
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if err := insertTenantWorkflow(ctx, tx, tenantID, workflowID, "hot-steps"); err != nil {
			return err
		}
		now := time.Now().UTC()
		var ids, execs []uuid.UUID
		var seqs, attempts []int32
		var nodeIDs, nodeTypes, statuses, errs, handles []string
		var inputs, outputs []*string
		var started []time.Time
		var finished []*time.Time
		add := func(exec uuid.UUID, seq int32, nodeType, status, handle string, in *string, done *time.Time) {
			ids, execs, seqs, attempts = append(ids, uuid.New()), append(execs, exec), append(seqs, seq), append(attempts, 1)
			nodeIDs, nodeTypes, statuses = append(nodeIDs, nodeType), append(nodeTypes, nodeType), append(statuses, status)
			errs, handles, inputs, outputs = append(errs, ""), append(handles, handle), append(inputs, in), append(outputs, nil)
			started, finished = append(started, now), append(finished, done)
		}
		running := make([]uuid.UUID, executions)
		for i := range running {
			running[i] = uuid.New()
			if _, err := tx.Exec(ctx, `INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, status, context)
VALUES ($1, $2, $3, $3, 1, 'RUNNING', '{}')`, running[i], tenantID, workflowID); err != nil {
				return err
			}
			add(running[i], 1, "trigger.manual", "COMPLETED", "", nil, &now)
			add(running[i], 2, "split", "COMPLETED", "A", nil, &now)
			add(running[i], 3, "email.send", "RUNNING", "", &input, nil)
		}
		if _, err := tx.Exec(ctx, postgres.StepInsertManySQL, tenantID, ids, execs, seqs, nodeIDs, nodeTypes, statuses, attempts,
			inputs, outputs, errs, handles, started, finished); err != nil {
			return err
		}
		// Half complete, half fail along their error handle.
		upSeqs, upStatuses, upAttempts := make([]int32, executions), make([]string, executions), make([]int32, executions)
		upOutputs, upErrs, upHandles := make([]*string, executions), make([]string, executions), make([]string, executions)
		upFinished := make([]time.Time, executions)
		for i := range running {
			upSeqs[i], upStatuses[i], upAttempts[i], upOutputs[i], upFinished[i] = 3, "COMPLETED", 1, &output, now.Add(time.Second)
			if i%2 == 1 {
				upStatuses[i], upErrs[i], upHandles[i] = "FAILED", "550 mailbox unavailable", "error"
			}
		}
		if _, err := tx.Exec(ctx, postgres.StepUpdateManySQL, tenantID, running, upSeqs, upStatuses, upAttempts, upOutputs,
			upErrs, upHandles, upFinished); err != nil {
			return err
		}
		var updates, hot int64
		require.NoError(t, tx.QueryRow(ctx, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables
WHERE relid = 'workflow_execution_steps'::regclass`).Scan(&updates, &hot))
		require.EqualValues(t, executions, updates)
		require.EqualValues(t, executions, hot, "completing a step touches no index of the steps table")
		return nil
	})
	require.NoError(t, err)
}

// explainWAL runs sql under EXPLAIN (ANALYZE, WAL) and returns the WAL
// records it wrote.
func explainWAL(t *testing.T, ctx context.Context, tx pgx.Tx, sql string, args ...any) int64 {
	t.Helper()
	var plan []struct {
		Plan struct {
			WALRecords int64 `json:"WAL Records"`
		}
	}
	require.NoError(t, tx.QueryRow(ctx, "EXPLAIN (ANALYZE, WAL, FORMAT JSON) "+sql, args...).Scan(&plan))
	require.Len(t, plan, 1)
	return plan[0].Plan.WALRecords
}

// A start's executions (when none has an idempotency key) and steps are
// plain inserts: no ON CONFLICT clause, so no row is a speculative
// insertion (a probe of the arbiter index before the row, a confirmation
// record after it). Counted by EXPLAIN (ANALYZE, WAL) in one transaction:
// an execution writes one record fewer than through the statement with the
// idempotency key's ON CONFLICT, and a step about two (its row and its
// key) where it wrote three.
func TestStartInsertsAreNotSpeculative(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, workflowID := uuid.New(), uuid.New()
	const n = 64
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if err := insertTenantWorkflow(ctx, tx, tenantID, workflowID, "wal-starts"); err != nil {
			return err
		}
		now := time.Now().UTC()
		insertExecutions := func(sql string) ([]uuid.UUID, int64) {
			ids, workflows, versions := make([]uuid.UUID, n), make([]uuid.UUID, n), make([]int32, n)
			statuses, contacts := make([]string, n), make([]*uuid.UUID, n)
			triggers, contexts, nodes, keys := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			tokens, counts, errs := make([]int64, n), make([]int32, n), make([]string, n)
			started, finished, wakes, callNodes := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n), make([]string, n)
			for i := range ids {
				ids[i], workflows[i], versions[i], statuses[i] = uuid.New(), workflowID, 1, "COMPLETED"
				triggers[i], contexts[i], nodes[i], counts[i] = "event", `{"trigger":{}}`, "done", 2
				started[i], finished[i] = &now, &now
			}
			return ids, explainWAL(t, ctx, tx, sql, tenantID, ids, workflows, workflows, versions, statuses, contacts,
				triggers, contexts, nodes, keys, now, tokens, counts, errs, started, finished, wakes, callNodes)
		}
		_, keyed := insertExecutions(postgres.ExecutionInsertManySQL)
		execs, keyless := insertExecutions(postgres.ExecutionInsertManyKeylessSQL)
		require.LessOrEqual(t, keyless, keyed-n, "a keyless execution insert is not speculative (%d records against %d for %d executions)", keyless, keyed, n)

		ids, stepExecs := make([]uuid.UUID, 2*n), make([]uuid.UUID, 2*n)
		seqs, attempts := make([]int32, 2*n), make([]int32, 2*n)
		nodeIDs, nodeTypes, statuses, errs, handles := make([]string, 2*n), make([]string, 2*n), make([]string, 2*n), make([]string, 2*n), make([]string, 2*n)
		inputs, outputs := make([]*string, 2*n), make([]*string, 2*n)
		started, finished := make([]time.Time, 2*n), make([]*time.Time, 2*n)
		for i := range ids {
			ids[i], stepExecs[i], seqs[i], attempts[i] = uuid.New(), execs[i/2], int32(i%2+1), 1
			nodeIDs[i], nodeTypes[i], statuses[i] = "start", "trigger.event", "COMPLETED"
			if i%2 == 1 {
				nodeIDs[i], nodeTypes[i] = "done", "end"
			}
			started[i], finished[i] = now, &now
		}
		records := explainWAL(t, ctx, tx, postgres.StepInsertManySQL, tenantID, ids, stepExecs, seqs, nodeIDs, nodeTypes,
			statuses, attempts, inputs, outputs, errs, handles, started, finished)
		t.Logf("WAL records: %d executions %d keyed, %d keyless; %d steps %d", n, keyed, keyless, 2*n, records)
		// Two a step, and a few more for the index's first pages.
		require.Less(t, records, int64(2*n)*5/2, "a step insert is not speculative (%d records for %d steps)", records, 2*n)
		return nil
	})
	require.NoError(t, err)
}
