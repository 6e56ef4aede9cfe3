package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toStep(r dbsqlc.WorkflowExecutionStep) *domain.Step {
	return &domain.Step{
		ID:          r.ID,
		TenantID:    r.TenantID,
		ExecutionID: r.ExecutionID,
		Seq:         int(r.Seq),
		NodeID:      r.NodeID,
		NodeType:    r.NodeType,
		Status:      domain.StepStatus(r.Status),
		Attempt:     int(r.Attempt),
		Input:       rawJSON(r.Input),
		Output:      rawJSON(r.Output),
		Error:       r.Error,
		Handle:      r.Handle,
		StartedAt:   utc(r.StartedAt),
		FinishedAt:  utcPtr(r.FinishedAt),
	}
}

// StepInsert records a node visit. A step whose execution is not the
// tenant's is ErrNotFound (the statement checks it: steps have no foreign
// key, see migration 00007), one that exists already ErrConflict.
func (t *tx) StepInsert(ctx context.Context, p *store.StepInsertParams) (*domain.Step, error) {
	r, err := t.q.StepInsert(ctx, dbsqlc.StepInsertParams{
		ID:          newID(p.ID),
		TenantID:    p.TenantID,
		ExecutionID: p.ExecutionID,
		Seq:         int32(p.Seq),
		NodeID:      p.NodeID,
		NodeType:    p.NodeType,
		Status:      string(p.Status),
		Attempt:     int32(p.Attempt),
		Input:       p.Input,
		Output:      p.Output,
		Error:       p.Error,
		Handle:      p.Handle,
		StartedAt:   p.StartedAt,
		FinishedAt:  p.FinishedAt,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = t.stepsWithoutExecution(ctx, p.TenantID, []uuid.UUID{p.ExecutionID})
	}
	if err != nil {
		return nil, translateInsert(err, "insert step %d of execution %s", p.Seq, p.ExecutionID)
	}
	return toStep(r), nil
}

// stepsWithoutExecution explains why steps of the given executions were
// not all written: store.ErrNotFound when one of the executions is not the
// tenant's, else pgx.ErrNoRows (a step that exists already: a conflict).
func (t *tx) stepsWithoutExecution(ctx context.Context, tenantID uuid.UUID, executionIDs []uuid.UUID) error {
	var missing uuid.UUID
	err := t.tx.QueryRow(ctx, `SELECT x FROM unnest($2::uuid[]) AS x
WHERE NOT EXISTS (SELECT FROM workflow_executions e WHERE e.tenant_id = $1 AND e.id = x) LIMIT 1`,
		tenantID, executionIDs).Scan(&missing)
	if errors.Is(err, pgx.ErrNoRows) {
		return pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("look up executions: %w", err)
	}
	return fmt.Errorf("execution %s: %w", missing, store.ErrNotFound)
}

// StepUpdate records a step's progress or result.
func (t *tx) StepUpdate(ctx context.Context, p *store.StepUpdateParams) error {
	n, err := t.q.StepUpdate(ctx, dbsqlc.StepUpdateParams{
		TenantID:    p.TenantID,
		ExecutionID: p.ExecutionID,
		Seq:         int32(p.Seq),
		Status:      string(p.Status),
		Attempt:     int32(p.Attempt),
		Output:      p.Output,
		Error:       p.Error,
		Handle:      p.Handle,
		FinishedAt:  p.FinishedAt,
	})
	return affected(n, err, "update step %d of execution %s", p.Seq, p.ExecutionID)
}

// StepGet loads the step with sequence number seq of an execution.
func (t *tx) StepGet(ctx context.Context, tenantID, executionID uuid.UUID, seq int) (*domain.Step, error) {
	r, err := t.q.StepGet(ctx, dbsqlc.StepGetParams{TenantID: tenantID, ExecutionID: executionID, Seq: int32(seq)})
	if err != nil {
		return nil, translate(err, "get step %d of execution %s", seq, executionID)
	}
	return toStep(r), nil
}

// StepListByExecution lists an execution's steps in order.
func (t *tx) StepListByExecution(ctx context.Context, tenantID, executionID uuid.UUID) ([]domain.Step, error) {
	rows, err := t.q.StepListByExecution(ctx, dbsqlc.StepListByExecutionParams{TenantID: tenantID, ExecutionID: executionID})
	if err != nil {
		return nil, translate(err, "list steps of execution %s", executionID)
	}
	out := make([]domain.Step, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toStep(r))
	}
	return out, nil
}

// StepCountByNode counts a workflow's step visits per node and status.
func (t *tx) StepCountByNode(ctx context.Context, tenantID, workflowID uuid.UUID) ([]store.NodeCount, error) {
	rows, err := t.q.StepCountByNode(ctx, dbsqlc.StepCountByNodeParams{TenantID: tenantID, WorkflowID: workflowID})
	if err != nil {
		return nil, translate(err, "count steps of workflow %s", workflowID)
	}
	out := make([]store.NodeCount, 0, len(rows))
	for _, r := range rows {
		out = append(out, store.NodeCount{NodeID: r.NodeID, Status: domain.StepStatus(r.Status), Count: int(r.Count)})
	}
	return out, nil
}

// stepInsertManySQL inserts several steps of one tenant in one round trip;
// the arrays are zipped row by row. A step that exists already fails the
// statement (unique violation: ErrConflict). It has no ON CONFLICT clause:
// that made every row a speculative insertion, a probe of the key before
// the row was written and a confirmation record after it (3 WAL records a
// step instead of 2), for a conflict the engine never causes (it numbers
// an execution's steps under the execution's row lock).
const stepInsertManySQL = `INSERT INTO workflow_execution_steps (id, tenant_id, execution_id, seq, node_id, node_type, status,
    attempt, input, output, error, handle, started_at, finished_at)
SELECT u.id, $1, u.execution_id, u.seq, u.node_id, u.node_type, u.status, u.attempt, u.input::json, u.output::json,
    u.error, u.handle, u.started_at, u.finished_at
FROM unnest($2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[],
    $11::text[], $12::text[], $13::timestamptz[], $14::timestamptz[])
    AS u(id, execution_id, seq, node_id, node_type, status, attempt, input, output, error, handle, started_at, finished_at)
    -- The reference check a foreign key would make (see migration 00007):
    -- a row whose execution is not the tenant's is left out. LIMIT keeps
    -- it one index probe per row, whatever the plan.
    CROSS JOIN LATERAL (SELECT FROM workflow_executions e WHERE e.tenant_id = $1 AND e.id = u.execution_id LIMIT 1) AS known`

// StepInsertMany records several node visits of one tenant in one round
// trip (the engine's batch of pure nodes).
func (t *tx) StepInsertMany(ctx context.Context, ps []*store.StepInsertParams) error {
	if len(ps) == 0 {
		return nil
	}
	n := len(ps)
	ids, execs := make([]uuid.UUID, n), make([]uuid.UUID, n)
	seqs, attempts := make([]int32, n), make([]int32, n)
	nodeIDs, nodeTypes, statuses := make([]string, n), make([]string, n), make([]string, n)
	inputs, outputs := make([]*string, n), make([]*string, n)
	errs, handles := make([]string, n), make([]string, n)
	started, finished := make([]time.Time, n), make([]*time.Time, n)
	tenantID := ps[0].TenantID
	if err := store.OneTenant(ps, func(p *store.StepInsertParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("insert steps: %w", err)
	}
	for i, p := range ps {
		ids[i], execs[i] = newID(p.ID), p.ExecutionID
		seqs[i], attempts[i] = int32(p.Seq), int32(p.Attempt)
		nodeIDs[i], nodeTypes[i], statuses[i] = p.NodeID, p.NodeType, string(p.Status)
		inputs[i], outputs[i] = jsonOrNil(p.Input), jsonOrNil(p.Output)
		errs[i], handles[i] = p.Error, p.Handle
		started[i] = p.StartedAt
		if started[i].IsZero() {
			started[i] = time.Now()
		}
		finished[i] = p.FinishedAt
	}
	tag, err := t.tx.Exec(ctx, stepInsertManySQL, tenantID, ids, execs, seqs, nodeIDs, nodeTypes, statuses, attempts,
		inputs, outputs, errs, handles, started, finished)
	if err != nil {
		return translateInsert(err, "insert %d steps of execution %s", n, ps[0].ExecutionID)
	}
	if written := int(tag.RowsAffected()); written != n {
		// Like StepInsert: a step of an execution that is not the tenant's
		// is not found (one that exists already failed the statement).
		if err := t.stepsWithoutExecution(ctx, tenantID, execs); !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("insert %d steps: %w", n, err)
		}
		return fmt.Errorf("insert %d steps of execution %s: %d not written", n, ps[0].ExecutionID, n-written)
	}
	return nil
}

func jsonOrNil(raw json.RawMessage) *string {
	if len(raw) == 0 {
		return nil
	}
	s := string(raw)
	return &s
}

// stepUpdateManySQL writes the outcome of several steps of one tenant in
// one round trip; the arrays are zipped row by row.
const stepUpdateManySQL = `UPDATE workflow_execution_steps AS s
SET status = u.status, attempt = u.attempt, output = u.output::json, error = u.error, handle = u.handle,
    finished_at = u.finished_at
FROM unnest($2::uuid[], $3::int[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
    AS u(execution_id, seq, status, attempt, output, error, handle, finished_at)
WHERE s.tenant_id = $1 AND s.execution_id = ANY($2::uuid[]) AND s.execution_id = u.execution_id AND s.seq = u.seq AND ` + customPlanOnly

// StepUpdateMany records the outcome of several steps of one tenant in one
// round trip; a step that does not exist is store.ErrNotFound.
func (t *tx) StepUpdateMany(ctx context.Context, ps []*store.StepUpdateParams) error {
	n := len(ps)
	if n == 0 {
		return nil
	}
	execs, seqs, attempts := make([]uuid.UUID, n), make([]int32, n), make([]int32, n)
	statuses, errs, handles := make([]string, n), make([]string, n), make([]string, n)
	outputs, finished := make([]*string, n), make([]*time.Time, n)
	tenantID := ps[0].TenantID
	if err := store.OneTenant(ps, func(p *store.StepUpdateParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("update steps: %w", err)
	}
	for i, p := range ps {
		execs[i], seqs[i], statuses[i], attempts[i] = p.ExecutionID, int32(p.Seq), string(p.Status), int32(p.Attempt)
		outputs[i], errs[i], handles[i], finished[i] = jsonOrNil(p.Output), p.Error, p.Handle, p.FinishedAt
	}
	tag, err := t.tx.Exec(ctx, stepUpdateManySQL, tenantID, execs, seqs, statuses, attempts, outputs, errs, handles, finished)
	if err != nil {
		return translate(err, "update %d steps", n)
	}
	if int(tag.RowsAffected()) != n {
		return fmt.Errorf("update %d steps: %d not found: %w", n, n-int(tag.RowsAffected()), store.ErrNotFound)
	}
	return nil
}
