package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toExecution(r dbsqlc.WorkflowExecution) *domain.Execution {
	return &domain.Execution{
		ID:             r.ID,
		TenantID:       r.TenantID,
		WorkflowID:     r.WorkflowID,
		VersionID:      r.VersionID,
		Version:        int(r.Version),
		Status:         domain.ExecutionStatus(r.Status),
		ContactID:      r.ContactID,
		TriggerType:    r.TriggerType,
		Context:        rawJSON(r.Context),
		CurrentNodeID:  r.CurrentNodeID,
		Token:          r.Token,
		StepCount:      int(r.StepCount),
		Error:          r.Error,
		IdempotencyKey: r.IdempotencyKey,
		CreatedAt:      utc(r.CreatedAt),
		UpdatedAt:      utc(r.UpdatedAt),
		StartedAt:      utcPtr(r.StartedAt),
		FinishedAt:     utcPtr(r.FinishedAt),
		WakeAt:         utcPtr(r.WakeAt),
	}
}

// ExecutionInsert creates an execution; a used idempotency key is
// store.ErrConflict.
func (t *tx) ExecutionInsert(ctx context.Context, p *store.ExecutionInsertParams) (*domain.Execution, error) {
	r, err := t.q.ExecutionInsert(ctx, dbsqlc.ExecutionInsertParams{
		ID:             newID(p.ID),
		TenantID:       p.TenantID,
		WorkflowID:     p.WorkflowID,
		VersionID:      p.VersionID,
		Version:        int32(p.Version),
		Status:         string(p.Status),
		ContactID:      p.ContactID,
		TriggerType:    p.TriggerType,
		Context:        jsonOrEmpty(p.Context),
		CurrentNodeID:  p.CurrentNodeID,
		IdempotencyKey: p.IdempotencyKey,
		Token:          p.Token,
		StepCount:      int32(p.StepCount),
		Error:          p.Error,
		StartedAt:      p.StartedAt,
		FinishedAt:     p.FinishedAt,
		WakeAt:         p.WakeAt,
	})
	if err != nil {
		return nil, translateInsert(err, "insert execution of workflow %s", p.WorkflowID)
	}
	return toExecution(r), nil
}

// ExecutionGetByID loads an execution.
func (t *tx) ExecutionGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Execution, error) {
	r, err := t.q.ExecutionGetByID(ctx, dbsqlc.ExecutionGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "get execution %s", id)
	}
	return toExecution(r), nil
}

// ExecutionGetByIdempotencyKey loads the execution started with key.
func (t *tx) ExecutionGetByIdempotencyKey(ctx context.Context, tenantID uuid.UUID, key string) (*domain.Execution, error) {
	r, err := t.q.ExecutionGetByIdempotencyKey(ctx, dbsqlc.ExecutionGetByIdempotencyKeyParams{TenantID: tenantID, IdempotencyKey: key})
	if err != nil {
		return nil, translate(err, "get execution by idempotency key %q", key)
	}
	return toExecution(r), nil
}

// ExecutionLock reads an execution with SELECT … FOR UPDATE: the row stays
// locked until the transaction ends.
func (t *tx) ExecutionLock(ctx context.Context, tenantID, id uuid.UUID) (*domain.Execution, error) {
	r, err := t.q.ExecutionLock(ctx, dbsqlc.ExecutionLockParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "lock execution %s", id)
	}
	return toExecution(r), nil
}

// ExecutionUpdate writes the mutable state of an execution.
func (t *tx) ExecutionUpdate(ctx context.Context, p *store.ExecutionUpdateParams) error {
	n, err := t.q.ExecutionUpdate(ctx, dbsqlc.ExecutionUpdateParams{
		TenantID:      p.TenantID,
		ID:            p.ID,
		Status:        string(p.Status),
		Context:       jsonOrEmpty(p.Context),
		CurrentNodeID: p.CurrentNodeID,
		Token:         p.Token,
		StepCount:     int32(p.StepCount),
		Error:         p.Error,
		StartedAt:     p.StartedAt,
		FinishedAt:    p.FinishedAt,
		WakeAt:        p.WakeAt,
	})
	return affected(n, err, "update execution %s", p.ID)
}

// wakeupClaimMax bounds one ExecutionClaimWakeups.
const wakeupClaimMax = 10000

// ExecutionClaimWakeups takes up to n timers of every tenant due at
// before off their rows, earliest first, skipping rows another transaction
// holds (FOR UPDATE SKIP LOCKED), and returns them ordered by At. Across
// tenants only in a system transaction (row-level security).
func (t *tx) ExecutionClaimWakeups(ctx context.Context, before time.Time, n int) ([]store.Wakeup, error) {
	at := before.UTC()
	rows, err := t.q.ExecutionClaimWakeups(ctx, dbsqlc.ExecutionClaimWakeupsParams{
		Before: at, MaxRows: limit(n, wakeupClaimMax, wakeupClaimMax),
	})
	if err != nil {
		return nil, translate(err, "claim wakeups due at %s", at.Format(time.RFC3339Nano))
	}
	out := make([]store.Wakeup, len(rows))
	for i, r := range rows {
		out[i] = store.Wakeup{TenantID: r.TenantID, ExecutionID: r.ID, Token: r.Token, At: utc(r.WakeAt)}
	}
	// UPDATE … RETURNING yields rows in no particular order.
	slices.SortFunc(out, func(a, b store.Wakeup) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return bytes.Compare(a.ExecutionID[:], b.ExecutionID[:])
	})
	return out, nil
}

// ExecutionList filters and pages a tenant's executions, newest first.
func (t *tx) ExecutionList(ctx context.Context, p *store.ExecutionListParams) ([]domain.Execution, error) {
	statuses := make([]string, 0, len(p.Status))
	for _, s := range p.Status {
		statuses = append(statuses, string(s))
	}
	rows, err := t.q.ExecutionList(ctx, dbsqlc.ExecutionListParams{
		TenantID:      p.TenantID,
		WorkflowID:    p.WorkflowID,
		Statuses:      statuses,
		ContactID:     p.ContactID,
		CreatedAfter:  p.CreatedAfter,
		CreatedBefore: p.CreatedBefore,
		Before:        before(p.Before),
		MaxRows:       limit(p.Limit, pageDefault, pageMax),
	})
	if err != nil {
		return nil, translate(err, "list executions of tenant %s", p.TenantID)
	}
	out := make([]domain.Execution, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toExecution(r))
	}
	return out, nil
}

// ExecutionCountByStatus counts a workflow's executions per status.
func (t *tx) ExecutionCountByStatus(ctx context.Context, tenantID, workflowID uuid.UUID) (map[domain.ExecutionStatus]int, error) {
	rows, err := t.q.ExecutionCountByStatus(ctx, dbsqlc.ExecutionCountByStatusParams{TenantID: tenantID, WorkflowID: workflowID})
	if err != nil {
		return nil, translate(err, "count executions of workflow %s", workflowID)
	}
	out := make(map[domain.ExecutionStatus]int, len(rows))
	for _, r := range rows {
		out[domain.ExecutionStatus(r.Status)] = int(r.Count)
	}
	return out, nil
}

// ExecutionListActiveIDsByWorkflow returns IDs of a workflow's
// non-terminal executions.
func (t *tx) ExecutionListActiveIDsByWorkflow(ctx context.Context, tenantID, workflowID uuid.UUID, n int) ([]uuid.UUID, error) {
	ids, err := t.q.ExecutionListActiveIDsByWorkflow(ctx, dbsqlc.ExecutionListActiveIDsByWorkflowParams{
		TenantID:   tenantID,
		WorkflowID: workflowID,
		MaxRows:    limit(n, bulkDefault, bulkMax),
	})
	if err != nil {
		return nil, translate(err, "list active executions of workflow %s", workflowID)
	}
	return ids, nil
}

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

func toOutbox(r dbsqlc.Outbox) *domain.OutboxEntry {
	return &domain.OutboxEntry{
		ID:             r.ID,
		TenantID:       r.TenantID,
		ExecutionID:    r.ExecutionID,
		StepID:         r.StepID,
		IdempotencyKey: r.IdempotencyKey,
		Kind:           r.Kind,
		Status:         domain.OutboxStatus(r.Status),
		Attempts:       int(r.Attempts),
		AttemptedAt:    utcPtr(r.AttemptedAt),
		Request:        rawJSON(r.Request),
		Response:       rawJSON(r.Response),
		Error:          r.Error,
		CreatedAt:      utc(r.CreatedAt),
		UpdatedAt:      utc(r.UpdatedAt),
	}
}

// OutboxInsert records a side effect before it is performed; an existing
// key returns the existing entry and created=false.
func (t *tx) OutboxInsert(ctx context.Context, p *store.OutboxInsertParams) (*domain.OutboxEntry, bool, error) {
	r, err := t.q.OutboxInsert(ctx, dbsqlc.OutboxInsertParams{
		ID:             newID(p.ID),
		TenantID:       p.TenantID,
		ExecutionID:    p.ExecutionID,
		StepID:         p.StepID,
		IdempotencyKey: p.IdempotencyKey,
		Kind:           p.Kind,
		Request:        store.StorableJSON(p.Request),
	})
	if err == nil {
		return toOutbox(r), true, nil
	}
	err = translate(err, "insert outbox entry %q", p.IdempotencyKey)
	if !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	// ON CONFLICT DO NOTHING returned no row: the key is taken.
	e, err := t.OutboxGetByKey(ctx, p.TenantID, p.IdempotencyKey)
	if err != nil {
		return nil, false, err
	}
	return e, false, nil
}

// OutboxGetByKey loads an outbox entry by its idempotency key.
func (t *tx) OutboxGetByKey(ctx context.Context, tenantID uuid.UUID, key string) (*domain.OutboxEntry, error) {
	r, err := t.q.OutboxGetByKey(ctx, dbsqlc.OutboxGetByKeyParams{TenantID: tenantID, IdempotencyKey: key})
	if err != nil {
		return nil, translate(err, "get outbox entry %q", key)
	}
	return toOutbox(r), nil
}

// OutboxUpdate records a side effect's result.
func (t *tx) OutboxUpdate(ctx context.Context, p *store.OutboxUpdateParams) error {
	n, err := t.q.OutboxUpdate(ctx, dbsqlc.OutboxUpdateParams{
		TenantID: p.TenantID,
		ID:       p.ID,
		Status:   string(p.Status),
		Attempts: int32(p.Attempts),
		Response: store.StorableJSON(p.Response),
		Error:    store.StorableText(p.Error),
	})
	return affected(n, err, "update outbox entry %s", p.ID)
}

func toWait(r dbsqlc.Wait) *domain.Wait {
	return &domain.Wait{
		ID:               r.ID,
		TenantID:         r.TenantID,
		ExecutionID:      r.ExecutionID,
		NodeID:           r.NodeID,
		Token:            r.Token,
		EventName:        r.EventName,
		ContactID:        r.ContactID,
		CorrelationValue: r.CorrelationValue,
		ExpiresAt:        utcPtr(r.ExpiresAt),
		CreatedAt:        utc(r.CreatedAt),
	}
}

// WaitInsert registers a wait for an event.
func (t *tx) WaitInsert(ctx context.Context, p *store.WaitInsertParams) (*domain.Wait, error) {
	r, err := t.q.WaitInsert(ctx, dbsqlc.WaitInsertParams{
		ID:               newID(p.ID),
		TenantID:         p.TenantID,
		ExecutionID:      p.ExecutionID,
		NodeID:           p.NodeID,
		Token:            p.Token,
		EventName:        p.EventName,
		ContactID:        p.ContactID,
		CorrelationValue: p.CorrelationValue,
		ExpiresAt:        p.ExpiresAt,
	})
	if err != nil {
		return nil, translateInsert(err, "insert wait of execution %s", p.ExecutionID)
	}
	return toWait(r), nil
}

// WaitListByEvent returns the waits an event resumes.
func (t *tx) WaitListByEvent(ctx context.Context, p *store.WaitListByEventParams) ([]domain.Wait, error) {
	rows, err := t.q.WaitListByEvent(ctx, dbsqlc.WaitListByEventParams{
		TenantID:         p.TenantID,
		EventName:        p.EventName,
		ContactID:        p.ContactID,
		CorrelationValue: p.CorrelationValue,
		MaxRows:          limit(p.Limit, bulkDefault, bulkMax),
	})
	if err != nil {
		return nil, translate(err, "list waits for event %q", p.EventName)
	}
	out := make([]domain.Wait, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toWait(r))
	}
	return out, nil
}

// WaitDeleteByExecution deletes an execution's waits (none is not an
// error).
func (t *tx) WaitDeleteByExecution(ctx context.Context, tenantID, executionID uuid.UUID) error {
	_, err := t.q.WaitDeleteByExecution(ctx, dbsqlc.WaitDeleteByExecutionParams{TenantID: tenantID, ExecutionID: executionID})
	return translate(err, "delete waits of execution %s", executionID)
}

func toCronJob(r dbsqlc.CronJob) *domain.CronJob {
	return &domain.CronJob{
		ID:         r.ID,
		TenantID:   r.TenantID,
		WorkflowID: r.WorkflowID,
		NodeID:     r.NodeID,
		Schedule:   r.Schedule,
		Timezone:   r.Timezone,
		MissedRuns: r.MissedRuns,
		IsActive:   r.IsActive,
		LastRunAt:  utcPtr(r.LastRunAt),
		NextRunAt:  utcPtr(r.NextRunAt),
		CreatedAt:  utc(r.CreatedAt),
		UpdatedAt:  utc(r.UpdatedAt),
	}
}

func toCronJobs(rows []dbsqlc.CronJob) []domain.CronJob {
	out := make([]domain.CronJob, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toCronJob(r))
	}
	return out
}

// CronJobUpsert creates or replaces the schedule of a workflow's trigger
// node.
func (t *tx) CronJobUpsert(ctx context.Context, p *store.CronJobUpsertParams) (*domain.CronJob, error) {
	r, err := t.q.CronJobUpsert(ctx, dbsqlc.CronJobUpsertParams{
		ID:         newID(p.ID),
		TenantID:   p.TenantID,
		WorkflowID: p.WorkflowID,
		NodeID:     p.NodeID,
		Schedule:   p.Schedule,
		Timezone:   p.Timezone,
		MissedRuns: p.MissedRuns,
		IsActive:   p.IsActive,
		NextRunAt:  p.NextRunAt,
	})
	if err != nil {
		return nil, translate(err, "upsert schedule of workflow %s node %s", p.WorkflowID, p.NodeID)
	}
	return toCronJob(r), nil
}

// CronJobGetByID loads a schedule.
func (t *tx) CronJobGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.CronJob, error) {
	r, err := t.q.CronJobGetByID(ctx, dbsqlc.CronJobGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "get schedule %s", id)
	}
	return toCronJob(r), nil
}

// CronJobList lists a tenant's schedules.
func (t *tx) CronJobList(ctx context.Context, tenantID uuid.UUID) ([]domain.CronJob, error) {
	rows, err := t.q.CronJobList(ctx, tenantID)
	if err != nil {
		return nil, translate(err, "list schedules of tenant %s", tenantID)
	}
	return toCronJobs(rows), nil
}

// CronJobListByWorkflow lists a workflow's schedules.
func (t *tx) CronJobListByWorkflow(ctx context.Context, tenantID, workflowID uuid.UUID) ([]domain.CronJob, error) {
	rows, err := t.q.CronJobListByWorkflow(ctx, dbsqlc.CronJobListByWorkflowParams{TenantID: tenantID, WorkflowID: workflowID})
	if err != nil {
		return nil, translate(err, "list schedules of workflow %s", workflowID)
	}
	return toCronJobs(rows), nil
}

// CronJobUpdate updates a schedule's state.
func (t *tx) CronJobUpdate(ctx context.Context, p *store.CronJobUpdateParams) (*domain.CronJob, error) {
	r, err := t.q.CronJobUpdate(ctx, dbsqlc.CronJobUpdateParams{
		TenantID:   p.TenantID,
		ID:         p.ID,
		Schedule:   p.Schedule,
		Timezone:   p.Timezone,
		MissedRuns: p.MissedRuns,
		IsActive:   p.IsActive,
		LastRunAt:  p.LastRunAt,
		NextRunAt:  p.NextRunAt,
	})
	if err != nil {
		return nil, translate(err, "update schedule %s", p.ID)
	}
	return toCronJob(r), nil
}

// CronJobDelete deletes a schedule.
func (t *tx) CronJobDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.CronJobDelete(ctx, dbsqlc.CronJobDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete schedule %s", id)
}

// stepInsertManySQL inserts several steps of one tenant in one round trip;
// the arrays are zipped row by row.
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
    CROSS JOIN LATERAL (SELECT FROM workflow_executions e WHERE e.tenant_id = $1 AND e.id = u.execution_id LIMIT 1) AS known
ON CONFLICT DO NOTHING`

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
		// is not found, one that exists already is a conflict.
		if err := t.stepsWithoutExecution(ctx, tenantID, execs); !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("insert %d steps: %w", n, err)
		}
		return fmt.Errorf("insert %d steps of execution %s: %d existed: %w", n, ps[0].ExecutionID, n-written, store.ErrConflict)
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

// executionInsertManySQL inserts several executions of one tenant in one
// round trip; the arrays are zipped row by row. A row whose idempotency
// key is taken (by an earlier execution or an earlier row of the batch) is
// skipped; RETURNING names the rows written.
const executionInsertManySQL = `INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, status,
    contact_id, trigger_type, context, current_node_id, idempotency_key, created_at, updated_at,
    token, step_count, error, started_at, finished_at, wake_at)
SELECT u.id, $1, u.workflow_id, u.version_id, u.version, u.status, u.contact_id, u.trigger_type, u.context::json,
    u.current_node_id, u.idempotency_key, $12, $12, u.token, u.step_count, u.error, u.started_at, u.finished_at, u.wake_at
FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::text[], $7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[],
    $13::bigint[], $14::int[], $15::text[], $16::timestamptz[], $17::timestamptz[], $18::timestamptz[])
    AS u(id, workflow_id, version_id, version, status, contact_id, trigger_type, context, current_node_id, idempotency_key,
    token, step_count, error, started_at, finished_at, wake_at)
ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key <> '' DO NOTHING
RETURNING id`

// ExecutionInsertMany creates several executions of one tenant in one round
// trip (the engine's bulk start). The result is in the order of ps, nil
// where the execution's idempotency key was already used (the caller looks
// the existing one up).
func (t *tx) ExecutionInsertMany(ctx context.Context, ps []*store.ExecutionInsertParams) ([]*domain.Execution, error) {
	n := len(ps)
	if n == 0 {
		return nil, nil
	}
	ids, workflows, versionIDs := make([]uuid.UUID, n), make([]uuid.UUID, n), make([]uuid.UUID, n)
	versions := make([]int32, n)
	statuses, triggers, contexts, nodes, keys := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	contacts := make([]*uuid.UUID, n)
	tokens, counts, errs := make([]int64, n), make([]int32, n), make([]string, n)
	started, finished, wakes := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
	tenantID := ps[0].TenantID
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := store.OneTenant(ps, func(p *store.ExecutionInsertParams) uuid.UUID { return p.TenantID }); err != nil {
		return nil, fmt.Errorf("insert executions: %w", err)
	}
	for i, p := range ps {
		ids[i], workflows[i], versionIDs[i] = newID(p.ID), p.WorkflowID, p.VersionID
		versions[i], statuses[i], contacts[i] = int32(p.Version), string(p.Status), p.ContactID
		triggers[i], contexts[i], nodes[i], keys[i] = p.TriggerType, string(jsonOrEmpty(p.Context)), p.CurrentNodeID, p.IdempotencyKey
		tokens[i], counts[i], errs[i], started[i], finished[i] = p.Token, int32(p.StepCount), p.Error, microPtr(p.StartedAt), microPtr(p.FinishedAt)
		wakes[i] = microPtr(p.WakeAt)
	}
	rows, err := t.tx.Query(ctx, executionInsertManySQL, tenantID, ids, workflows, versionIDs, versions, statuses,
		contacts, triggers, contexts, nodes, keys, now, tokens, counts, errs, started, finished, wakes)
	if err != nil {
		return nil, translateInsert(err, "insert %d executions of workflow %s", n, ps[0].WorkflowID)
	}
	written, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, translateInsert(err, "insert %d executions of workflow %s", n, ps[0].WorkflowID)
	}
	inserted := make(map[uuid.UUID]bool, len(written))
	for _, id := range written {
		inserted[id] = true
	}
	out := make([]*domain.Execution, n)
	for i, p := range ps {
		if !inserted[ids[i]] {
			continue
		}
		out[i] = &domain.Execution{
			ID: ids[i], TenantID: tenantID, WorkflowID: p.WorkflowID, VersionID: p.VersionID, Version: p.Version,
			Status: p.Status, ContactID: p.ContactID, TriggerType: p.TriggerType, Context: jsonOrEmpty(p.Context),
			CurrentNodeID: p.CurrentNodeID, IdempotencyKey: p.IdempotencyKey, CreatedAt: now, UpdatedAt: now,
			Token: p.Token, StepCount: p.StepCount, Error: p.Error, StartedAt: started[i], FinishedAt: finished[i],
			WakeAt: wakes[i],
		}
	}
	return out, nil
}

// ExecutionLockMany locks several executions of one tenant, in ID order
// (so two batches never wait on each other in a cycle), and returns those
// that exist.
func (t *tx) ExecutionLockMany(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) ([]*domain.Execution, error) {
	rows, err := t.q.ExecutionLockMany(ctx, dbsqlc.ExecutionLockManyParams{TenantID: tenantID, Ids: ids})
	if err != nil {
		return nil, translate(err, "lock %d executions", len(ids))
	}
	out := make([]*domain.Execution, len(rows))
	for i, r := range rows {
		out[i] = toExecution(r)
	}
	return out, nil
}

// executionUpdateManySQL writes the state of several executions of one
// tenant in one round trip; the arrays are zipped row by row.
const executionUpdateManySQL = `UPDATE workflow_executions AS e
SET status = u.status, context = u.context::json, current_node_id = u.current_node_id, token = u.token,
    step_count = u.step_count, error = u.error, started_at = u.started_at, finished_at = u.finished_at,
    wake_at = u.wake_at, updated_at = clock_timestamp()
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::int[], $8::text[],
    $9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
    AS u(id, status, context, current_node_id, token, step_count, error, started_at, finished_at, wake_at)
WHERE e.tenant_id = $1 AND e.id = u.id`

// ExecutionUpdateMany writes the state of several executions of one tenant
// in one round trip; an execution that does not exist is store.ErrNotFound.
func (t *tx) ExecutionUpdateMany(ctx context.Context, ps []*store.ExecutionUpdateParams) error {
	n := len(ps)
	if n == 0 {
		return nil
	}
	ids := make([]uuid.UUID, n)
	statuses, contexts, nodes, errs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	tokens, counts := make([]int64, n), make([]int32, n)
	started, finished, wakes := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
	tenantID := ps[0].TenantID
	if err := store.OneTenant(ps, func(p *store.ExecutionUpdateParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("update executions: %w", err)
	}
	for i, p := range ps {
		ids[i], statuses[i], contexts[i], nodes[i], errs[i] = p.ID, string(p.Status), string(jsonOrEmpty(p.Context)), p.CurrentNodeID, p.Error
		tokens[i], counts[i] = p.Token, int32(p.StepCount)
		started[i], finished[i], wakes[i] = p.StartedAt, p.FinishedAt, microPtr(p.WakeAt)
	}
	// Planned on each call (an unnamed statement), with the arrays' real
	// length: a cached generic plan made while the table was small may
	// hash-join the arrays against every row of the tenant.
	tag, err := t.tx.Exec(ctx, executionUpdateManySQL, pgx.QueryExecModeDescribeExec, tenantID, ids, statuses, contexts, nodes, tokens, counts, errs, started, finished, wakes)
	if err != nil {
		return translate(err, "update %d executions", n)
	}
	if int(tag.RowsAffected()) != n {
		return fmt.Errorf("update %d executions: %d not found: %w", n, n-int(tag.RowsAffected()), store.ErrNotFound)
	}
	return nil
}

// stepUpdateManySQL writes the outcome of several steps of one tenant in
// one round trip; the arrays are zipped row by row.
const stepUpdateManySQL = `UPDATE workflow_execution_steps AS s
SET status = u.status, attempt = u.attempt, output = u.output::json, error = u.error, handle = u.handle,
    finished_at = u.finished_at
FROM unnest($2::uuid[], $3::int[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
    AS u(execution_id, seq, status, attempt, output, error, handle, finished_at)
WHERE s.tenant_id = $1 AND s.execution_id = u.execution_id AND s.seq = u.seq`

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
	// Planned on each call, as ExecutionUpdateMany.
	tag, err := t.tx.Exec(ctx, stepUpdateManySQL, pgx.QueryExecModeDescribeExec, tenantID, execs, seqs, statuses, attempts, outputs, errs, handles, finished)
	if err != nil {
		return translate(err, "update %d steps", n)
	}
	if int(tag.RowsAffected()) != n {
		return fmt.Errorf("update %d steps: %d not found: %w", n, n-int(tag.RowsAffected()), store.ErrNotFound)
	}
	return nil
}
