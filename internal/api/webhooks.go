package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// WebhookInput is a request to a workflow's webhook URL, raw body included
// for the signature check.
type WebhookInput struct {
	TenantID      uuid.UUID `path:"tenantId"`
	ID            uuid.UUID `path:"id"`
	Signature     string    `header:"X-NextFlow-Signature"`
	Authorization string    `header:"Authorization" doc:"Bearer <credential value>, for a node with auth bearer"`
	RawBody       []byte
}

// WebhookOutput is the started execution: 202 at once, or 200 with the
// finished execution for respond=on_completion.
type WebhookOutput struct {
	Status int
	Body   ExecutionDTO
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
	}, func(ctx context.Context, in *WebhookInput) (*WebhookOutput, error) {
		started, err := s.deps.Engine.StartWebhook(ctx, engine.WebhookStart{TenantID: in.TenantID, WorkflowID: in.ID,
			Body: in.RawBody, Signature: in.Signature, Authorization: in.Authorization})
		if err != nil {
			return nil, s.webhookProblem(ctx, err)
		}
		exec := started.Execution
		out := &WebhookOutput{Status: http.StatusAccepted, Body: executionDTO(exec, false)}
		if started.Wait <= 0 {
			return out, nil
		}
		if exec.Status.Terminal() { // finished by its start
			out.Body, out.Status = executionDTO(exec, false), http.StatusOK
			out.Body.Context = webhookContextDTO(exec.Context)
			return out, nil
		}
		done, err := s.waitTerminal(ctx, in.TenantID, exec.ID, started.Wait)
		if err != nil {
			return nil, s.problem(ctx, "execution", err)
		}
		out.Body = executionDTO(done, false)
		if done.Status.Terminal() {
			out.Body.Context = webhookContextDTO(done.Context)
			out.Status = http.StatusOK
		}
		return out, nil
	})
}

// webhookContextDTO is contextDTO for the webhook's answer, which only
// encodes it: its parts stay the JSON they are stored as
// (engine.ContextViewJSON), the same document contextDTO's maps encode to.
func webhookContextDTO(raw json.RawMessage) map[string]any {
	if len(raw) == 0 {
		return nil
	}
	m, err := engine.ContextViewJSON(raw)
	if err != nil {
		return nil
	}
	return m
}

// webhookProblem maps StartWebhook's errors to problems. A refused request
// gets the same 401 whatever was wrong, naming only what its node's auth
// mode asks for.
func (s *Server) webhookProblem(ctx context.Context, err error) error {
	var refused *engine.WebhookAuthError
	switch {
	case errors.As(err, &refused):
		if refused.Mode == workflow.WebhookAuthBearer {
			return huma.Error401Unauthorized("Authorization: Bearer <token> is missing or wrong")
		}
		return huma.Error401Unauthorized("X-NextFlow-Signature is missing or does not match the body")
	case errors.Is(err, engine.ErrNotWebhook):
		return huma.Error404NotFound("no active workflow with a webhook trigger at this URL")
	case errors.Is(err, engine.ErrWebhookBody):
		return huma.Error400BadRequest("body must be a JSON object")
	}
	return s.executionProblem(ctx, err)
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
