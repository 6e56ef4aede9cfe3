// Package catalog publishes workflows: it checks a workflow's draft and
// stores it as the next immutable version, made current, in one
// transaction with what the rest of the system does on publish (the
// scheduler's schedules of an active workflow, through Lifecycle).
package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Lifecycle lets other packages act inside the transaction that activates,
// deactivates or publishes an active workflow (the cron scheduler creates
// or pauses schedules; the engine cancels running executions).
type Lifecycle interface {
	WorkflowActivatedTx(ctx context.Context, tx store.Tx, wf *domain.Workflow, version *domain.WorkflowVersion) error
	WorkflowDeactivatedTx(ctx context.Context, tx store.Tx, wf *domain.Workflow, cancelRunning bool) error
}

// Options configures a Catalog.
type Options struct {
	// Registry validates definitions (workflow.Default() when nil).
	Registry *workflow.Registry
	// Limits bound a definition's size (workflow.DefaultLimits() when
	// zero).
	Limits workflow.Limits
	// Lifecycle is told when an active workflow gets a new version
	// (optional).
	Lifecycle Lifecycle
	// Executor tells which node types can run; a node of any other type
	// is a problem that stops publishing (optional: nil accepts every
	// registered type).
	Executor NodeExecutor
}

// Catalog publishes the workflows of a store. It is safe for concurrent
// use.
type Catalog struct {
	st        store.Store
	reg       *workflow.Registry
	limits    workflow.Limits
	lifecycle Lifecycle
	exec      NodeExecutor
}

// New returns a Catalog over st.
func New(st store.Store, opts Options) *Catalog {
	c := &Catalog{st: st, reg: opts.Registry, limits: opts.Limits, lifecycle: opts.Lifecycle, exec: opts.Executor}
	if c.reg == nil {
		c.reg = workflow.Default()
	}
	if c.limits == (workflow.Limits{}) {
		c.limits = workflow.DefaultLimits()
	}
	return c
}

// Limits are the size limits definitions are checked against.
func (c *Catalog) Limits() workflow.Limits { return c.limits }

// InvalidError is a definition that cannot be published: every problem
// found, none written.
type InvalidError struct {
	Problems []workflow.Problem
}

// Error implements error.
func (e *InvalidError) Error() string {
	return fmt.Sprintf("the workflow has %d problem(s)", len(e.Problems))
}

// UnchangedError is a publish refused because the draft behaves exactly
// like the current version (DefinitionDiff.Changed is false): publishing
// it would add an identical version. Nothing is written.
type UnchangedError struct {
	// Version is the current version the draft matches.
	Version int
}

// Error implements error.
func (e *UnchangedError) Error() string {
	return fmt.Sprintf("the draft is the same as the live version %d: nothing to publish", e.Version)
}

// PublishParams names the workflow whose draft is published.
type PublishParams struct {
	TenantID   uuid.UUID
	WorkflowID uuid.UUID
	// CreatedBy is the publishing user (nil for an API key or the system).
	CreatedBy *uuid.UUID
}

// Publish stores the workflow's draft as its next version and makes it
// current, in one transaction; an active workflow's Lifecycle is told in
// the same transaction. A draft too large or not decodable is an error
// wrapping workflow.ErrTooLarge or workflow.ErrMalformed; one with
// validation problems (including plain secrets and credentials the tenant
// does not have) is an *InvalidError; one that does not differ from the
// current version (positions aside, see DiffDefinitions) is an
// *UnchangedError. Running executions keep their version.
func (c *Catalog) Publish(ctx context.Context, p PublishParams) (*domain.WorkflowVersion, error) {
	var v *domain.WorkflowVersion
	err := c.st.InTx(ctx, p.TenantID, func(tx store.Tx) error {
		w, err := tx.WorkflowGetByID(ctx, p.TenantID, p.WorkflowID)
		if err != nil {
			return fmt.Errorf("load workflow %s: %w", p.WorkflowID, err)
		}
		if err := c.unchangedTx(ctx, tx, w); err != nil {
			return err
		}
		problems, err := c.ProblemsTx(ctx, tx, p.TenantID, w.Definition)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return &InvalidError{Problems: problems}
		}
		max, err := tx.WorkflowVersionMax(ctx, p.TenantID, w.ID)
		if err != nil {
			return fmt.Errorf("latest version of workflow %s: %w", w.ID, err)
		}
		v, err = tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{
			TenantID: p.TenantID, ID: domain.NewID(), WorkflowID: w.ID, Version: max + 1,
			Definition: w.Definition, CreatedBy: p.CreatedBy,
		})
		if err != nil {
			return fmt.Errorf("insert version %d of workflow %s: %w", max+1, w.ID, err)
		}
		if w, err = tx.WorkflowSetCurrentVersion(ctx, p.TenantID, w.ID, v.ID, v.Version); err != nil {
			return fmt.Errorf("make version %d of workflow %s current: %w", v.Version, w.ID, err)
		}
		if w.IsActive && c.lifecycle != nil {
			return c.lifecycle.WorkflowActivatedTx(ctx, tx, w, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// unchangedTx returns an *UnchangedError when w's draft does not differ
// from its current version.
func (c *Catalog) unchangedTx(ctx context.Context, tx store.Tx, w *domain.Workflow) error {
	if w.CurrentVersionID == nil {
		return nil
	}
	cur, err := tx.WorkflowVersionGetByID(ctx, w.TenantID, *w.CurrentVersionID)
	if err != nil {
		return fmt.Errorf("load current version of workflow %s: %w", w.ID, err)
	}
	d, err := DiffRaw(cur.Definition, w.Definition)
	if err != nil {
		// A draft that cannot be compared is left to validation, which
		// says what is wrong with it.
		return nil
	}
	if !d.Changed() {
		return &UnchangedError{Version: cur.Version}
	}
	return nil
}

// Validate checks a definition's size, shape and graph: an error wrapping
// workflow.ErrTooLarge or workflow.ErrMalformed, or the problems found.
func (c *Catalog) Validate(raw []byte) ([]workflow.Problem, error) {
	_, problems, err := c.reg.DecodeAndValidate(raw, c.limits)
	return problems, err
}

// ProblemsTx is everything that stops raw from being published, read in
// tx: Validate's problems, secrets written in plain text, steps this
// server cannot run (Options.Executor), and credentials, segments and
// saved templates (of the step's channel) the tenant does not have.
func (c *Catalog) ProblemsTx(ctx context.Context, tx store.Tx, tenantID uuid.UUID, raw []byte) ([]workflow.Problem, error) {
	problems, err := c.Validate(raw)
	if err != nil {
		return nil, err
	}
	def, err := workflow.Parse(raw)
	if err != nil {
		return problems, nil // unreachable: Validate decoded it
	}
	problems = append(problems, workflow.PlainSecrets(def)...)
	problems = append(problems, c.unavailable(def)...)
	if refs := workflow.SegmentRefs(def); len(refs) > 0 {
		have := make(map[uuid.UUID]bool, len(refs))
		for id := range refs {
			if _, err := tx.SegmentGet(ctx, tenantID, id); err == nil {
				have[id] = true
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("look up segment %s: %w", id, err)
			}
		}
		problems = append(problems, workflow.UnknownSegments(def, func(id uuid.UUID) bool { return have[id] })...)
	}
	templates, err := templateProblems(ctx, tx, tenantID, def)
	if err != nil {
		return nil, err
	}
	problems = append(problems, templates...)
	if len(workflow.SecretRefs(def)) == 0 {
		return problems, nil
	}
	list, err := tx.CredentialList(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	have := make(map[string]bool, len(list))
	for _, cr := range list {
		have[cr.Name] = true
	}
	return append(problems, workflow.UnknownCredentials(def, func(name string) bool { return have[name] })...), nil
}

// templateProblems reads the saved templates def's send steps name and
// returns a problem on each step whose template is missing or of another
// channel.
func templateProblems(ctx context.Context, tx store.Tx, tenantID uuid.UUID, def *workflow.Definition) ([]workflow.Problem, error) {
	refs, _ := workflow.TemplateRefs(def)
	channels := make(map[uuid.UUID]string, len(refs))
	for id := range refs {
		t, err := tx.MessageTemplateGetByID(ctx, tenantID, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("look up template %s: %w", id, err)
		}
		channels[id] = string(t.Channel)
	}
	return workflow.UnknownTemplates(def, func(id uuid.UUID) (string, bool) {
		ch, ok := channels[id]
		return ch, ok
	}), nil
}
