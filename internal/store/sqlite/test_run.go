package sqlite

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

// WorkflowTestDataGet returns the workflow's pinned sample data.
func (t *tx) WorkflowTestDataGet(ctx context.Context, tenantID, workflowID uuid.UUID) (json.RawMessage, error) {
	data, err := t.q.WorkflowTestDataGet(ctx, t.tx, &dbsqlc.WorkflowTestDataGetParams{TenantID: tenantID, ID: workflowID})
	if err != nil {
		return nil, wrap(err, "get test data of workflow %s", workflowID)
	}
	return jsonRaw(data), nil
}

// WorkflowTestDataSet replaces the workflow's pinned sample data.
func (t *tx) WorkflowTestDataSet(ctx context.Context, tenantID, workflowID uuid.UUID, data json.RawMessage) error {
	n, err := t.q.WorkflowTestDataSet(ctx, t.tx, &dbsqlc.WorkflowTestDataSetParams{TestData: jsonText(data), TenantID: tenantID, ID: workflowID})
	return affected(n, err, "set test data of workflow %s", workflowID)
}

// WorkflowVersionLatestTest returns the newest test snapshot of the draft.
func (t *tx) WorkflowVersionLatestTest(ctx context.Context, tenantID, workflowID uuid.UUID) (*domain.WorkflowVersion, error) {
	r, err := t.q.WorkflowVersionLatestTest(ctx, t.tx, &dbsqlc.WorkflowVersionLatestTestParams{TenantID: tenantID, WorkflowID: workflowID})
	if err != nil {
		return nil, wrap(err, "latest test snapshot of workflow %s", workflowID)
	}
	return workflowVersionFromRow(r), nil
}

// ExecutionMarkTest marks an execution as a test run.
func (t *tx) ExecutionMarkTest(ctx context.Context, tenantID, executionID uuid.UUID) error {
	n, err := t.q.ExecutionMarkTest(ctx, t.tx, &dbsqlc.ExecutionMarkTestParams{TenantID: tenantID, ID: executionID})
	return affected(n, err, "mark execution %s as a test run", executionID)
}
