package postgres

import (
	"bytes"
	"context"
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
		Test:           r.Test,
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
		CallNode:       callNode(p.CallNode),
	})
	if err != nil {
		return nil, translateInsert(err, "insert execution of workflow %s", p.WorkflowID)
	}
	return toExecution(r), nil
}

// callNode is the call_node of an insert: NULL for none.
func callNode(node string) *string {
	if node == "" {
		return nil
	}
	return &node
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
// before (calls' recovery times due at callsBefore) off their rows,
// earliest first, skipping rows another transaction holds (FOR UPDATE SKIP
// LOCKED), and returns them ordered by At. Across tenants only in a system
// transaction (row-level security).
func (t *tx) ExecutionClaimWakeups(ctx context.Context, before, callsBefore time.Time, n int) ([]store.Wakeup, error) {
	at := before.UTC()
	rows, err := t.q.ExecutionClaimWakeups(ctx, dbsqlc.ExecutionClaimWakeupsParams{
		Before: at, CallsBefore: callsBefore.UTC(), MaxRows: limit(n, wakeupClaimMax, wakeupClaimMax),
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

// ExecutionRecoverCalls moves the recovery time of a dead node's calls
// after start to p.At and their token on (store.Tx).
func (t *tx) ExecutionRecoverCalls(ctx context.Context, p *store.ExecutionRecoverCallsParams) (int, error) {
	n, err := t.q.ExecutionRecoverCalls(ctx, dbsqlc.ExecutionRecoverCallsParams{
		At: p.At.UTC(), Before: p.Before.UTC(), CallNode: p.NodeID,
	})
	if err != nil {
		return 0, translate(err, "recover the calls of node %s", p.NodeID)
	}
	return int(n), nil
}

// ExecutionList filters and pages a tenant's executions, newest first.
func (t *tx) ExecutionList(ctx context.Context, p *store.ExecutionListParams) ([]domain.Execution, error) {
	statuses := make([]string, 0, len(p.Status))
	for _, s := range p.Status {
		statuses = append(statuses, string(s))
	}
	var nodeID *string
	nodeStatuses := make([]string, 0, len(p.NodeStatus))
	if p.NodeID != "" {
		nodeID = &p.NodeID
		for _, s := range p.NodeStatus {
			nodeStatuses = append(nodeStatuses, string(s))
		}
	}
	nodeHandles := store.StepHandles(p.NodeHandle)
	if nodeHandles == nil {
		nodeHandles = []string{}
	}
	// Planned at each call: with the statuses a constant, a list of
	// statuses other than COMPLETED reads workflow_executions_unfinished_status_idx
	// (migration 00052), whose predicate a generic plan could not prove.
	rows, err := dbsqlc.New(perCall{t.tx}).ExecutionList(ctx, dbsqlc.ExecutionListParams{ // planEachCall
		TenantID:      p.TenantID,
		WorkflowID:    p.WorkflowID,
		Statuses:      statuses,
		ContactID:     p.ContactID,
		CreatedAfter:  p.CreatedAfter,
		CreatedBefore: p.CreatedBefore,
		Test:          p.Test,
		NodeID:        nodeID,
		NodeStatuses:  nodeStatuses,
		NodeHandles:   nodeHandles,
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

// executionInsertManySQL inserts several executions of one tenant in one
// round trip; the arrays are zipped row by row. A row whose idempotency
// key is taken (by an earlier execution or an earlier row of the batch) is
// skipped; RETURNING names the rows written.
const executionInsertManySQL = executionInsertRowsSQL + `
ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key <> '' DO NOTHING
RETURNING id`

// executionInsertManyKeylessSQL is executionInsertManySQL for a batch in
// which no execution has an idempotency key (event and bulk starts):
// without an ON CONFLICT clause a row is a plain insert rather than a
// speculative one (a probe of the arbiter index first, a confirmation
// record after: one WAL record more an execution). Nothing else could
// conflict: the key's index holds only rows with a key.
const executionInsertManyKeylessSQL = executionInsertRowsSQL + `
RETURNING id`

// executionInsertRowsSQL is the INSERT … SELECT of the two above.
const executionInsertRowsSQL = `INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, status,
    contact_id, trigger_type, context, current_node_id, idempotency_key, created_at, updated_at,
    token, step_count, error, started_at, finished_at, wake_at, call_node)
SELECT u.id, $1, u.workflow_id, u.version_id, u.version, u.status, u.contact_id, u.trigger_type, u.context::json,
    u.current_node_id, u.idempotency_key, $12, $12, u.token, u.step_count, u.error, u.started_at, u.finished_at, u.wake_at,
    NULLIF(u.call_node, '')
FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::text[], $7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[],
    $13::bigint[], $14::int[], $15::text[], $16::timestamptz[], $17::timestamptz[], $18::timestamptz[], $19::text[])
    AS u(id, workflow_id, version_id, version, status, contact_id, trigger_type, context, current_node_id, idempotency_key,
    token, step_count, error, started_at, finished_at, wake_at, call_node)`

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
	// '' stands for NULL (NULLIF): no node is named ''.
	callNodes := make([]string, n)
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
		wakes[i], callNodes[i] = microPtr(p.WakeAt), p.CallNode
	}
	query := executionInsertManyKeylessSQL
	if slices.ContainsFunc(keys, func(k string) bool { return k != "" }) {
		query = executionInsertManySQL
	}
	rows, err := t.tx.Query(ctx, query, tenantID, ids, workflows, versionIDs, versions, statuses,
		contacts, triggers, contexts, nodes, keys, now, tokens, counts, errs, started, finished, wakes, callNodes)
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
// tenant in one round trip; the arrays are zipped row by row. call_node is
// cleared, as ExecutionUpdate does. Planned at each call (customPlanOnly).
const executionUpdateManySQL = `UPDATE workflow_executions AS e
SET status = u.status, context = u.context::json, current_node_id = u.current_node_id, token = u.token,
    step_count = u.step_count, error = u.error, started_at = u.started_at, finished_at = u.finished_at,
    wake_at = u.wake_at, call_node = NULL, updated_at = clock_timestamp()
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::int[], $8::text[],
    $9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
    AS u(id, status, context, current_node_id, token, step_count, error, started_at, finished_at, wake_at)
WHERE e.tenant_id = $1 AND e.id = ANY($2::uuid[]) AND e.id = u.id AND ` + customPlanOnly

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
	tag, err := t.tx.Exec(ctx, executionUpdateManySQL, tenantID, ids, statuses, contexts, nodes, tokens, counts, errs, started, finished, wakes)
	if err != nil {
		return translate(err, "update %d executions", n)
	}
	if int(tag.RowsAffected()) != n {
		return fmt.Errorf("update %d executions: %d not found: %w", n, n-int(tag.RowsAffected()), store.ErrNotFound)
	}
	return nil
}

// executionStatesSQL reads the status and token of several executions of
// one tenant: one primary-key probe per ID. Planned at each call
// (customPlanOnly): a generic plan made while the table was small
// hash-joins the IDs against every execution of the tenant (the lateral
// subquery is pulled up), and one made after ANALYZE saw a small table
// probes with a sequential scan.
const executionStatesSQL = `SELECT e.id, e.status, e.token FROM (SELECT DISTINCT x FROM unnest($2::uuid[]) AS x) AS want
CROSS JOIN LATERAL (
    SELECT id, status, token FROM workflow_executions WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND id = want.x AND ` + customPlanOnly + `
) AS e`

// ExecutionStates reads the status and token of the executions of ids that
// exist, without locking them.
func (t *tx) ExecutionStates(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) ([]store.ExecutionState, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(ctx, executionStatesSQL, tenantID, ids)
	if err != nil {
		return nil, translate(err, "read the state of %d executions", len(ids))
	}
	defer rows.Close()
	out := make([]store.ExecutionState, 0, len(ids))
	for rows.Next() {
		var s store.ExecutionState
		var status string
		if err := rows.Scan(&s.ID, &status, &s.Token); err != nil {
			return nil, translate(err, "read the state of %d executions", len(ids))
		}
		s.Status = domain.ExecutionStatus(status)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "read the state of %d executions", len(ids))
	}
	return out, nil
}
