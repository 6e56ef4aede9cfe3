package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

// TenantListAfter lists up to n tenants after afterID, in ID order.
func (t *tx) TenantListAfter(ctx context.Context, afterID uuid.UUID, n int) ([]store.TenantPlan, error) {
	rows, err := t.q.TenantListAfter(ctx, t.tx, &dbsqlc.TenantListAfterParams{AfterID: afterID, MaxRows: limit(n, 1000, 10000)})
	if err != nil {
		return nil, wrap(err, "list tenants after %s", afterID)
	}
	out := make([]store.TenantPlan, len(rows))
	for i, r := range rows {
		out[i] = store.TenantPlan{ID: r.ID, Plan: domain.Plan(r.Plan)}
	}
	return out, nil
}

// ExecutionPrune deletes one batch of the tenant's oldest finished
// executions with what belongs to them: the executions are chosen, then
// their messages, outbox rows and steps go before them, each in one
// statement. The write transaction holds SQLite's writer lock throughout.
func (t *tx) ExecutionPrune(ctx context.Context, tenantID uuid.UUID, before time.Time, n int) (store.ExecutionPruneCounts, error) {
	var c store.ExecutionPruneCounts
	ids, err := t.q.ExecutionPruneClaim(ctx, t.tx, &dbsqlc.ExecutionPruneClaimParams{TenantID: tenantID,
		Before: sql.NullTime{Time: utc(before), Valid: true}, MaxRows: limit(n, 1000, store.PruneBatchMax)})
	if err != nil {
		return c, wrap(err, "choose executions finished before %s", before.Format(time.RFC3339))
	}
	if len(ids) == 0 {
		return c, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return c, fmt.Errorf("encode %d execution IDs: %w", len(ids), err)
	}
	if c.Messages, err = t.q.ExecutionPruneMessages(ctx, t.tx, &dbsqlc.ExecutionPruneMessagesParams{TenantID: tenantID, ExecutionIds: string(list)}); err != nil {
		return c, wrap(err, "delete messages of %d executions", len(ids))
	}
	if c.Outbox, err = t.q.ExecutionPruneOutbox(ctx, t.tx, &dbsqlc.ExecutionPruneOutboxParams{TenantID: tenantID, ExecutionIds: string(list)}); err != nil {
		return c, wrap(err, "delete outbox rows of %d executions", len(ids))
	}
	if c.Steps, err = t.q.ExecutionPruneSteps(ctx, t.tx, &dbsqlc.ExecutionPruneStepsParams{TenantID: tenantID, ExecutionIds: string(list)}); err != nil {
		return c, wrap(err, "delete steps of %d executions", len(ids))
	}
	if c.Executions, err = t.q.ExecutionPruneDelete(ctx, t.tx, &dbsqlc.ExecutionPruneDeleteParams{TenantID: tenantID, ExecutionIds: string(list)}); err != nil {
		return c, wrap(err, "delete %d executions", len(ids))
	}
	return c, nil
}

// ExecutionPruneCount counts what ExecutionPrune would delete.
func (t *tx) ExecutionPruneCount(ctx context.Context, tenantID uuid.UUID, before time.Time) (store.ExecutionPruneCounts, error) {
	r, err := t.q.ExecutionPruneCount(ctx, t.tx, &dbsqlc.ExecutionPruneCountParams{TenantID: tenantID, Before: sql.NullTime{Time: utc(before), Valid: true}})
	if err != nil {
		return store.ExecutionPruneCounts{}, wrap(err, "count executions finished before %s", before.Format(time.RFC3339))
	}
	return store.ExecutionPruneCounts{Executions: r.Executions, Steps: r.Steps, Outbox: r.Outbox, Messages: r.Messages}, nil
}

// EventPrune deletes up to n of the tenant's oldest events before before.
func (t *tx) EventPrune(ctx context.Context, tenantID uuid.UUID, before time.Time, n int) (int64, error) {
	deleted, err := t.q.EventPrune(ctx, t.tx, &dbsqlc.EventPruneParams{TenantID: tenantID, Before: utc(before), MaxRows: limit(n, 1000, store.PruneBatchMax)})
	if err != nil {
		return 0, wrap(err, "delete events before %s", before.Format(time.RFC3339))
	}
	return deleted, nil
}

// EventPruneCount counts the tenant's events before before.
func (t *tx) EventPruneCount(ctx context.Context, tenantID uuid.UUID, before time.Time) (int64, error) {
	n, err := t.q.EventPruneCount(ctx, t.tx, &dbsqlc.EventPruneCountParams{TenantID: tenantID, Before: utc(before)})
	if err != nil {
		return 0, wrap(err, "count events before %s", before.Format(time.RFC3339))
	}
	return n, nil
}

// AuditPrune deletes up to n of the tenant's oldest audit entries before
// before.
func (t *tx) AuditPrune(ctx context.Context, tenantID uuid.UUID, before time.Time, n int) (int64, error) {
	deleted, err := t.q.AuditPrune(ctx, t.tx, &dbsqlc.AuditPruneParams{TenantID: tenantID, Before: utc(before), MaxRows: limit(n, 1000, store.PruneBatchMax)})
	if err != nil {
		return 0, wrap(err, "delete audit entries before %s", before.Format(time.RFC3339))
	}
	return deleted, nil
}

// AuditPruneCount counts the tenant's audit entries before before.
func (t *tx) AuditPruneCount(ctx context.Context, tenantID uuid.UUID, before time.Time) (int64, error) {
	n, err := t.q.AuditPruneCount(ctx, t.tx, &dbsqlc.AuditPruneCountParams{TenantID: tenantID, Before: utc(before)})
	if err != nil {
		return 0, wrap(err, "count audit entries before %s", before.Format(time.RFC3339))
	}
	return n, nil
}
