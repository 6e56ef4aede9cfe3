package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/nextflow-dev/nextflow/internal/auth"
)

// WorkspaceCreateBody names a new workspace.
type WorkspaceCreateBody struct {
	Name string `json:"name" minLength:"1" maxLength:"100" example:"Acme EU"`
}

// WorkspaceCreateInput is the body of create-workspace.
type WorkspaceCreateInput struct {
	Body WorkspaceCreateBody
}

// WorkspaceCreateOutput is the workspace created.
type WorkspaceCreateOutput struct {
	Body TenantDTO
}

func (a *Accounts) registerWorkspaces(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "create-workspace", Method: http.MethodPost, Path: Prefix + "/workspaces",
		Summary:       "Create a workspace the signed-in user owns",
		Description:   "The caller becomes its OWNER. The session's active workspace does not change: switch to the new one with switch-tenant.",
		Tags:          []string{"auth"},
		DefaultStatus: http.StatusCreated,
		Metadata:      map[string]any{MetaNoTenant: true},
		Errors:        []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *WorkspaceCreateInput) (*WorkspaceCreateOutput, error) {
		p, err := mustUser(ctx)
		if err != nil {
			return nil, err
		}
		t, err := a.svc.CreateWorkspace(ctx, p, in.Body.Name, requestInfoFrom(ctx).meta())
		if errors.Is(err, auth.ErrWorkspaceLimit) {
			return nil, huma.Error409Conflict(auth.ErrWorkspaceLimit.Error())
		}
		if err != nil {
			return nil, a.accountsProblem(ctx, "workspace", err)
		}
		return &WorkspaceCreateOutput{Body: tenantDTO(t)}, nil
	})
}
