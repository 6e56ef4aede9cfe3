package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// TestSnapshotTx checks a workflow's draft as Publish does (an
// *InvalidError with every problem, nothing written) and returns the
// version a test run of it starts on: a test snapshot, numbered below zero
// so it is never listed, never current and never the next published
// number. The newest snapshot is reused while the draft behaves the same
// (positions aside); otherwise a new one is stored, numbered one below it.
// The workflow is returned too.
func (c *Catalog) TestSnapshotTx(ctx context.Context, tx store.Tx, tenantID, workflowID uuid.UUID, createdBy *uuid.UUID) (*domain.Workflow, *domain.WorkflowVersion, error) {
	w, err := tx.WorkflowGetByID(ctx, tenantID, workflowID)
	if err != nil {
		return nil, nil, fmt.Errorf("load workflow %s: %w", workflowID, err)
	}
	problems, err := c.ProblemsTx(ctx, tx, tenantID, w.Definition)
	if err != nil {
		return nil, nil, err
	}
	if len(problems) > 0 {
		return nil, nil, &InvalidError{Problems: problems}
	}
	next := -1
	last, err := tx.WorkflowVersionLatestTest(ctx, tenantID, workflowID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, nil, fmt.Errorf("latest test snapshot of workflow %s: %w", workflowID, err)
	default:
		if d, err := DiffRaw(last.Definition, w.Definition); err == nil && !d.Changed() {
			return w, last, nil
		}
		next = last.Version - 1
	}
	v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{
		TenantID: tenantID, ID: domain.NewID(), WorkflowID: workflowID, Version: next,
		Definition: w.Definition, CreatedBy: createdBy,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store test snapshot %d of workflow %s: %w", next, workflowID, err)
	}
	return w, v, nil
}
