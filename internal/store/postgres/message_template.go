package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toMessageTemplate(r dbsqlc.MessageTemplate) *domain.MessageTemplate {
	return &domain.MessageTemplate{
		ID:          r.ID,
		TenantID:    r.TenantID,
		Channel:     domain.ChannelKind(r.Channel),
		Name:        r.Name,
		Description: r.Description,
		Content:     r.Content,
		CreatedBy:   r.CreatedBy,
		CreatedAt:   utc(r.CreatedAt),
		UpdatedAt:   utc(r.UpdatedAt),
	}
}

// MessageTemplateInsert creates a template; a taken name is
// store.ErrConflict.
func (t *tx) MessageTemplateInsert(ctx context.Context, p *store.MessageTemplateInsertParams) (*domain.MessageTemplate, error) {
	r, err := t.q.MessageTemplateInsert(ctx, dbsqlc.MessageTemplateInsertParams{
		TenantID: p.TenantID, ID: newID(p.ID), Channel: string(p.Channel), Name: p.Name, Description: p.Description,
		Content: jsonOrEmpty(p.Content), CreatedBy: p.CreatedBy,
	})
	if err != nil {
		return nil, translateInsert(err, "insert template %q", p.Name)
	}
	return toMessageTemplate(r), nil
}

// MessageTemplateGetByID returns a tenant's template.
func (t *tx) MessageTemplateGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.MessageTemplate, error) {
	r, err := t.q.MessageTemplateGetByID(ctx, dbsqlc.MessageTemplateGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "get template %s", id)
	}
	return toMessageTemplate(r), nil
}

// MessageTemplateGetByName returns a tenant's template of a channel by
// name.
func (t *tx) MessageTemplateGetByName(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, name string) (*domain.MessageTemplate, error) {
	r, err := t.q.MessageTemplateGetByName(ctx, dbsqlc.MessageTemplateGetByNameParams{TenantID: tenantID, Channel: string(channel), Name: name})
	if err != nil {
		return nil, translate(err, "get %s template %q", channel, name)
	}
	return toMessageTemplate(r), nil
}

// MessageTemplateList returns a tenant's templates by channel and name.
func (t *tx) MessageTemplateList(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind) ([]domain.MessageTemplate, error) {
	rows, err := t.q.MessageTemplateList(ctx, dbsqlc.MessageTemplateListParams{TenantID: tenantID, Channel: string(channel)})
	if err != nil {
		return nil, translate(err, "list templates of tenant %s", tenantID)
	}
	out := make([]domain.MessageTemplate, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toMessageTemplate(r))
	}
	return out, nil
}

// MessageTemplateUpdate replaces a template; the name is checked first so
// a conflict leaves the transaction usable.
func (t *tx) MessageTemplateUpdate(ctx context.Context, p *store.MessageTemplateUpdateParams) (*domain.MessageTemplate, error) {
	taken, err := t.q.MessageTemplateNameTaken(ctx, dbsqlc.MessageTemplateNameTakenParams{TenantID: p.TenantID, Name: p.Name, ID: p.ID})
	if err != nil {
		return nil, translate(err, "update template %s", p.ID)
	}
	if taken {
		return nil, fmt.Errorf("update template %s: name %q: %w", p.ID, p.Name, store.ErrConflict)
	}
	r, err := t.q.MessageTemplateUpdate(ctx, dbsqlc.MessageTemplateUpdateParams{
		TenantID: p.TenantID, ID: p.ID, Name: p.Name, Description: p.Description, Content: jsonOrEmpty(p.Content),
	})
	if err != nil {
		return nil, translate(err, "update template %s", p.ID)
	}
	return toMessageTemplate(r), nil
}

// MessageTemplateDelete deletes a template.
func (t *tx) MessageTemplateDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.MessageTemplateDelete(ctx, dbsqlc.MessageTemplateDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete template %s", id)
}
