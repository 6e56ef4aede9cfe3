package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// SuppressionStore holds the addresses no message is sent to.
type SuppressionStore interface {
	// SuppressionUpsert suppresses an address on a channel, or replaces the
	// reason and source of a suppression that exists (its created time
	// stays).
	SuppressionUpsert(ctx context.Context, p *SuppressionUpsertParams) (*domain.Suppression, error)
	// SuppressionGet returns the suppression of an address; ErrNotFound
	// when it is not suppressed.
	SuppressionGet(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, address string) (*domain.Suppression, error)
	// SuppressionGetMany returns the suppressions of those of addresses
	// that are suppressed on the channel (in no particular order), in one
	// statement: SuppressionGet for many sends at once.
	SuppressionGetMany(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, addresses []string) ([]*domain.Suppression, error)
	// SuppressionList pages through a tenant's suppressions of a channel
	// (all channels when empty) by channel and address, after the given
	// (channel, address) key, optionally only addresses containing a text.
	SuppressionList(ctx context.Context, p *SuppressionListParams) ([]domain.Suppression, error)
	SuppressionDelete(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, address string) error
}

// SuppressionUpsertParams suppresses an address.
type SuppressionUpsertParams struct {
	TenantID        uuid.UUID
	Channel         domain.ChannelKind
	Address         string
	Reason          domain.SuppressionReason
	SourceMessageID *uuid.UUID
}

// SuppressionListParams pages through suppressions.
type SuppressionListParams struct {
	TenantID uuid.UUID
	Channel  domain.ChannelKind
	// AfterChannel and AfterAddress are the key of the last row of the
	// previous page; empty starts at the first.
	AfterChannel domain.ChannelKind
	AfterAddress string
	// Search keeps only addresses that contain it (as stored: emails
	// lowercase, WhatsApp numbers as digits); empty keeps all.
	Search string
	Limit  int
}
