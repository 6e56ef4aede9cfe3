package sqlite

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func messageTemplateFromRow(r dbsqlc.MessageTemplate) *domain.MessageTemplate {
	return &domain.MessageTemplate{
		ID:          r.ID,
		TenantID:    r.TenantID,
		Channel:     domain.ChannelKind(r.Channel),
		Name:        r.Name,
		Description: r.Description,
		Content:     json.RawMessage(r.Content),
		CreatedBy:   uuidPtr(r.CreatedBy),
		CreatedAt:   r.CreatedAt.UTC(),
		UpdatedAt:   r.UpdatedAt.UTC(),
	}
}

// MessageTemplateInsert creates a template; a taken name is
// store.ErrConflict.
func (t *tx) MessageTemplateInsert(ctx context.Context, p *store.MessageTemplateInsertParams) (*domain.MessageTemplate, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	r, err := t.q.MessageTemplateInsert(ctx, t.tx, &dbsqlc.MessageTemplateInsertParams{
		ID: id, TenantID: p.TenantID, Channel: string(p.Channel), Name: p.Name, Description: p.Description,
		Content: jsonRequired(p.Content), CreatedBy: nullUUID(p.CreatedBy), Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "insert template %q", p.Name)
	}
	return messageTemplateFromRow(r), nil
}

// MessageTemplateGetByID returns a tenant's template.
func (t *tx) MessageTemplateGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.MessageTemplate, error) {
	r, err := t.q.MessageTemplateGetByID(ctx, t.tx, &dbsqlc.MessageTemplateGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, wrap(err, "get template %s", id)
	}
	return messageTemplateFromRow(r), nil
}

// MessageTemplateGetByName returns a tenant's template of a channel by
// name.
func (t *tx) MessageTemplateGetByName(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, name string) (*domain.MessageTemplate, error) {
	r, err := t.q.MessageTemplateGetByName(ctx, t.tx, &dbsqlc.MessageTemplateGetByNameParams{TenantID: tenantID, Channel: string(channel), Name: name})
	if err != nil {
		return nil, wrap(err, "get %s template %q", channel, name)
	}
	return messageTemplateFromRow(r), nil
}

// MessageTemplateList returns a tenant's templates by channel and name.
func (t *tx) MessageTemplateList(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind) ([]domain.MessageTemplate, error) {
	rows, err := t.q.MessageTemplateList(ctx, t.tx, &dbsqlc.MessageTemplateListParams{TenantID: tenantID, Channel: string(channel)})
	if err != nil {
		return nil, wrap(err, "list templates of tenant %s", tenantID)
	}
	out := make([]domain.MessageTemplate, 0, len(rows))
	for _, r := range rows {
		out = append(out, *messageTemplateFromRow(r))
	}
	return out, nil
}

// MessageTemplateUpdate replaces a template.
func (t *tx) MessageTemplateUpdate(ctx context.Context, p *store.MessageTemplateUpdateParams) (*domain.MessageTemplate, error) {
	r, err := t.q.MessageTemplateUpdate(ctx, t.tx, &dbsqlc.MessageTemplateUpdateParams{
		TenantID: p.TenantID, ID: p.ID, Name: p.Name, Description: p.Description, Content: jsonRequired(p.Content), Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "update template %s", p.ID)
	}
	return messageTemplateFromRow(r), nil
}

// MessageTemplateDelete deletes a template.
func (t *tx) MessageTemplateDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.MessageTemplateDelete(ctx, t.tx, &dbsqlc.MessageTemplateDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete template %s", id)
}
