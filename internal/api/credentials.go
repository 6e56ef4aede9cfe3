package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/credential"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// CredentialDTO is a workspace credential as the API shows it: its name
// and metadata, never its value.
type CredentialDTO struct {
	Name        string     `json:"name" example:"STRIPE_KEY"`
	Kind        string     `json:"kind" enum:"generic,http_header,webhook_secret"`
	Description string     `json:"description"`
	CreatedBy   *uuid.UUID `json:"createdBy,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	Reference   string     `json:"reference" doc:"How a node config refers to it in templates" example:"{{ secrets.STRIPE_KEY }}"`
}

func credentialDTO(c *domain.Credential) CredentialDTO {
	return CredentialDTO{Name: c.Name, Kind: c.Kind, Description: c.Description, CreatedBy: c.CreatedBy,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Reference: "{{ secrets." + c.Name + " }}"}
}

// CredentialValueDTO is a credential's new value, kind and description.
type CredentialValueDTO struct {
	Kind        string `json:"kind,omitempty" enum:"generic,http_header,webhook_secret" default:"generic"`
	Description string `json:"description,omitempty" maxLength:"500"`
	Value       string `json:"value" minLength:"1" maxLength:"16384" writeOnly:"true" doc:"The secret; stored encrypted and never returned"`
}

// CredentialCreateDTO is a new credential.
type CredentialCreateDTO struct {
	Name        string `json:"name" minLength:"1" maxLength:"64" pattern:"^[A-Za-z0-9_]+$" doc:"Letters, digits and _; unique in the workspace"`
	Kind        string `json:"kind,omitempty" enum:"generic,http_header,webhook_secret" default:"generic"`
	Description string `json:"description,omitempty" maxLength:"500"`
	Value       string `json:"value" minLength:"1" maxLength:"16384" writeOnly:"true" doc:"The secret; stored encrypted and never returned"`
}

// CredentialCreateInput carries a new credential.
type CredentialCreateInput struct {
	Body CredentialCreateDTO
}

// CredentialNameInput names a credential in the path.
type CredentialNameInput struct {
	Name string `path:"name" maxLength:"64"`
}

// CredentialReplaceInput names a credential and carries its new value.
type CredentialReplaceInput struct {
	Name string `path:"name" maxLength:"64"`
	Body CredentialValueDTO
}

// CredentialOutput is a credential's metadata (never its value), never
// cached.
type CredentialOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         CredentialDTO
}

// CredentialListOutput is the workspace's credentials.
type CredentialListOutput struct {
	Body []CredentialDTO
}

func (s *Server) registerCredentials() {
	if s.deps.Credentials == nil {
		return
	}
	tags := []string{"credentials"}
	read := map[string]any{MetaPermission: auth.PermCredentialsRead}
	manage := map[string]any{MetaPermission: auth.PermCredentialsManage}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}

	huma.Register(s.api, huma.Operation{
		OperationID: "list-credentials", Method: http.MethodGet, Path: Prefix + "/credentials",
		Summary: "List the workspace's credentials (names and metadata; values are never returned)", Tags: tags,
		Metadata: read, Errors: errs,
	}, func(ctx context.Context, _ *NoInput) (*CredentialListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var list []domain.Credential
		if err := s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			list, err = tx.CredentialList(ctx, c.TenantID)
			return err
		}); err != nil {
			return nil, s.problem(ctx, "credentials", err)
		}
		out := make([]CredentialDTO, 0, len(list))
		for i := range list {
			out = append(out, credentialDTO(&list[i]))
		}
		return &CredentialListOutput{Body: out}, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "create-credential", Method: http.MethodPost, Path: Prefix + "/credentials",
		Summary:     "Create a credential",
		Description: "The value is encrypted at rest and never returned, not even to an ADMIN. Node configs refer to it as `{{ secrets.NAME }}` or, on trigger.webhook, with `secretCredential: NAME`.",
		Tags:        tags, DefaultStatus: http.StatusCreated, Metadata: manage,
		Errors: append(errs, http.StatusConflict, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *CredentialCreateInput) (*CredentialOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		inp := credential.Input{Name: in.Body.Name, Kind: in.Body.Kind, Description: in.Body.Description, Value: in.Body.Value}
		var cr *domain.Credential
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			var err error
			if cr, err = s.deps.Credentials.InsertTx(ctx, tx, c.TenantID, inp, c.UserID); err != nil {
				return err
			}
			return auditCredential(ctx, tx, c, "credential.created", cr)
		})
		if errors.Is(err, store.ErrConflict) {
			return nil, huma.Error409Conflict(fmt.Sprintf("a credential named %s already exists: replace its value instead", in.Body.Name),
				&huma.ErrorDetail{Location: "body.name", Message: "taken", Value: in.Body.Name})
		}
		if err != nil {
			return nil, s.credentialProblem(ctx, err)
		}
		return &CredentialOutput{CacheControl: "no-store", Body: credentialDTO(cr)}, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "replace-credential", Method: http.MethodPut, Path: Prefix + "/credentials/{name}",
		Summary: "Replace a credential's value (and kind and description)", Tags: tags, Metadata: manage,
		Errors: append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *CredentialReplaceInput) (*CredentialOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		inp := credential.Input{Name: in.Name, Kind: in.Body.Kind, Description: in.Body.Description, Value: in.Body.Value}
		var cr *domain.Credential
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			var err error
			if cr, err = s.deps.Credentials.ReplaceTx(ctx, tx, c.TenantID, inp); err != nil {
				return err
			}
			return auditCredential(ctx, tx, c, "credential.replaced", cr)
		})
		if err != nil {
			return nil, s.credentialProblem(ctx, err)
		}
		return &CredentialOutput{CacheControl: "no-store", Body: credentialDTO(cr)}, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "delete-credential", Method: http.MethodDelete, Path: Prefix + "/credentials/{name}",
		Summary:     "Delete a credential",
		Description: "Refused with 409, naming the workflows, while a workflow's draft or published version refers to it: change those workflows first.",
		Tags:        tags, DefaultStatus: http.StatusNoContent, Metadata: manage,
		Errors: append(errs, http.StatusConflict),
	}, func(ctx context.Context, in *CredentialNameInput) (*NoContentOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			cr, err := tx.CredentialGetByName(ctx, c.TenantID, in.Name)
			if err != nil {
				return err
			}
			users, err := credentialUsers(ctx, tx, c.TenantID, in.Name)
			if err != nil {
				return err
			}
			if len(users) > 0 {
				details := make([]error, 0, len(users))
				for _, u := range users {
					details = append(details, &huma.ErrorDetail{Location: "workflow", Message: u.Name, Value: u.ID})
				}
				names := make([]string, 0, len(users))
				for _, u := range users {
					names = append(names, u.Name)
				}
				return huma.Error409Conflict(fmt.Sprintf("credential %s is used by %d workflow(s): %s", in.Name, len(users), strings.Join(names, ", ")), details...)
			}
			if err := tx.CredentialDelete(ctx, c.TenantID, in.Name); err != nil {
				return err
			}
			return auditCredential(ctx, tx, c, "credential.deleted", cr)
		})
		if err != nil {
			return nil, s.credentialProblem(ctx, err)
		}
		return nil, nil
	})
}

func (s *Server) credentialProblem(ctx context.Context, err error) error {
	var ie *credential.InvalidError
	if errors.As(err, &ie) {
		return huma.Error422UnprocessableEntity(ie.Error(), &huma.ErrorDetail{Location: "body." + ie.Field, Message: ie.Message})
	}
	return s.problem(ctx, "credential", err)
}

// auditCredential records a change of a credential (never its value).
func auditCredential(ctx context.Context, tx store.Tx, c *Caller, action string, cr *domain.Credential) error {
	actorType, actorID := "user", c.UserID
	if c.APIKeyID != nil {
		actorType, actorID = "api_key", c.APIKeyID
	}
	data, _ := json.Marshal(map[string]string{"kind": cr.Kind})
	if err := tx.AuditInsert(ctx, &store.AuditInsertParams{TenantID: c.TenantID, ActorType: actorType, ActorID: actorID,
		Action: action, TargetType: "credential", TargetID: cr.Name, Data: data, IP: c.IP}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

type workflowRef struct {
	ID   uuid.UUID
	Name string
}

// credentialUsers lists the workflows whose draft or current published
// version refers to the credential.
func credentialUsers(ctx context.Context, tx store.Tx, tenantID uuid.UUID, name string) ([]workflowRef, error) {
	var out []workflowRef
	before := uuid.Nil
	for {
		page, err := tx.WorkflowList(ctx, &store.WorkflowListParams{TenantID: tenantID, Before: before, Limit: 200})
		if err != nil {
			return nil, err
		}
		for i := range page {
			w := &page[i]
			defs := []json.RawMessage{w.Definition}
			if w.CurrentVersionID != nil {
				v, err := tx.WorkflowVersionGetByID(ctx, tenantID, *w.CurrentVersionID)
				if err != nil {
					return nil, err
				}
				defs = append(defs, v.Definition)
			}
			for _, raw := range defs {
				def, err := workflow.Parse(raw)
				if err != nil {
					continue
				}
				if _, ok := workflow.SecretRefs(def)[name]; ok {
					out = append(out, workflowRef{ID: w.ID, Name: w.Name})
					break
				}
			}
		}
		if len(page) < 200 {
			break
		}
		before = page[len(page)-1].ID
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
