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

// APIKeyDTO is an API key without its secret.
type APIKeyDTO struct {
	ID         uuid.UUID  `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix" doc:"The visible part of the key: nf_<prefix>_…"`
	Scopes     []string   `json:"scopes"`
	CreatedBy  *uuid.UUID `json:"createdBy,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
}

func apiKeyDTO(k *domain.APIKey) APIKeyDTO {
	scopes := k.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return APIKeyDTO{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: scopes, CreatedBy: k.CreatedBy,
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// APIKeyCreatedDTO is a new API key with its secret, shown once.
type APIKeyCreatedDTO struct {
	APIKeyDTO
	Key string `json:"key" doc:"The full key (nf_<prefix>_<secret>); it is shown only once"`
}

// APIKeyListOutput is the workspace's API keys.
type APIKeyListOutput struct {
	Body []APIKeyDTO
}

// APIKeyCreateDTO is the name and scopes of a new API key.
type APIKeyCreateDTO struct {
	Name   string   `json:"name" minLength:"1" maxLength:"200"`
	Scopes []string `json:"scopes" minItems:"1" maxItems:"4" uniqueItems:"true" doc:"full, or events:write for ingestion only"`
}

// APIKeyCreateInput carries a new API key's name and scopes.
type APIKeyCreateInput struct {
	Body APIKeyCreateDTO
}

// APIKeyCreateOutput is the new key with its secret, shown once and never
// cached.
type APIKeyCreateOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         APIKeyCreatedDTO
}

// APIKeyIDInput names an API key by its ID in the path.
type APIKeyIDInput struct {
	ID uuid.UUID `path:"id" doc:"API key ID"`
}

func (a *Accounts) registerAPIKeys(api huma.API) {
	tags := []string{"api-keys"}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}

	huma.Register(api, huma.Operation{
		OperationID: "list-api-keys", Method: http.MethodGet, Path: Prefix + "/api-keys",
		Summary: "List the workspace's API keys", Tags: tags,
		Metadata: map[string]any{MetaPermission: auth.PermAPIKeysRead}, Errors: errs,
	}, func(ctx context.Context, _ *NoInput) (*APIKeyListOutput, error) {
		p, err := mustPrincipal(ctx)
		if err != nil {
			return nil, err
		}
		keys, err := a.svc.ListAPIKeys(ctx, p)
		if err != nil {
			return nil, a.accountsProblem(ctx, "API keys", err)
		}
		out := make([]APIKeyDTO, 0, len(keys))
		for i := range keys {
			out = append(out, apiKeyDTO(&keys[i]))
		}
		return &APIKeyListOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-api-key", Method: http.MethodPost, Path: Prefix + "/api-keys",
		Summary: "Create an API key (the secret is shown once)", Tags: tags, DefaultStatus: http.StatusCreated,
		Metadata: map[string]any{MetaPermission: auth.PermAPIKeysManage},
		Errors:   append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *APIKeyCreateInput) (*APIKeyCreateOutput, error) {
		p, err := mustPrincipal(ctx)
		if err != nil {
			return nil, err
		}
		res, err := a.svc.CreateAPIKey(ctx, p, in.Body.Name, in.Body.Scopes, requestInfoFrom(ctx).meta())
		if err != nil {
			return nil, a.accountsProblem(ctx, "API key", err)
		}
		return &APIKeyCreateOutput{CacheControl: "no-store", Body: APIKeyCreatedDTO{APIKeyDTO: apiKeyDTO(res.Key), Key: res.Secret}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "revoke-api-key", Method: http.MethodDelete, Path: Prefix + "/api-keys/{id}",
		Summary: "Revoke an API key", Tags: tags, DefaultStatus: http.StatusNoContent,
		Metadata: map[string]any{MetaPermission: auth.PermAPIKeysManage}, Errors: errs,
	}, func(ctx context.Context, in *APIKeyIDInput) (*NoContentOutput, error) {
		p, err := mustPrincipal(ctx)
		if err != nil {
			return nil, err
		}
		if err := a.svc.RevokeAPIKey(ctx, p, in.ID, requestInfoFrom(ctx).meta()); err != nil {
			return nil, a.accountsProblem(ctx, "API key", err)
		}
		return nil, nil
	})
}
