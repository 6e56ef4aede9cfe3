// Package benchfixture creates what the benchmark harnesses (enginebench,
// cronbench, httpbench, soakbench) run against on a fresh store: a tenant
// of their own and active workflows with one published version.
package benchfixture

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Tenant creates a tenant on plan, with a slug of its own, and returns its
// ID.
func Tenant(ctx context.Context, st store.Store, plan domain.Plan) (uuid.UUID, error) {
	var id uuid.UUID
	err := st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Bench", Slug: "bench-" + uuid.NewString()[:8], Plan: plan})
		if err != nil {
			return err
		}
		id = tn.ID
		return nil
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("bench: create tenant: %w", err)
	}
	return id, nil
}

// PublishTx stores def in tx as an active workflow of tenantID named name,
// with def as its one published version, and returns the workflow's ID.
func PublishTx(ctx context.Context, tx store.Tx, tenantID uuid.UUID, name string, def json.RawMessage) (uuid.UUID, error) {
	id := domain.NewID()
	if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenantID, ID: id, Name: name, Definition: def}); err != nil {
		return uuid.Nil, fmt.Errorf("bench: create workflow %s: %w", name, err)
	}
	v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: tenantID, ID: domain.NewID(),
		WorkflowID: id, Version: 1, Definition: def})
	if err != nil {
		return uuid.Nil, fmt.Errorf("bench: publish workflow %s: %w", name, err)
	}
	if _, err := tx.WorkflowSetCurrentVersion(ctx, tenantID, id, v.ID, v.Version); err != nil {
		return uuid.Nil, fmt.Errorf("bench: publish workflow %s: %w", name, err)
	}
	if _, err := tx.WorkflowSetActive(ctx, tenantID, id, true); err != nil {
		return uuid.Nil, fmt.Errorf("bench: activate workflow %s: %w", name, err)
	}
	return id, nil
}

// Publish is PublishTx in a transaction of its own.
func Publish(ctx context.Context, st store.Store, tenantID uuid.UUID, name, def string) (uuid.UUID, error) {
	var id uuid.UUID
	err := st.InTx(ctx, tenantID, func(tx store.Tx) error {
		var err error
		id, err = PublishTx(ctx, tx, tenantID, name, json.RawMessage(def))
		return err
	})
	return id, err
}
