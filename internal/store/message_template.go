package store

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// MessageTemplateStore holds message templates.
type MessageTemplateStore interface {
	// MessageTemplateInsert creates a template; a name taken in the tenant
	// and channel is ErrConflict.
	MessageTemplateInsert(ctx context.Context, p *MessageTemplateInsertParams) (*domain.MessageTemplate, error)
	MessageTemplateGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.MessageTemplate, error)
	MessageTemplateGetByName(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, name string) (*domain.MessageTemplate, error)
	// MessageTemplateList returns a tenant's templates by channel, then
	// name; of one channel when channel is not empty.
	MessageTemplateList(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind) ([]domain.MessageTemplate, error)
	// MessageTemplateUpdate replaces a template's name, description and
	// content (its channel stays); a name taken is ErrConflict.
	MessageTemplateUpdate(ctx context.Context, p *MessageTemplateUpdateParams) (*domain.MessageTemplate, error)
	MessageTemplateDelete(ctx context.Context, tenantID, id uuid.UUID) error
}

// MessageTemplateInsertParams creates a template.
type MessageTemplateInsertParams struct {
	TenantID    uuid.UUID
	ID          uuid.UUID // zero: generated
	Channel     domain.ChannelKind
	Name        string
	Description string
	Content     json.RawMessage
	CreatedBy   *uuid.UUID
}

// MessageTemplateUpdateParams replaces a template.
type MessageTemplateUpdateParams struct {
	TenantID    uuid.UUID
	ID          uuid.UUID
	Name        string
	Description string
	Content     json.RawMessage
}
