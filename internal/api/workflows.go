package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/catalog"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Permissions used by the workflow routes (the matrix lives in
// internal/auth).
const (
	PermWorkflowsRead  = "workflows:read"
	PermWorkflowsWrite = "workflows:write"
)

// WorkflowLifecycle lets other packages act inside the transaction that
// activates, deactivates or publishes a workflow (catalog.Lifecycle).
type WorkflowLifecycle = catalog.Lifecycle

// catalog publishes and checks workflows with the API's registry and
// lifecycle.
func (s *Server) catalog() *catalog.Catalog {
	return catalog.New(s.deps.Store, catalog.Options{Registry: s.deps.Registry, Lifecycle: s.deps.Lifecycle, Executor: s.executor()})
}

// executor is the engine as the catalog's NodeExecutor, nil without one.
func (s *Server) executor() catalog.NodeExecutor {
	if s.deps.Engine == nil {
		return nil
	}
	return s.deps.Engine
}

// WorkflowDTO is a workflow as the API shows it.
type WorkflowDTO struct {
	ID               uuid.UUID            `json:"id"`
	Name             string               `json:"name"`
	Description      string               `json:"description"`
	Definition       *workflow.Definition `json:"definition,omitempty"`
	Revision         int64                `json:"revision" doc:"Draft revision; send it back with updates (or as If-Match) to detect concurrent edits."`
	IsActive         bool                 `json:"isActive"`
	CurrentVersion   int                  `json:"currentVersion" doc:"Published version new executions start on; 0 when never published."`
	CurrentVersionID *uuid.UUID           `json:"currentVersionId,omitempty"`
	CreatedAt        time.Time            `json:"createdAt"`
	UpdatedAt        time.Time            `json:"updatedAt"`
}

func workflowDTO(w *domain.Workflow, withDefinition bool) (*WorkflowDTO, error) {
	dto := &WorkflowDTO{
		ID: w.ID, Name: w.Name, Description: w.Description, Revision: w.Revision, IsActive: w.IsActive,
		CurrentVersion: w.CurrentVersion, CurrentVersionID: w.CurrentVersionID, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
	}
	if withDefinition {
		def, err := decodeStored(w.Definition)
		if err != nil {
			return nil, fmt.Errorf("workflow %s: %w", w.ID, err)
		}
		dto.Definition = def
	}
	return dto, nil
}

func decodeStored(raw json.RawMessage) (*workflow.Definition, error) {
	if len(raw) == 0 {
		return &workflow.Definition{Nodes: []workflow.Node{}, Edges: []workflow.Edge{}}, nil
	}
	def, err := workflow.Parse(raw)
	if err != nil {
		return nil, err
	}
	if def.Nodes == nil {
		def.Nodes = []workflow.Node{}
	}
	if def.Edges == nil {
		def.Edges = []workflow.Edge{}
	}
	// A second wall behind the refusal on save and the move into
	// credentials on start: no plain secret is shown.
	workflow.RedactSecrets(def)
	return def, nil
}

// ProblemDTO is one validation problem of a definition.
type ProblemDTO struct {
	Code    string `json:"code" example:"unknown_type"`
	Message string `json:"message"`
	NodeID  string `json:"nodeId,omitempty"`
	EdgeID  string `json:"edgeId,omitempty"`
	Path    string `json:"path,omitempty" doc:"JSON pointer inside the node's config"`
}

func problemDTOs(ps []workflow.Problem) []ProblemDTO {
	out := make([]ProblemDTO, 0, len(ps))
	for _, p := range ps {
		out = append(out, ProblemDTO{Code: p.Code, Message: p.Message, NodeID: p.NodeID, EdgeID: p.EdgeID, Path: p.Path})
	}
	return out
}

// NodeTypeDTO describes a node type for the builder.
type NodeTypeDTO struct {
	Type              string          `json:"type" example:"delay"`
	Category          string          `json:"category"`
	Label             string          `json:"label"`
	Description       string          `json:"description"`
	ConfigSchema      json.RawMessage `json:"configSchema" doc:"JSON Schema (2020-12) of the node's config"`
	Inputs            int             `json:"inputs"`
	Outputs           []HandleDTO     `json:"outputs" doc:"Static output handles; dynamic ones (split variants, classify labels) follow the config"`
	DynamicOutputs    bool            `json:"dynamicOutputs"`
	CanFail           bool            `json:"canFail" doc:"Has an \"error\" output handle"`
	Pure              bool            `json:"pure"`
	Waits             bool            `json:"waits"`
	Available         bool            `json:"available" required:"false" doc:"This server can run the type; an unavailable one is refused at publish"`
	UnavailableReason string          `json:"unavailableReason,omitempty" doc:"Why the type cannot run here, when it cannot"`
}

// HandleDTO is an output handle.
type HandleDTO struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// WorkflowIDInput names a workflow by its ID in the path.
type WorkflowIDInput struct {
	ID uuid.UUID `path:"id" doc:"Workflow ID"`
}

// WorkflowOutput is a workflow with its draft and its revision as ETag.
type WorkflowOutput struct {
	ETag string `header:"ETag"`
	Body *WorkflowDTO
}

func newWorkflowOutput(w *domain.Workflow) (*WorkflowOutput, error) {
	dto, err := workflowDTO(w, true)
	if err != nil {
		return nil, err
	}
	return &WorkflowOutput{ETag: strconv.Quote(strconv.FormatInt(w.Revision, 10)), Body: dto}, nil
}

// WorkflowWriteDTO is a workflow's name, description and draft, as
// created, imported and exported.
type WorkflowWriteDTO struct {
	Name        string               `json:"name" minLength:"1" maxLength:"200"`
	Description string               `json:"description,omitempty" maxLength:"2000"`
	Definition  *workflow.Definition `json:"definition,omitempty"`
}

// WorkflowWriteInput carries a new workflow (create and import).
type WorkflowWriteInput struct {
	Body WorkflowWriteDTO
}

// WorkflowExportOutput is a workflow's draft as importable JSON.
type WorkflowExportOutput struct {
	Body WorkflowWriteDTO
}

// WorkflowUpdateDTO is the body of a workflow update.
type WorkflowUpdateDTO struct {
	Name        string               `json:"name" minLength:"1" maxLength:"200"`
	Description string               `json:"description,omitempty" maxLength:"2000"`
	Definition  *workflow.Definition `json:"definition,omitempty"`
	Revision    *int64               `json:"revision,omitempty" doc:"Revision the update is based on"`
}

// WorkflowUpdateInput is a workflow update with the revision it is based on.
type WorkflowUpdateInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"Revision the update is based on (alternative to body.revision)"`
	Body    WorkflowUpdateDTO
}

// WorkflowListInput filters and pages the workflow list.
type WorkflowListInput struct {
	Cursor string `query:"cursor" doc:"nextCursor of the previous page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Search string `query:"search" maxLength:"200" doc:"Substring of the name"`
	Active string `query:"active" enum:"true,false," doc:"Filter on the active flag"`
}

// WorkflowListDTO is one page of workflows.
type WorkflowListDTO struct {
	Items      []WorkflowDTO `json:"items"`
	NextCursor string        `json:"nextCursor,omitempty"`
}

// WorkflowListOutput is one page of workflows.
type WorkflowListOutput struct {
	Body WorkflowListDTO
}

// NodeTypeListOutput is every node type the builder offers.
type NodeTypeListOutput struct {
	Body []NodeTypeDTO
}

// ValidateDefinitionDTO is an optional definition to validate instead of
// the stored draft.
type ValidateDefinitionDTO struct {
	Definition *workflow.Definition `json:"definition,omitempty"`
}

// WorkflowValidateInput names the workflow to validate and, optionally, a
// definition to validate in place of its draft.
type WorkflowValidateInput struct {
	ID   uuid.UUID `path:"id"`
	Body *ValidateDefinitionDTO
}

// ValidationDTO is the result of a validation: every problem at once.
type ValidationDTO struct {
	Valid    bool         `json:"valid"`
	Problems []ProblemDTO `json:"problems"`
}

// WorkflowValidateOutput is the result of a validation.
type WorkflowValidateOutput struct {
	Body ValidationDTO
}

// WorkflowDeactivateDTO says what happens to running executions when a
// workflow is deactivated.
type WorkflowDeactivateDTO struct {
	CancelRunning bool `json:"cancelRunning,omitempty" doc:"Cancel executions that are still running"`
}

// WorkflowDeactivateInput names the workflow to deactivate.
type WorkflowDeactivateInput struct {
	ID   uuid.UUID `path:"id"`
	Body *WorkflowDeactivateDTO
}

// VersionDTO is a published, immutable version of a workflow.
type VersionDTO struct {
	ID         uuid.UUID            `json:"id"`
	Version    int                  `json:"version"`
	Definition *workflow.Definition `json:"definition,omitempty"`
	CreatedAt  time.Time            `json:"createdAt"`
	CreatedBy  *uuid.UUID           `json:"createdBy,omitempty"`
}

// VersionInput names a published version by workflow ID and number.
type VersionInput struct {
	ID      uuid.UUID `path:"id"`
	Version int       `path:"version" minimum:"1"`
}

// VersionOutput is one published version with its definition.
type VersionOutput struct {
	Body VersionDTO
}

// VersionListOutput is a workflow's published versions, newest first.
type VersionListOutput struct {
	Body []VersionDTO
}

func (s *Server) registerWorkflows() {
	api := s.api
	read := map[string]any{MetaPermission: PermWorkflowsRead}
	write := map[string]any{MetaPermission: PermWorkflowsWrite}

	huma.Register(api, huma.Operation{
		OperationID: "list-node-types", Method: http.MethodGet, Path: Prefix + "/node-types",
		Summary: "List node types with their config schemas", Tags: []string{"workflows"},
		Metadata: map[string]any{MetaPermission: PermWorkflowsRead, MetaNoTenant: true},
	}, func(ctx context.Context, _ *NoInput) (*NodeTypeListOutput, error) {
		var out []NodeTypeDTO
		for _, nt := range s.deps.Registry.All() {
			d := NodeTypeDTO{Type: nt.Type, Category: nt.Category, Label: nt.Label, Description: nt.Description,
				ConfigSchema: nt.ConfigSchema, Inputs: nt.Inputs, Outputs: []HandleDTO{}, DynamicOutputs: nt.DynamicOutputs != nil,
				CanFail: nt.CanFail, Pure: nt.Pure, Waits: nt.Waits, Available: true}
			if ex := s.executor(); ex != nil {
				d.Available, d.UnavailableReason = ex.Executable(nt.Type)
			}
			for _, h := range nt.Outputs {
				d.Outputs = append(d.Outputs, HandleDTO{ID: h.ID, Label: h.Label})
			}
			out = append(out, d)
		}
		return &NodeTypeListOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-workflows", Method: http.MethodGet, Path: Prefix + "/workflows",
		Summary: "List workflows", Tags: []string{"workflows"}, Metadata: read,
	}, func(ctx context.Context, in *WorkflowListInput) (*WorkflowListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		p := &store.WorkflowListParams{TenantID: c.TenantID, Search: in.Search, Limit: in.Limit + 1}
		if p.Before, err = parseCursor(in.Cursor); err != nil {
			return nil, err
		}
		if in.Active != "" {
			b := in.Active == "true"
			p.Active = &b
		}
		var items []domain.Workflow
		if err := s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			items, err = tx.WorkflowList(ctx, p)
			return err
		}); err != nil {
			return nil, s.problem(ctx, "workflows", err)
		}
		out := &WorkflowListOutput{}
		out.Body.Items = []WorkflowDTO{}
		for i := range items {
			if i == in.Limit {
				out.Body.NextCursor = items[i-1].ID.String()
				break
			}
			dto, err := workflowDTO(&items[i], false)
			if err != nil {
				return nil, s.problem(ctx, "workflow", err)
			}
			out.Body.Items = append(out.Body.Items, *dto)
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-workflow", Method: http.MethodPost, Path: Prefix + "/workflows",
		Summary: "Create a workflow (the draft may be invalid)", Tags: []string{"workflows"}, Metadata: write,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *WorkflowWriteInput) (*WorkflowOutput, error) {
		return s.createWorkflow(ctx, in.Body.Name, in.Body.Description, in.Body.Definition)
	})

	huma.Register(api, huma.Operation{
		OperationID: "import-workflow", Method: http.MethodPost, Path: Prefix + "/workflows/import",
		Summary: "Import a workflow exported as JSON", Tags: []string{"workflows"}, Metadata: write,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *WorkflowWriteInput) (*WorkflowOutput, error) {
		if in.Body.Definition == nil {
			return nil, huma.Error422UnprocessableEntity("definition is required", &huma.ErrorDetail{Location: "body.definition", Message: "required"})
		}
		return s.createWorkflow(ctx, in.Body.Name, in.Body.Description, in.Body.Definition)
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-workflow", Method: http.MethodGet, Path: Prefix + "/workflows/{id}",
		Summary: "Get a workflow with its draft", Tags: []string{"workflows"}, Metadata: read,
	}, func(ctx context.Context, in *WorkflowIDInput) (*WorkflowOutput, error) {
		w, err := s.loadWorkflow(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return newWorkflowOutput(w)
	})

	huma.Register(api, huma.Operation{
		OperationID: "export-workflow", Method: http.MethodGet, Path: Prefix + "/workflows/{id}/export",
		Summary: "Export a workflow's draft as importable JSON", Tags: []string{"workflows"}, Metadata: read,
	}, func(ctx context.Context, in *WorkflowIDInput) (*WorkflowExportOutput, error) {
		w, err := s.loadWorkflow(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		def, err := decodeStored(w.Definition)
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		return &WorkflowExportOutput{Body: WorkflowWriteDTO{Name: w.Name, Description: w.Description, Definition: def}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-workflow", Method: http.MethodPut, Path: Prefix + "/workflows/{id}",
		Summary:     "Update a workflow's name, description and draft",
		Description: "The update must carry the revision it was based on, as `revision` in the body or as `If-Match`. A stale revision is refused with 412 and the current workflow in the problem's `errors[0].value`.",
		Tags:        []string{"workflows"}, Metadata: write,
		Errors: []int{http.StatusPreconditionFailed, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *WorkflowUpdateInput) (*WorkflowOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var expected int64
		switch {
		case in.Body.Revision != nil:
			expected = *in.Body.Revision
		case in.IfMatch != "":
			v, perr := strconv.ParseInt(strings.Trim(strings.TrimPrefix(in.IfMatch, "W/"), `"`), 10, 64)
			if perr != nil {
				return nil, huma.Error400BadRequest("If-Match must be a revision number")
			}
			expected = v
		default:
			return nil, huma.NewError(http.StatusPreconditionRequired, "send the revision the update is based on (body.revision or If-Match)")
		}
		raw, err := s.encodeDraft(in.Body.Definition)
		if err != nil {
			return nil, err
		}
		var w *domain.Workflow
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			var err error
			w, err = tx.WorkflowUpdateDraft(ctx, &store.WorkflowUpdateDraftParams{
				TenantID: c.TenantID, ID: in.ID, ExpectedRevision: expected,
				Name: in.Body.Name, Description: in.Body.Description, Definition: raw,
			})
			return err
		})
		if errors.Is(err, store.ErrStale) {
			return nil, s.staleProblem(ctx, c.TenantID, in.ID)
		}
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		return newWorkflowOutput(w)
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-workflow", Method: http.MethodDelete, Path: Prefix + "/workflows/{id}",
		Summary: "Delete a workflow, its versions and its executions", Tags: []string{"workflows"}, Metadata: write,
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *WorkflowIDInput) (*NoContentOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			w, err := tx.WorkflowGetByID(ctx, c.TenantID, in.ID)
			if err != nil {
				return err
			}
			if w.IsActive && s.deps.Lifecycle != nil {
				if err := s.deps.Lifecycle.WorkflowDeactivatedTx(ctx, tx, w, true); err != nil {
					return err
				}
			}
			return tx.WorkflowDelete(ctx, c.TenantID, in.ID)
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "duplicate-workflow", Method: http.MethodPost, Path: Prefix + "/workflows/{id}/duplicate",
		Summary: "Copy a workflow's draft into a new workflow", Tags: []string{"workflows"}, Metadata: write,
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *WorkflowIDInput) (*WorkflowOutput, error) {
		w, err := s.loadWorkflow(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		def, err := decodeStored(w.Definition)
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		// The copy's name keeps its " (copy)" within the 200-character
		// limit, cut between characters, never inside one.
		name := TruncateRunes(w.Name, maxWorkflowName-len(" (copy)")) + " (copy)"
		return s.createWorkflow(ctx, name, w.Description, def)
	})

	huma.Register(api, huma.Operation{
		OperationID: "validate-workflow", Method: http.MethodPost, Path: Prefix + "/workflows/{id}/validate",
		Summary:     "Validate a workflow's draft",
		Description: "Returns every problem at once. With a body, validates that definition instead of the stored draft (nothing is saved).",
		Tags:        []string{"workflows"}, Metadata: read,
	}, func(ctx context.Context, in *WorkflowValidateInput) (*WorkflowValidateOutput, error) {
		w, err := s.loadWorkflow(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		raw := []byte(w.Definition)
		if in.Body != nil && in.Body.Definition != nil {
			if raw, err = json.Marshal(in.Body.Definition); err != nil {
				return nil, huma.Error400BadRequest("definition cannot be encoded")
			}
		}
		var problems []workflow.Problem
		if err := s.deps.Store.Read(ctx, w.TenantID, func(tx store.Tx) error {
			problems, err = s.catalog().ProblemsTx(ctx, tx, w.TenantID, raw)
			return err
		}); err != nil {
			return nil, s.publishProblem(ctx, err)
		}
		out := &WorkflowValidateOutput{}
		out.Body.Problems = problemDTOs(problems)
		out.Body.Valid = len(problems) == 0
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "publish-workflow", Method: http.MethodPost, Path: Prefix + "/workflows/{id}/publish",
		Summary:     "Publish the draft as a new immutable version",
		Description: "Refused with 422 and every problem when the draft is invalid, and with 409 when it does not differ from the live version (positions aside): no identical version is made. Running executions keep the version they started on.",
		Tags:        []string{"workflows"}, Metadata: write, Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *WorkflowIDInput) (*VersionOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		v, err := s.catalog().Publish(ctx, catalog.PublishParams{TenantID: c.TenantID, WorkflowID: in.ID, CreatedBy: c.UserID})
		if err != nil {
			return nil, s.publishProblem(ctx, err)
		}
		dto, err := newVersionDTO(v, true)
		if err != nil {
			return nil, s.problem(ctx, "version", err)
		}
		return &VersionOutput{Body: *dto}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-workflow-versions", Method: http.MethodGet, Path: Prefix + "/workflows/{id}/versions",
		Summary: "List published versions, newest first", Tags: []string{"workflows"}, Metadata: read,
	}, func(ctx context.Context, in *WorkflowIDInput) (*VersionListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var vs []domain.WorkflowVersion
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			if _, err := tx.WorkflowGetByID(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			vs, err = tx.WorkflowVersionList(ctx, c.TenantID, in.ID)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		out := &VersionListOutput{Body: []VersionDTO{}}
		for i := range vs {
			dto, _ := newVersionDTO(&vs[i], false)
			out.Body = append(out.Body, *dto)
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-workflow-version", Method: http.MethodGet, Path: Prefix + "/workflows/{id}/versions/{version}",
		Summary: "Get a published version", Tags: []string{"workflows"}, Metadata: read,
	}, func(ctx context.Context, in *VersionInput) (*VersionOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var v *domain.WorkflowVersion
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			v, err = tx.WorkflowVersionGetByNumber(ctx, c.TenantID, in.ID, in.Version)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "version", err)
		}
		dto, err := newVersionDTO(v, true)
		if err != nil {
			return nil, s.problem(ctx, "version", err)
		}
		return &VersionOutput{Body: *dto}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "restore-workflow-version", Method: http.MethodPost, Path: Prefix + "/workflows/{id}/versions/{version}/restore",
		Summary: "Copy a published version into the draft", Tags: []string{"workflows"}, Metadata: write,
	}, func(ctx context.Context, in *VersionInput) (*WorkflowOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var w *domain.Workflow
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			cur, err := tx.WorkflowGetByID(ctx, c.TenantID, in.ID)
			if err != nil {
				return err
			}
			v, err := tx.WorkflowVersionGetByNumber(ctx, c.TenantID, in.ID, in.Version)
			if err != nil {
				return err
			}
			w, err = tx.WorkflowUpdateDraft(ctx, &store.WorkflowUpdateDraftParams{
				TenantID: c.TenantID, ID: in.ID, ExpectedRevision: cur.Revision,
				Name: cur.Name, Description: cur.Description, Definition: v.Definition,
			})
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow version", err)
		}
		return newWorkflowOutput(w)
	})

	huma.Register(api, huma.Operation{
		OperationID: "activate-workflow", Method: http.MethodPost, Path: Prefix + "/workflows/{id}/activate",
		Summary: "Activate a workflow: its triggers start executions of the current published version",
		Tags:    []string{"workflows"}, Metadata: write, Errors: []int{http.StatusConflict},
	}, func(ctx context.Context, in *WorkflowIDInput) (*WorkflowOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var w *domain.Workflow
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			cur, err := tx.WorkflowGetByID(ctx, c.TenantID, in.ID)
			if err != nil {
				return err
			}
			if cur.CurrentVersionID == nil {
				return huma.Error409Conflict("publish the workflow before activating it")
			}
			v, err := tx.WorkflowVersionGetByID(ctx, c.TenantID, *cur.CurrentVersionID)
			if err != nil {
				return err
			}
			if !cur.IsActive {
				if err := s.usageHold(ctx, tx, c.TenantID, store.UsageActiveWorkflows, 1); err != nil {
					return err
				}
			}
			if w, err = tx.WorkflowSetActive(ctx, c.TenantID, in.ID, true); err != nil {
				return err
			}
			if s.deps.Lifecycle != nil {
				return s.deps.Lifecycle.WorkflowActivatedTx(ctx, tx, w, v)
			}
			return nil
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		return newWorkflowOutput(w)
	})

	huma.Register(api, huma.Operation{
		OperationID: "deactivate-workflow", Method: http.MethodPost, Path: Prefix + "/workflows/{id}/deactivate",
		Summary:     "Deactivate a workflow: no new executions start",
		Description: "Running executions finish unless cancelRunning is true.",
		Tags:        []string{"workflows"}, Metadata: write,
	}, func(ctx context.Context, in *WorkflowDeactivateInput) (*WorkflowOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		cancelRunning := in.Body != nil && in.Body.CancelRunning
		var w *domain.Workflow
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			var err error
			if w, err = tx.WorkflowSetActive(ctx, c.TenantID, in.ID, false); err != nil {
				return err
			}
			if s.deps.Lifecycle != nil {
				return s.deps.Lifecycle.WorkflowDeactivatedTx(ctx, tx, w, cancelRunning)
			}
			return nil
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		if cancelRunning {
			if err := s.cancelRunning(ctx, c.TenantID, in.ID); err != nil {
				return nil, s.problem(ctx, "executions", err)
			}
		}
		return newWorkflowOutput(w)
	})
}

// cancelRunning cancels every non-terminal execution of a workflow, page
// by page. An execution that finishes meanwhile is left as it is.
func (s *Server) cancelRunning(ctx context.Context, tenantID, workflowID uuid.UUID) error {
	if s.deps.Engine == nil {
		return nil
	}
	seen := map[uuid.UUID]bool{}
	for {
		var ids []uuid.UUID
		if err := s.deps.Store.Read(ctx, tenantID, func(tx store.Tx) error {
			var err error
			ids, err = tx.ExecutionListActiveIDsByWorkflow(ctx, tenantID, workflowID, 500)
			return err
		}); err != nil {
			return err
		}
		progressed := false
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			progressed = true
			if _, err := s.deps.Engine.Cancel(ctx, tenantID, id); err != nil && !errors.Is(err, engine.ErrTerminal) && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("cancel execution %s: %w", id, err)
			}
		}
		if !progressed {
			return nil
		}
	}
}

func newVersionDTO(v *domain.WorkflowVersion, withDefinition bool) (*VersionDTO, error) {
	dto := &VersionDTO{ID: v.ID, Version: v.Version, CreatedAt: v.CreatedAt, CreatedBy: v.CreatedBy}
	if withDefinition {
		def, err := decodeStored(v.Definition)
		if err != nil {
			return nil, err
		}
		dto.Definition = def
	}
	return dto, nil
}

func (s *Server) loadWorkflow(ctx context.Context, id uuid.UUID) (*domain.Workflow, error) {
	c, err := mustCaller(ctx)
	if err != nil {
		return nil, err
	}
	var w *domain.Workflow
	err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
		w, err = tx.WorkflowGetByID(ctx, c.TenantID, id)
		return err
	})
	if err != nil {
		return nil, s.problem(ctx, "workflow", err)
	}
	return w, nil
}

func (s *Server) createWorkflow(ctx context.Context, name, description string, def *workflow.Definition) (*WorkflowOutput, error) {
	c, err := mustCaller(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := s.encodeDraft(def)
	if err != nil {
		return nil, err
	}
	var w *domain.Workflow
	err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
		if err := s.usageHold(ctx, tx, c.TenantID, store.UsageWorkflows, 1); err != nil {
			return err
		}
		var err error
		w, err = tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{
			TenantID: c.TenantID, ID: domain.NewID(), Name: name, Description: description,
			Definition: raw, CreatedBy: c.UserID,
		})
		return err
	})
	if err != nil {
		return nil, s.problem(ctx, "workflow", err)
	}
	return newWorkflowOutput(w)
}

// encodeDraft checks a draft's size limits and shape (drafts may be
// invalid graphs, but not oversized or undecodable) and encodes it.
func (s *Server) encodeDraft(def *workflow.Definition) (json.RawMessage, error) {
	if def == nil {
		def = &workflow.Definition{}
	}
	if def.Nodes == nil {
		def.Nodes = []workflow.Node{}
	}
	if def.Edges == nil {
		def.Edges = []workflow.Edge{}
	}
	raw, err := json.Marshal(def)
	if err != nil {
		return nil, huma.Error400BadRequest("definition cannot be encoded")
	}
	if _, _, err := s.deps.Registry.DecodeAndValidate(raw, workflow.DefaultLimits()); err != nil {
		return nil, definitionError(err)
	}
	if plain := workflow.PlainSecrets(def); len(plain) > 0 {
		return nil, plainSecretsProblem(plain)
	}
	return raw, nil
}

// plainSecretsProblem is the 422 answer to a definition that carries
// secrets in plain text: nothing is saved.
func plainSecretsProblem(problems []workflow.Problem) error {
	err := invalidDefinition(problems)
	var se huma.StatusError
	if errors.As(err, &se) {
		if m, ok := se.(*huma.ErrorModel); ok {
			m.Detail = "secrets may not be stored in a workflow: put each in a workspace credential (Settings → Credentials) and refer to it as {{ secrets.NAME }}, or name it in the webhook's secretCredential"
		}
	}
	return err
}

// publishProblem maps a catalog error to a problem: 413 for a definition
// over the limits, 422 for one that is malformed or has problems.
func (s *Server) publishProblem(ctx context.Context, err error) error {
	var invalid *catalog.InvalidError
	var unchanged *catalog.UnchangedError
	switch {
	case errors.As(err, &invalid):
		return invalidDefinition(invalid.Problems)
	case errors.As(err, &unchanged):
		return huma.Error409Conflict(fmt.Sprintf("nothing to publish: the draft is the same as the live version %d", unchanged.Version))
	case errors.Is(err, workflow.ErrTooLarge), errors.Is(err, workflow.ErrMalformed):
		return definitionError(err)
	}
	return s.problem(ctx, "workflow", err)
}

func definitionError(err error) error {
	if errors.Is(err, workflow.ErrTooLarge) {
		return huma.NewError(http.StatusRequestEntityTooLarge, err.Error())
	}
	return huma.Error422UnprocessableEntity("definition is malformed: " + err.Error())
}

// invalidDefinition is the 422 problem listing every validation problem.
func invalidDefinition(problems []workflow.Problem) error {
	details := make([]error, 0, len(problems))
	for _, p := range problems {
		loc := "definition"
		switch {
		case p.NodeID != "":
			loc = "definition.nodes[" + p.NodeID + "]"
			if p.Path != "" {
				loc += ".config" + strings.ReplaceAll(p.Path, "/", ".")
			}
		case p.EdgeID != "":
			loc = "definition.edges[" + p.EdgeID + "]"
		}
		details = append(details, &huma.ErrorDetail{Location: loc, Message: p.Code + ": " + p.Message, Value: ProblemDTO{
			Code: p.Code, Message: p.Message, NodeID: p.NodeID, EdgeID: p.EdgeID, Path: p.Path}})
	}
	return huma.Error422UnprocessableEntity(fmt.Sprintf("the workflow has %d problem(s); fix them before publishing", len(problems)), details...)
}

// staleProblem is the 412 answer to an update based on an old revision,
// carrying the current workflow so the client can merge or reload.
func (s *Server) staleProblem(ctx context.Context, tenantID, id uuid.UUID) error {
	var cur *domain.Workflow
	err := s.deps.Store.Read(ctx, tenantID, func(tx store.Tx) error {
		var err error
		cur, err = tx.WorkflowGetByID(ctx, tenantID, id)
		return err
	})
	if err != nil {
		return s.problem(ctx, "workflow", err)
	}
	dto, err := workflowDTO(cur, true)
	if err != nil {
		return s.problem(ctx, "workflow", err)
	}
	return huma.Error412PreconditionFailed(
		fmt.Sprintf("the workflow was changed by someone else: current revision is %d", cur.Revision),
		&huma.ErrorDetail{Location: "body.revision", Message: "stale revision", Value: dto})
}

func parseCursor(c string) (uuid.UUID, error) {
	if c == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(c)
	if err != nil {
		return uuid.Nil, huma.Error400BadRequest("cursor is not valid", &huma.ErrorDetail{Location: "query.cursor", Message: "invalid", Value: c})
	}
	return id, nil
}
