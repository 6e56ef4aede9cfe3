package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
)

// MemberDTO is a member of the workspace.
type MemberDTO struct {
	User     UserDTO     `json:"user"`
	Role     domain.Role `json:"role" enum:"OWNER,ADMIN,OPERATOR,VIEWER"`
	JoinedAt time.Time   `json:"joinedAt"`
}

// MemberIDInput names a member by their user ID in the path.
type MemberIDInput struct {
	UserID uuid.UUID `path:"userId" doc:"The member's user ID"`
}

// MemberRoleDTO is a member's new role.
type MemberRoleDTO struct {
	Role domain.Role `json:"role" enum:"OWNER,ADMIN,OPERATOR,VIEWER"`
}

// MemberUpdateInput names a member and carries their new role.
type MemberUpdateInput struct {
	UserID uuid.UUID `path:"userId" doc:"The member's user ID"`
	Body   MemberRoleDTO
}

// MemberOutput is one member of the workspace.
type MemberOutput struct {
	Body MemberDTO
}

// MemberListOutput is the members of the workspace.
type MemberListOutput struct {
	Body []MemberDTO
}

func (a *Accounts) registerMembers(api huma.API) {
	tags := []string{"members"}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}

	huma.Register(api, huma.Operation{
		OperationID: "list-members", Method: http.MethodGet, Path: Prefix + "/members",
		Summary: "List the members of the active workspace", Tags: tags,
		Metadata: map[string]any{MetaPermission: auth.PermMembersRead}, Errors: errs,
	}, func(ctx context.Context, _ *NoInput) (*MemberListOutput, error) {
		p, err := mustPrincipal(ctx)
		if err != nil {
			return nil, err
		}
		ms, err := a.svc.ListMembers(ctx, p)
		if err != nil {
			return nil, a.accountsProblem(ctx, "members", err)
		}
		out := make([]MemberDTO, 0, len(ms))
		for i := range ms {
			out = append(out, MemberDTO{User: userDTO(&ms[i].User), Role: ms[i].Role, JoinedAt: ms[i].CreatedAt})
		}
		return &MemberListOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-member", Method: http.MethodPatch, Path: Prefix + "/members/{userId}",
		Summary: "Change a member's role", Tags: tags,
		Description: "Granting or taking away OWNER needs owners:manage (OWNERs only); the last OWNER cannot be demoted.",
		Metadata:    map[string]any{MetaPermission: auth.PermMembersManage},
		Errors:      append(errs, http.StatusConflict, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *MemberUpdateInput) (*MemberOutput, error) {
		p, err := mustPrincipal(ctx)
		if err != nil {
			return nil, err
		}
		m, err := a.svc.ChangeMemberRole(ctx, p, in.UserID, in.Body.Role, requestInfoFrom(ctx).meta())
		if err != nil {
			return nil, a.accountsProblem(ctx, "member", err)
		}
		ms, err := a.svc.ListMembers(ctx, p)
		if err != nil {
			return nil, a.accountsProblem(ctx, "member", err)
		}
		for i := range ms {
			if ms[i].UserID == m.UserID {
				return &MemberOutput{Body: MemberDTO{User: userDTO(&ms[i].User), Role: ms[i].Role, JoinedAt: ms[i].CreatedAt}}, nil
			}
		}
		return nil, huma.Error404NotFound("member not found")
	})

	huma.Register(api, huma.Operation{
		OperationID: "remove-member", Method: http.MethodDelete, Path: Prefix + "/members/{userId}",
		Summary: "Remove a member from the workspace", Tags: tags, DefaultStatus: http.StatusNoContent,
		Metadata: map[string]any{MetaPermission: auth.PermMembersManage},
		Errors:   append(errs, http.StatusConflict),
	}, func(ctx context.Context, in *MemberIDInput) (*NoContentOutput, error) {
		p, err := mustPrincipal(ctx)
		if err != nil {
			return nil, err
		}
		if err := a.svc.RemoveMember(ctx, p, in.UserID, requestInfoFrom(ctx).meta()); err != nil {
			return nil, a.accountsProblem(ctx, "member", err)
		}
		return nil, nil
	})
}
