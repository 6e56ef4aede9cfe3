package api

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
)

// AuditEntryDTO is one audit log entry.
type AuditEntryDTO struct {
	ID         uuid.UUID       `json:"id"`
	ActorType  string          `json:"actorType" enum:"user,api_key,system"`
	ActorID    *uuid.UUID      `json:"actorId,omitempty"`
	ActorName  string          `json:"actorName,omitempty" doc:"The member's name (or email) or the API key's name; empty when the actor no longer exists"`
	Action     string          `json:"action" example:"member.role_changed"`
	TargetType string          `json:"targetType,omitempty"`
	TargetID   string          `json:"targetId,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	IP         string          `json:"ip,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
}

// AuditListInput pages the audit log.
type AuditListInput struct {
	Cursor string `query:"cursor" doc:"nextCursor of the previous page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// AuditListDTO is one page of the audit log.
type AuditListDTO struct {
	Items      []AuditEntryDTO `json:"items"`
	NextCursor string          `json:"nextCursor,omitempty"`
}

// AuditListOutput is one page of the audit log.
type AuditListOutput struct {
	Body AuditListDTO
}

func (a *Accounts) registerAudit(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-audit-log", Method: http.MethodGet, Path: Prefix + "/audit-log",
		Summary: "The workspace's audit log, newest first", Tags: []string{"audit"},
		Metadata: map[string]any{MetaPermission: auth.PermAuditRead},
		Errors:   []int{http.StatusUnauthorized, http.StatusForbidden},
	}, func(ctx context.Context, in *AuditListInput) (*AuditListOutput, error) {
		p, err := mustPrincipal(ctx)
		if err != nil {
			return nil, err
		}
		before, err := parseCursor(in.Cursor)
		if err != nil {
			return nil, err
		}
		entries, err := a.svc.ListAudit(ctx, p, before, in.Limit+1)
		if err != nil {
			return nil, a.accountsProblem(ctx, "audit log", err)
		}
		out := &AuditListOutput{}
		out.Body.Items = []AuditEntryDTO{}
		if len(entries) > in.Limit {
			entries = entries[:in.Limit]
			out.Body.NextCursor = entries[len(entries)-1].ID.String()
		}
		names := a.actorNames(ctx, p)
		for _, e := range entries {
			var data json.RawMessage
			if len(e.Data) > 0 && json.Valid(e.Data) {
				data = e.Data
			}
			name := ""
			if e.ActorID != nil {
				name = names[*e.ActorID]
			}
			out.Body.Items = append(out.Body.Items, AuditEntryDTO{ID: e.ID, ActorType: e.ActorType, ActorID: e.ActorID, ActorName: name,
				Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, Data: data, IP: e.IP, CreatedAt: e.CreatedAt})
		}
		return out, nil
	})
}

// actorNames maps the workspace's members and API keys to the names the
// audit log shows. Names it cannot read (the caller may not list members
// or keys) are left out: the entry keeps its actor ID.
func (a *Accounts) actorNames(ctx context.Context, p *auth.Principal) map[uuid.UUID]string {
	names := map[uuid.UUID]string{}
	if members, err := a.svc.ListMembers(ctx, p); err == nil {
		for _, m := range members {
			names[m.User.ID] = cmp.Or(m.User.Name, m.User.Email)
		}
	}
	if keys, err := a.svc.ListAPIKeys(ctx, p); err == nil {
		for _, k := range keys {
			names[k.ID] = "API key “" + k.Name + "”"
		}
	}
	return names
}
