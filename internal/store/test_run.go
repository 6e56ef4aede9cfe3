package store

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// TestRunStore holds what the builder's test runs of a draft need (#16):
// the workflow's pinned sample data, the draft's test snapshots (versions
// numbered below zero, never listed nor current) and the mark that keeps a
// test execution out of stats.
type TestRunStore interface {
	// WorkflowTestDataGet returns the workflow's pinned sample data (nil
	// when none was saved); ErrNotFound when the workflow does not exist.
	WorkflowTestDataGet(ctx context.Context, tenantID, workflowID uuid.UUID) (json.RawMessage, error)
	// WorkflowTestDataSet replaces the pinned sample data (nil clears it)
	// without touching the draft or its revision; ErrNotFound when the
	// workflow does not exist.
	WorkflowTestDataSet(ctx context.Context, tenantID, workflowID uuid.UUID, data json.RawMessage) error
	// WorkflowVersionLatestTest returns the newest test snapshot of the
	// workflow's draft (the lowest version number below zero);
	// ErrNotFound when there is none.
	WorkflowVersionLatestTest(ctx context.Context, tenantID, workflowID uuid.UUID) (*domain.WorkflowVersion, error)
	// ExecutionMarkTest marks an execution as a test run; ErrNotFound when
	// it does not exist.
	ExecutionMarkTest(ctx context.Context, tenantID, executionID uuid.UUID) error
}
