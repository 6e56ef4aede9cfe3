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

// InvitationDTO is an invitation to the workspace.
type InvitationDTO struct {
	ID         uuid.UUID   `json:"id"`
	Email      string      `json:"email"`
	Role       domain.Role `json:"role" enum:"OWNER,ADMIN,OPERATOR,VIEWER"`
	Status     string      `json:"status" enum:"pending,accepted,expired"`
	InvitedBy  uuid.UUID   `json:"invitedBy"`
	CreatedAt  time.Time   `json:"createdAt"`
	ExpiresAt  time.Time   `json:"expiresAt"`
	AcceptedAt *time.Time  `json:"acceptedAt,omitempty"`
}

func invitationDTO(inv *domain.Invitation, now time.Time) InvitationDTO {
	st := "pending"
	switch {
	case inv.AcceptedAt != nil:
		st = "accepted"
	case !now.Before(inv.ExpiresAt):
		st = "expired"
	}
	return InvitationDTO{ID: inv.ID, Email: inv.Email, Role: inv.Role, Status: st, InvitedBy: inv.InvitedBy,
		CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt, AcceptedAt: inv.AcceptedAt}
}

// InvitationCreatedDTO is a new invitation with its accept link, shown once.
type InvitationCreatedDTO struct {
	InvitationDTO
	AcceptURL string `json:"acceptUrl" doc:"Share this link with the invitee; it is shown only once"`
	Emailed   bool   `json:"emailed" doc:"Whether an invitation email was sent"`
}

// AcceptInvitationDTO is an invitation token with what a new account
// needs, or the existing account's password.
type AcceptInvitationDTO struct {
	Token    string `json:"token" minLength:"1" maxLength:"100"`
	Name     string `json:"name,omitempty" maxLength:"200" doc:"For a new account"`
	Password string `json:"password,omitempty" maxLength:"256" doc:"A new account's password, or the existing account's to sign in"`
}

// AcceptInvitationInput carries an invitation token and the account's
// details.
type AcceptInvitationInput struct {
	Body AcceptInvitationDTO
}

// InvitationCreateDTO is whom to invite, with which role.
type InvitationCreateDTO struct {
	Email string      `json:"email" format:"email" maxLength:"254"`
	Role  domain.Role `json:"role" enum:"OWNER,ADMIN,OPERATOR,VIEWER"`
}

// InvitationCreateInput carries whom to invite, with which role.
type InvitationCreateInput struct {
	Body InvitationCreateDTO
}

// InvitationCreateOutput is the new invitation with its accept link.
type InvitationCreateOutput struct {
	Body InvitationCreatedDTO
}

// InvitationListOutput is the workspace's invitations.
type InvitationListOutput struct {
	Body []InvitationDTO
}

// InvitationIDInput names an invitation by its ID in the path.
type InvitationIDInput struct {
	ID uuid.UUID `path:"id" doc:"Invitation ID"`
}

func (a *Accounts) registerInvitations(api huma.API) {
	tags := []string{"members"}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}

	huma.Register(api, huma.Operation{
		OperationID: "list-invitations", Method: http.MethodGet, Path: Prefix + "/invitations",
		Summary: "List the workspace's invitations", Tags: tags,
		Metadata: map[string]any{MetaPermission: auth.PermMembersRead}, Errors: errs,
	}, func(ctx context.Context, _ *NoInput) (*InvitationListOutput, error) {
		p, err := mustPrincipal(ctx)
		if err != nil {
			return nil, err
		}
		invs, err := a.svc.ListInvitations(ctx, p)
		if err != nil {
			return nil, a.accountsProblem(ctx, "invitations", err)
		}
		now := time.Now()
		out := make([]InvitationDTO, 0, len(invs))
		for i := range invs {
			out = append(out, invitationDTO(&invs[i], now))
		}
		return &InvitationListOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-invitation", Method: http.MethodPost, Path: Prefix + "/invitations",
		Summary: "Invite someone by email", Tags: tags, DefaultStatus: http.StatusCreated,
		Description: "Returns the accept link once; it is also emailed when an SMTP server and NEXTFLOW_BASE_URL are configured. Inviting an OWNER needs owners:manage.",
		Metadata:    map[string]any{MetaPermission: auth.PermMembersManage},
		Errors:      append(errs, http.StatusConflict, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *InvitationCreateInput) (*InvitationCreateOutput, error) {
		p, err := mustPrincipal(ctx)
		if err != nil {
			return nil, err
		}
		ri := requestInfoFrom(ctx)
		res, err := a.svc.CreateInvitation(ctx, p, in.Body.Email, in.Body.Role, ri.Origin, ri.meta())
		if err != nil {
			return nil, a.accountsProblem(ctx, "invitation", err)
		}
		return &InvitationCreateOutput{Body: InvitationCreatedDTO{
			InvitationDTO: invitationDTO(res.Invitation, time.Now()), AcceptURL: res.URL, Emailed: res.Emailed,
		}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "revoke-invitation", Method: http.MethodDelete, Path: Prefix + "/invitations/{id}",
		Summary: "Revoke an invitation", Tags: tags, DefaultStatus: http.StatusNoContent,
		Metadata: map[string]any{MetaPermission: auth.PermMembersManage}, Errors: errs,
	}, func(ctx context.Context, in *InvitationIDInput) (*NoContentOutput, error) {
		p, err := mustPrincipal(ctx)
		if err != nil {
			return nil, err
		}
		if err := a.svc.RevokeInvitation(ctx, p, in.ID, requestInfoFrom(ctx).meta()); err != nil {
			return nil, a.accountsProblem(ctx, "invitation", err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "accept-invitation", Method: http.MethodPost, Path: Prefix + "/invitations/accept",
		Summary: "Accept an invitation and sign in", Tags: tags, Security: []map[string][]string{},
		Description: "A new account sends name and password; an existing account sends its password (or is already signed in as the invited email).",
		Metadata:    map[string]any{MetaPublic: true, MetaCSRF: true},
		Errors:      []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *AcceptInvitationInput) (*MeOutput, error) {
		ri := requestInfoFrom(ctx)
		var current *auth.Principal
		if p := auth.FromContext(ctx); p != nil && p.Kind == auth.KindUser {
			current = p
		}
		res, err := a.svc.AcceptInvitation(ctx, auth.AcceptInput{
			Token: in.Body.Token, Name: in.Body.Name, Password: in.Body.Password, Current: current,
		}, ri.meta())
		if err != nil {
			return nil, a.passwordProblem(ctx, "invitation", err)
		}
		out, err := a.meOutput(ctx, principalOf(res))
		if err != nil {
			return nil, err
		}
		if res.Token != "" {
			out.SetCookie = []http.Cookie{sessionCookie(res.Token, res.Session.ExpiresAt, ri.Secure)}
		}
		return out, nil
	})
}
