package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/sse"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Execution permissions.
const (
	PermExecutionsRead = "executions:read"
)

// ExecutionDTO is an execution as the API shows it.
type ExecutionDTO struct {
	ID            uuid.UUID              `json:"id"`
	WorkflowID    uuid.UUID              `json:"workflowId"`
	Version       int                    `json:"version"`
	Status        domain.ExecutionStatus `json:"status" enum:"PENDING,RUNNING,WAITING,COMPLETED,FAILED,CANCELLED"`
	ContactID     *uuid.UUID             `json:"contactId,omitempty"`
	TriggerType   string                 `json:"triggerType"`
	CurrentNodeID string                 `json:"currentNodeId,omitempty"`
	StepCount     int                    `json:"stepCount"`
	Error         string                 `json:"error,omitempty"`
	Context       map[string]any         `json:"context,omitempty" doc:"trigger, contact, steps.<node>.output, vars, execution"`
	CreatedAt     time.Time              `json:"createdAt"`
	UpdatedAt     time.Time              `json:"updatedAt"`
	StartedAt     *time.Time             `json:"startedAt,omitempty"`
	FinishedAt    *time.Time             `json:"finishedAt,omitempty"`
	Steps         []StepDTO              `json:"steps,omitempty"`
	Test          bool                   `json:"test" doc:"A test run of the draft (left out of stats); its version is a test snapshot, numbered below zero"`
}

// StepDTO is one node visit.
type StepDTO struct {
	ID         uuid.UUID         `json:"id"`
	Seq        int               `json:"seq"`
	NodeID     string            `json:"nodeId"`
	NodeType   string            `json:"nodeType"`
	Status     domain.StepStatus `json:"status" enum:"RUNNING,WAITING,COMPLETED,FAILED,CANCELLED"`
	Attempt    int               `json:"attempt"`
	Input      any               `json:"input,omitempty"`
	Output     any               `json:"output,omitempty"`
	Error      string            `json:"error,omitempty"`
	Handle     string            `json:"handle,omitempty"`
	StartedAt  time.Time         `json:"startedAt"`
	FinishedAt *time.Time        `json:"finishedAt,omitempty"`
	DurationMs *int64            `json:"durationMs,omitempty"`
	// Effect is the outbox record of a side-effect step (get-execution only).
	Effect *StepEffectDTO `json:"effect,omitempty"`
}

// StepEffectDTO is the outbox record of a side-effect step's call: the
// idempotency key it is made under and how many times it was attempted.
type StepEffectDTO struct {
	IdempotencyKey string              `json:"idempotencyKey" doc:"Sent as the Idempotency-Key header; the same on every attempt"`
	Attempts       int                 `json:"attempts" doc:"Calls begun under the key, each counted before it was made. More than 1 means the provider may have received the call more than once (a repeat after a crash or a lost result), always with this key"`
	Status         domain.OutboxStatus `json:"status" enum:"PENDING,DONE,FAILED"`
	LastAttemptAt  *time.Time          `json:"lastAttemptAt,omitempty"`
}

func stepEffectDTO(o *domain.OutboxEntry) *StepEffectDTO {
	return &StepEffectDTO{IdempotencyKey: o.IdempotencyKey, Attempts: o.Attempts, Status: o.Status, LastAttemptAt: o.AttemptedAt}
}

func rawToAny(raw json.RawMessage) any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	return v
}

func executionDTO(e *domain.Execution, withContext bool) ExecutionDTO {
	d := ExecutionDTO{ID: e.ID, WorkflowID: e.WorkflowID, Version: e.Version, Status: e.Status, ContactID: e.ContactID,
		TriggerType: e.TriggerType, CurrentNodeID: e.CurrentNodeID, StepCount: e.StepCount, Error: e.Error,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, StartedAt: e.StartedAt, FinishedAt: e.FinishedAt, Test: e.Test}
	if withContext {
		d.Context = contextDTO(e.Context)
	}
	return d
}

// contextDTO is the documented view of a stored execution context
// (engine.ContextView); nil when none is stored or it cannot be read.
func contextDTO(raw json.RawMessage) map[string]any {
	if len(raw) == 0 {
		return nil
	}
	m, err := engine.ContextView(raw)
	if err != nil {
		return nil
	}
	return m
}

func stepDTO(s *domain.Step) StepDTO {
	d := StepDTO{ID: s.ID, Seq: s.Seq, NodeID: s.NodeID, NodeType: s.NodeType, Status: s.Status, Attempt: s.Attempt,
		Input: rawToAny(s.Input), Output: rawToAny(s.Output), Error: s.Error, Handle: s.Handle,
		StartedAt: s.StartedAt, FinishedAt: s.FinishedAt}
	if s.FinishedAt != nil {
		ms := s.FinishedAt.Sub(s.StartedAt).Milliseconds()
		d.DurationMs = &ms
	}
	return d
}

// ExecutionIDInput names an execution by its ID in the path.
type ExecutionIDInput struct {
	ID uuid.UUID `path:"id"`
}

// ExecutionOutput is one execution.
type ExecutionOutput struct{ Body ExecutionDTO }

// ExecutionStartInput names the workflow to run and, optionally, what the
// execution starts with.
type ExecutionStartInput struct {
	ID   uuid.UUID `path:"id"`
	Body *ExecutionStartDTO
}

// ExecutionListInput filters and pages the execution list.
type ExecutionListInput struct {
	WorkflowID string    `query:"workflowId" doc:"Only this workflow's executions"`
	Status     string    `query:"status" doc:"Comma-separated statuses, e.g. FAILED,WAITING"`
	ContactID  string    `query:"contactId"`
	From       time.Time `query:"from" doc:"Created at or after (RFC 3339)"`
	To         time.Time `query:"to" doc:"Created before (RFC 3339)"`
	NodeID     string    `query:"nodeId" maxLength:"200" doc:"Only executions with a step at this node (the builder's counts click through here)"`
	NodeStatus string    `query:"nodeStatus" doc:"With nodeId: comma-separated step statuses the step at the node had, e.g. FAILED,WAITING"`
	Handle     string    `query:"handle" maxLength:"200" doc:"With nodeId: only executions that left the node by this output handle (out for a single output)"`
	Test       string    `query:"test" enum:"true,false," doc:"true: only test runs of drafts; false: only real executions; absent: both"`
	Cursor     string    `query:"cursor"`
	Limit      int       `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// ExecutionListDTO is one page of executions.
type ExecutionListDTO struct {
	Items      []ExecutionDTO `json:"items"`
	NextCursor string         `json:"nextCursor,omitempty"`
}

// ExecutionListOutput is one page of executions.
type ExecutionListOutput struct {
	Body ExecutionListDTO
}

// ExecutionStartDTO is what a manual start may carry.
type ExecutionStartDTO struct {
	Input          map[string]any `json:"input,omitempty" doc:"Available to the journey as trigger.input"`
	ContactID      *uuid.UUID     `json:"contactId,omitempty"`
	Contact        map[string]any `json:"contact,omitempty" doc:"The contact as expressions see it (email, phone, timezone, attributes…)"`
	IdempotencyKey string         `json:"idempotencyKey,omitempty" maxLength:"200" doc:"A repeated key returns the execution created first"`
	Version        int            `json:"version,omitempty" minimum:"0" doc:"Run this published version instead of the current one"`
}

func (s *Server) registerExecutions() {
	if s.deps.Engine == nil {
		return
	}
	api := s.api
	read := map[string]any{MetaPermission: PermExecutionsRead}
	run := map[string]any{MetaPermission: PermExecutionsRun}
	// A start's API key comes from the key cache and is confirmed in the
	// start's transaction (auth.ConfirmAPIKey).
	runCached := map[string]any{MetaPermission: PermExecutionsRun, MetaKeyCache: true}

	huma.Register(api, huma.Operation{
		OperationID: "start-execution", Method: http.MethodPost, Path: Prefix + "/workflows/{id}/executions",
		Summary:     "Start an execution of a workflow's published version",
		Description: "Manual starts are allowed while the workflow is inactive (test runs). Answers 202 at once; follow the execution through GET /executions/{id} or the stream.",
		Tags:        []string{"executions"}, Metadata: runCached, DefaultStatus: http.StatusAccepted,
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *ExecutionStartInput) (*ExecutionOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		body := in.Body
		if body == nil {
			body = &ExecutionStartDTO{}
		}
		p := engine.StartParams{TenantID: c.TenantID, WorkflowID: in.ID, TriggerType: workflow.TypeTriggerManual,
			ContactID: body.ContactID, Contact: body.Contact, IdempotencyKey: body.IdempotencyKey}
		if body.Input != nil {
			p.Input, _ = json.Marshal(body.Input)
		}
		var exec *domain.Execution
		// An API key answered from the key cache must still stand (not
		// revoked on any node) in the start's transaction. The principal is
		// the request's: a shared transaction runs under another context.
		principal := auth.FromContext(ctx)
		confirm := func(ctx context.Context, tx store.Tx) error {
			return auth.ConfirmAPIKey(ctx, tx, principal, auth.PermExecutionsRun)
		}
		if body.Version == 0 {
			// Concurrent starts share transactions (the start group commit);
			// a key is confirmed once per transaction. A principal that is
			// not a cached key is only checked in memory, its own key.
			var checkKey any = principal
			if principal != nil && principal.Cached && principal.APIKey != nil {
				checkKey = keyCheck{principal.APIKey.ID, auth.PermExecutionsRun}
			}
			exec, err = s.deps.Engine.StartChecked(ctx, p, checkKey, confirm)
			if err != nil {
				return nil, s.startProblem(ctx, err)
			}
			return &ExecutionOutput{Body: executionDTO(exec, false)}, nil
		}
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			if err := confirm(ctx, tx); err != nil {
				return err
			}
			if body.Version > 0 {
				v, err := tx.WorkflowVersionGetByNumber(ctx, c.TenantID, in.ID, body.Version)
				if err != nil {
					return err
				}
				p.VersionID = v.ID
			}
			var err error
			exec, err = s.deps.Engine.StartTx(ctx, tx, p)
			return err
		})
		if err != nil {
			return nil, s.startProblem(ctx, err)
		}
		return &ExecutionOutput{Body: executionDTO(exec, false)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-executions", Method: http.MethodGet, Path: Prefix + "/executions",
		Summary: "List executions, newest first", Tags: []string{"executions"}, Metadata: read,
	}, func(ctx context.Context, in *ExecutionListInput) (*ExecutionListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		p := &store.ExecutionListParams{TenantID: c.TenantID, Limit: in.Limit + 1}
		if p.Before, err = parseCursor(in.Cursor); err != nil {
			return nil, err
		}
		if in.WorkflowID != "" {
			id, err := uuid.Parse(in.WorkflowID)
			if err != nil {
				return nil, huma.Error400BadRequest("workflowId is not a UUID", &huma.ErrorDetail{Location: "query.workflowId", Value: in.WorkflowID})
			}
			p.WorkflowID = &id
		}
		if in.ContactID != "" {
			id, err := uuid.Parse(in.ContactID)
			if err != nil {
				return nil, huma.Error400BadRequest("contactId is not a UUID", &huma.ErrorDetail{Location: "query.contactId", Value: in.ContactID})
			}
			p.ContactID = &id
		}
		for _, st := range strings.Split(in.Status, ",") {
			if st = strings.ToUpper(strings.TrimSpace(st)); st == "" {
				continue
			}
			switch domain.ExecutionStatus(st) {
			case domain.ExecutionPending, domain.ExecutionRunning, domain.ExecutionWaiting, domain.ExecutionCompleted, domain.ExecutionFailed, domain.ExecutionCancelled:
				p.Status = append(p.Status, domain.ExecutionStatus(st))
			default:
				return nil, huma.Error400BadRequest(fmt.Sprintf("unknown status %q", st), &huma.ErrorDetail{Location: "query.status", Value: st})
			}
		}
		if err := executionNodeFilter(in, p); err != nil {
			return nil, err
		}
		if !in.From.IsZero() {
			p.CreatedAfter = &in.From
		}
		if !in.To.IsZero() {
			p.CreatedBefore = &in.To
		}
		if in.Test != "" {
			test := in.Test == "true"
			p.Test = &test
		}
		var items []domain.Execution
		if err := s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			items, err = tx.ExecutionList(ctx, p)
			return err
		}); err != nil {
			return nil, s.problem(ctx, "executions", err)
		}
		out := &ExecutionListOutput{}
		out.Body.Items = []ExecutionDTO{}
		for i := range items {
			if i == in.Limit {
				out.Body.NextCursor = items[i-1].ID.String()
				break
			}
			out.Body.Items = append(out.Body.Items, executionDTO(&items[i], false))
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-execution", Method: http.MethodGet, Path: Prefix + "/executions/{id}",
		Summary: "Get an execution with its context and steps", Tags: []string{"executions"}, Metadata: read,
	}, func(ctx context.Context, in *ExecutionIDInput) (*ExecutionOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var exec *domain.Execution
		var steps []domain.Step
		var effects []*domain.OutboxEntry
		var red *ai.Redactor
		var d ExecutionDTO
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			if exec, err = tx.ExecutionGetByID(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			if steps, err = tx.StepListByExecution(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			if effects, err = tx.OutboxListByExecution(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			d = executionDTO(exec, true)
			red, err = executionRedactor(ctx, tx, c.TenantID, d.Context)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "execution", err)
		}
		effectOf := make(map[uuid.UUID]*domain.OutboxEntry, len(effects))
		for _, o := range effects {
			effectOf[o.StepID] = o
		}
		d.Steps = make([]StepDTO, 0, len(steps))
		for i := range steps {
			sd := stepDTO(&steps[i])
			if o := effectOf[steps[i].ID]; o != nil {
				sd.Effect = stepEffectDTO(o)
			}
			d.Steps = append(d.Steps, sd)
		}
		// The view shows no personal data of the contact (see
		// executionRedactor); the contact's page does, to those who may
		// read contacts.
		redactExecution(&d, red)
		return &ExecutionOutput{Body: d}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "cancel-execution", Method: http.MethodPost, Path: Prefix + "/executions/{id}/cancel",
		Summary: "Cancel an execution in any non-terminal state", Tags: []string{"executions"}, Metadata: run,
		Errors: []int{http.StatusConflict},
	}, func(ctx context.Context, in *ExecutionIDInput) (*ExecutionOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		exec, err := s.deps.Engine.Cancel(ctx, c.TenantID, in.ID)
		if err != nil {
			return nil, s.executionProblem(ctx, err)
		}
		return &ExecutionOutput{Body: executionDTO(exec, false)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "retry-execution", Method: http.MethodPost, Path: Prefix + "/executions/{id}/retry",
		Summary: "Retry a FAILED execution from its failed step", Tags: []string{"executions"}, Metadata: run,
		Errors: []int{http.StatusConflict},
	}, func(ctx context.Context, in *ExecutionIDInput) (*ExecutionOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		exec, err := s.deps.Engine.Retry(ctx, c.TenantID, in.ID)
		if err != nil {
			return nil, s.executionProblem(ctx, err)
		}
		return &ExecutionOutput{Body: executionDTO(exec, false)}, nil
	})

	s.registerWorkflowStats()
	s.registerAnalytics()

	if s.deps.Live != nil {
		sse.Register(api, huma.Operation{
			OperationID: "stream-executions", Method: http.MethodGet, Path: Prefix + "/executions/stream",
			Summary: "Server-sent events of execution and step changes in the workspace",
			Description: "Each `change` event carries {kind: execution|step, executionId, workflowId, status, stepId?, nodeId?, at}. Filter with workflowId or executionId. A `ping` comment-like event is sent every 15 s. " +
				"The stream rechecks its credentials every few seconds: after logout, removal from the workspace, a role or key that no longer reads executions, or a revoked API key it sends one `revoked` event and ends (do not reconnect). It also ends, without that event, when the server shuts down (reconnect).",
			Tags: []string{"executions"}, Metadata: map[string]any{MetaPermission: PermExecutionsRead, MetaNoTenant: true},
		}, map[string]any{"change": live.Event{}, "ping": pingEvent{}, "revoked": revokedEvent{}}, s.streamExecutions)
	}
}

// executionNodeFilter reads the list's node filters into p: nodeStatus
// and handle need nodeId.
func executionNodeFilter(in *ExecutionListInput, p *store.ExecutionListParams) error {
	if in.NodeID == "" {
		if in.NodeStatus != "" || in.Handle != "" {
			return huma.Error400BadRequest("nodeStatus and handle filter the steps at one node: give nodeId too",
				&huma.ErrorDetail{Location: "query.nodeId", Message: "required with nodeStatus or handle"})
		}
		return nil
	}
	p.NodeID = in.NodeID
	for _, st := range strings.Split(in.NodeStatus, ",") {
		if st = strings.ToUpper(strings.TrimSpace(st)); st == "" {
			continue
		}
		switch domain.StepStatus(st) {
		case domain.StepRunning, domain.StepWaiting, domain.StepCompleted, domain.StepFailed, domain.StepCancelled:
			p.NodeStatus = append(p.NodeStatus, domain.StepStatus(st))
		default:
			return huma.Error400BadRequest(fmt.Sprintf("unknown step status %q", st), &huma.ErrorDetail{Location: "query.nodeStatus", Value: st})
		}
	}
	if in.Handle != "" {
		p.NodeHandle = &in.Handle
	}
	return nil
}

type pingEvent struct {
	At time.Time `json:"at"`
}

// keyCheck names the confirmation of an API key for a permission, which
// the starts of one transaction share (Engine.StartChecked).
type keyCheck struct {
	keyID uuid.UUID
	perm  auth.Permission
}

// startProblem is executionProblem for a start whose caller was
// confirmed in its transaction: 401 or 403 when the caller's API key no
// longer stands.
func (s *Server) startProblem(ctx context.Context, err error) error {
	if p := cachedKeyProblem(err); p != nil {
		return p
	}
	return s.executionProblem(ctx, err)
}

// executionProblem maps engine errors to problems.
func (s *Server) executionProblem(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, engine.ErrNoVersion):
		return huma.Error409Conflict("publish the workflow before running it")
	case errors.Is(err, engine.ErrInactive):
		return huma.Error409Conflict("the workflow is not active")
	case errors.Is(err, engine.ErrTerminal):
		return huma.Error409Conflict("the execution has already finished")
	case errors.Is(err, engine.ErrNotFailed):
		return huma.Error409Conflict("only a FAILED execution can be retried")
	case errors.Is(err, engine.ErrBadDefinition):
		return huma.Error422UnprocessableEntity(err.Error())
	}
	return s.problem(ctx, "execution", err)
}
