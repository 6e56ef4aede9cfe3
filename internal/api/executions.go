package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/sse"
	"github.com/google/uuid"

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
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, StartedAt: e.StartedAt, FinishedAt: e.FinishedAt}
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

type executionOutput struct{ Body ExecutionDTO }

type startExecutionBody struct {
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

	huma.Register(api, huma.Operation{
		OperationID: "start-execution", Method: http.MethodPost, Path: Prefix + "/workflows/{id}/executions",
		Summary:     "Start an execution of a workflow's published version",
		Description: "Manual starts are allowed while the workflow is inactive (test runs). Answers 202 at once; follow the execution through GET /executions/{id} or the stream.",
		Tags:        []string{"executions"}, Metadata: run, DefaultStatus: http.StatusAccepted,
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		ID   uuid.UUID `path:"id"`
		Body *startExecutionBody
	}) (*executionOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		body := in.Body
		if body == nil {
			body = &startExecutionBody{}
		}
		p := engine.StartParams{TenantID: c.TenantID, WorkflowID: in.ID, TriggerType: engine.TriggerManual,
			ContactID: body.ContactID, Contact: body.Contact, IdempotencyKey: body.IdempotencyKey}
		if body.Input != nil {
			p.Input, _ = json.Marshal(body.Input)
		}
		var exec *domain.Execution
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
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
			return nil, s.executionProblem(ctx, err)
		}
		return &executionOutput{Body: executionDTO(exec, false)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-executions", Method: http.MethodGet, Path: Prefix + "/executions",
		Summary: "List executions, newest first", Tags: []string{"executions"}, Metadata: read,
	}, func(ctx context.Context, in *struct {
		WorkflowID string    `query:"workflowId" doc:"Only this workflow's executions"`
		Status     string    `query:"status" doc:"Comma-separated statuses, e.g. FAILED,WAITING"`
		ContactID  string    `query:"contactId"`
		From       time.Time `query:"from" doc:"Created at or after (RFC 3339)"`
		To         time.Time `query:"to" doc:"Created before (RFC 3339)"`
		Cursor     string    `query:"cursor"`
		Limit      int       `query:"limit" minimum:"1" maximum:"200" default:"50"`
	}) (*struct {
		Body struct {
			Items      []ExecutionDTO `json:"items"`
			NextCursor string         `json:"nextCursor,omitempty"`
		}
	}, error) {
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
		if !in.From.IsZero() {
			p.CreatedAfter = &in.From
		}
		if !in.To.IsZero() {
			p.CreatedBefore = &in.To
		}
		var items []domain.Execution
		if err := s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			items, err = tx.ExecutionList(ctx, p)
			return err
		}); err != nil {
			return nil, s.problem(ctx, "executions", err)
		}
		out := &struct {
			Body struct {
				Items      []ExecutionDTO `json:"items"`
				NextCursor string         `json:"nextCursor,omitempty"`
			}
		}{}
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
	}, func(ctx context.Context, in *struct {
		ID uuid.UUID `path:"id"`
	}) (*executionOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var exec *domain.Execution
		var steps []domain.Step
		var effects []*domain.OutboxEntry
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			if exec, err = tx.ExecutionGetByID(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			if steps, err = tx.StepListByExecution(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			effects, err = tx.OutboxListByExecution(ctx, c.TenantID, in.ID)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "execution", err)
		}
		effectOf := make(map[uuid.UUID]*domain.OutboxEntry, len(effects))
		for _, o := range effects {
			effectOf[o.StepID] = o
		}
		d := executionDTO(exec, true)
		d.Steps = make([]StepDTO, 0, len(steps))
		for i := range steps {
			sd := stepDTO(&steps[i])
			if o := effectOf[steps[i].ID]; o != nil {
				sd.Effect = stepEffectDTO(o)
			}
			d.Steps = append(d.Steps, sd)
		}
		return &executionOutput{Body: d}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "cancel-execution", Method: http.MethodPost, Path: Prefix + "/executions/{id}/cancel",
		Summary: "Cancel an execution in any non-terminal state", Tags: []string{"executions"}, Metadata: run,
		Errors: []int{http.StatusConflict},
	}, func(ctx context.Context, in *struct {
		ID uuid.UUID `path:"id"`
	}) (*executionOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		exec, err := s.deps.Engine.Cancel(ctx, c.TenantID, in.ID)
		if err != nil {
			return nil, s.executionProblem(ctx, err)
		}
		return &executionOutput{Body: executionDTO(exec, false)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "retry-execution", Method: http.MethodPost, Path: Prefix + "/executions/{id}/retry",
		Summary: "Retry a FAILED execution from its failed step", Tags: []string{"executions"}, Metadata: run,
		Errors: []int{http.StatusConflict},
	}, func(ctx context.Context, in *struct {
		ID uuid.UUID `path:"id"`
	}) (*executionOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		exec, err := s.deps.Engine.Retry(ctx, c.TenantID, in.ID)
		if err != nil {
			return nil, s.executionProblem(ctx, err)
		}
		return &executionOutput{Body: executionDTO(exec, false)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-workflow-stats", Method: http.MethodGet, Path: Prefix + "/workflows/{id}/stats",
		Summary: "Execution counts per status and step counts per node (the builder's overlay)", Tags: []string{"executions"}, Metadata: read,
	}, func(ctx context.Context, in *workflowIDInput) (*struct {
		Body struct {
			Executions map[string]int            `json:"executions" doc:"Executions per status"`
			Nodes      map[string]map[string]int `json:"nodes" doc:"Step visits per node and status"`
		}
	}, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var byStatus map[domain.ExecutionStatus]int
		var byNode []store.NodeCount
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			if _, err := tx.WorkflowGetByID(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			if byStatus, err = tx.ExecutionCountByStatus(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			byNode, err = tx.StepCountByNode(ctx, c.TenantID, in.ID)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		out := &struct {
			Body struct {
				Executions map[string]int            `json:"executions" doc:"Executions per status"`
				Nodes      map[string]map[string]int `json:"nodes" doc:"Step visits per node and status"`
			}
		}{}
		out.Body.Executions = map[string]int{}
		out.Body.Nodes = map[string]map[string]int{}
		for st, n := range byStatus {
			out.Body.Executions[string(st)] = n
		}
		for _, nc := range byNode {
			if out.Body.Nodes[nc.NodeID] == nil {
				out.Body.Nodes[nc.NodeID] = map[string]int{}
			}
			out.Body.Nodes[nc.NodeID][string(nc.Status)] += nc.Count
		}
		return out, nil
	})

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

type pingEvent struct {
	At time.Time `json:"at"`
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

// webhook trigger --------------------------------------------------------

type webhookConfig struct {
	Respond          string `json:"respond"`
	Timeout          string `json:"timeout"`
	Auth             string `json:"auth"`
	SecretCredential string `json:"secretCredential"`
	// Secret is the plain secret of definitions from before credentials;
	// they are moved into credentials on start, and refused on save.
	Secret string `json:"secret"`
}

func (s *Server) registerWebhooks() {
	if s.deps.Engine == nil {
		return
	}
	huma.Register(s.api, huma.Operation{
		OperationID: "trigger-webhook", Method: http.MethodPost, Path: "/webhooks/{tenantId}/{id}",
		Summary: "Start a workflow through its trigger.webhook node",
		Description: "Public URL of a workflow with a trigger.webhook node. The node's auth decides what the request must carry: " +
			"signature: `X-NextFlow-Signature: sha256=<hex HMAC-SHA256 of the raw body keyed with the credential's value>`; " +
			"bearer: `Authorization: Bearer <the credential's value>` (not a workspace API key); none: nothing. " +
			"With respond=immediately (default) the answer is " +
			"202 with the execution ID; with respond=on_completion the request waits up to the node's timeout for the execution " +
			"to finish and answers with its status and context.",
		Tags: []string{"webhooks"}, Security: []map[string][]string{}, Metadata: map[string]any{MetaPublic: true, MetaOwnAuthorization: true},
		DefaultStatus: http.StatusAccepted, MaxBodyBytes: 256 << 10,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *struct {
		TenantID      uuid.UUID `path:"tenantId"`
		ID            uuid.UUID `path:"id"`
		Signature     string    `header:"X-NextFlow-Signature"`
		Authorization string    `header:"Authorization" doc:"Bearer <credential value>, for a node with auth bearer"`
		RawBody       []byte
	}) (*struct {
		Status int
		Body   ExecutionDTO
	}, error) {
		var wf *domain.Workflow
		var node *workflow.Node
		err := s.deps.Store.Read(ctx, in.TenantID, func(tx store.Tx) error {
			var err error
			wf, err = tx.WorkflowGetByID(ctx, in.TenantID, in.ID)
			if err != nil {
				return err
			}
			if wf.CurrentVersionID == nil || !wf.IsActive {
				return store.ErrNotFound
			}
			v, err := tx.WorkflowVersionGetByID(ctx, wf.TenantID, *wf.CurrentVersionID)
			if err != nil {
				return err
			}
			def, err := workflow.Parse(v.Definition)
			if err != nil {
				return err
			}
			for i := range def.Nodes {
				if def.Nodes[i].Type == "trigger.webhook" {
					node = &def.Nodes[i]
					break
				}
			}
			return nil
		})
		if err != nil || node == nil {
			return nil, huma.Error404NotFound("no active workflow with a webhook trigger at this URL")
		}
		var cfg webhookConfig
		_ = json.Unmarshal(node.Config, &cfg)
		if err := s.checkWebhookAuth(ctx, wf.TenantID, &cfg, in.Signature, in.Authorization, in.RawBody); err != nil {
			return nil, err
		}
		input := json.RawMessage(`{}`)
		if len(strings.TrimSpace(string(in.RawBody))) > 0 {
			var v map[string]any
			if err := json.Unmarshal(in.RawBody, &v); err != nil {
				return nil, huma.Error400BadRequest("body must be a JSON object")
			}
			input = in.RawBody
		}
		exec, err := s.deps.Engine.Start(ctx, engine.StartParams{TenantID: wf.TenantID, WorkflowID: wf.ID,
			TriggerType: "trigger.webhook", TriggerNodeID: node.ID, Input: input})
		if err != nil {
			return nil, s.executionProblem(ctx, err)
		}
		out := &struct {
			Status int
			Body   ExecutionDTO
		}{Status: http.StatusAccepted, Body: executionDTO(exec, false)}
		if cfg.Respond != "on_completion" {
			return out, nil
		}
		timeout := 10 * time.Second
		if d, err := workflow.ParseDuration(cfg.Timeout); err == nil && d > 0 {
			timeout = min(d, 5*time.Minute)
		}
		done, err := s.waitTerminal(ctx, wf.TenantID, exec.ID, timeout)
		if err != nil {
			return nil, s.problem(ctx, "execution", err)
		}
		out.Body = executionDTO(done, done.Status.Terminal())
		if done.Status.Terminal() {
			out.Status = http.StatusOK
		}
		return out, nil
	})
}

// waitTerminal polls an execution until it is terminal or timeout passes;
// polling works whichever node runs the execution.
func (s *Server) waitTerminal(ctx context.Context, tenantID, id uuid.UUID, timeout time.Duration) (*domain.Execution, error) {
	deadline := time.Now().Add(timeout)
	wait := 20 * time.Millisecond
	for {
		var exec *domain.Execution
		err := s.deps.Store.Read(ctx, tenantID, func(tx store.Tx) error {
			var err error
			exec, err = tx.ExecutionGetByID(ctx, tenantID, id)
			return err
		})
		if err != nil {
			return nil, err
		}
		if exec.Status.Terminal() || time.Now().After(deadline) {
			return exec, nil
		}
		select {
		case <-ctx.Done():
			return exec, nil
		case <-time.After(wait):
		}
		wait = min(wait*2, 250*time.Millisecond)
	}
}

// checkWebhookAuth checks a webhook request against its node's auth mode,
// with the secret from the node's credential, in constant time. Every
// failure is the same 401, whatever was wrong.
func (s *Server) checkWebhookAuth(ctx context.Context, tenantID uuid.UUID, cfg *webhookConfig, signature, authorization string, body []byte) error {
	mode := workflow.WebhookAuthMode(cfg.Auth, cfg.SecretCredential)
	if cfg.Secret != "" && cfg.SecretCredential == "" && cfg.Auth == "" {
		mode = workflow.WebhookAuthSignature // a definition from before credentials
	}
	if mode == workflow.WebhookAuthNone {
		return nil
	}
	refused := huma.Error401Unauthorized("X-NextFlow-Signature is missing or does not match the body")
	if mode == workflow.WebhookAuthBearer {
		refused = huma.Error401Unauthorized("Authorization: Bearer <token> is missing or wrong")
	}
	secret := cfg.Secret
	if cfg.SecretCredential != "" {
		if s.deps.Credentials == nil {
			s.log.ErrorContext(ctx, "webhook names a credential but credentials are not configured", "request_id", RequestIDFrom(ctx))
			return refused
		}
		v, err := s.deps.Credentials.Resolve(ctx, tenantID, cfg.SecretCredential)
		if err != nil {
			s.log.WarnContext(ctx, "webhook credential cannot be read", "credential", cfg.SecretCredential, "err", err, "request_id", RequestIDFrom(ctx))
			return refused
		}
		secret = v
	}
	if secret == "" {
		return refused
	}
	switch mode {
	case workflow.WebhookAuthSignature:
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(strings.TrimSpace(signature))) {
			return refused
		}
	case workflow.WebhookAuthBearer:
		scheme, token, _ := strings.Cut(strings.TrimSpace(authorization), " ")
		// Compare digests: equal lengths, so the time says nothing of the
		// secret's length either.
		got, want := sha256.Sum256([]byte(strings.TrimSpace(token))), sha256.Sum256([]byte(secret))
		if !strings.EqualFold(scheme, "Bearer") || !hmac.Equal(got[:], want[:]) {
			return refused
		}
	default:
		return refused
	}
	return nil
}
