package sqlite

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func suppressionFromRow(r dbsqlc.Suppression) *domain.Suppression {
	return &domain.Suppression{
		TenantID:        r.TenantID,
		Channel:         domain.ChannelKind(r.Channel),
		Address:         r.Address,
		Reason:          domain.SuppressionReason(r.Reason),
		SourceMessageID: uuidPtr(r.SourceMessageID),
		CreatedAt:       r.CreatedAt.UTC(),
		UpdatedAt:       r.UpdatedAt.UTC(),
	}
}

// SuppressionUpsert suppresses an address or replaces a suppression's
// reason.
func (t *tx) SuppressionUpsert(ctx context.Context, p *store.SuppressionUpsertParams) (*domain.Suppression, error) {
	r, err := t.q.SuppressionUpsert(ctx, t.tx, &dbsqlc.SuppressionUpsertParams{
		TenantID: p.TenantID, Channel: string(p.Channel), Address: p.Address, Reason: string(p.Reason),
		SourceMessageID: nullUUID(p.SourceMessageID), Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "suppress %s address", p.Channel)
	}
	return suppressionFromRow(r), nil
}

// SuppressionGet returns the suppression of an address.
func (t *tx) SuppressionGet(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, address string) (*domain.Suppression, error) {
	r, err := t.q.SuppressionGet(ctx, t.tx, &dbsqlc.SuppressionGetParams{TenantID: tenantID, Channel: string(channel), Address: address})
	if err != nil {
		return nil, wrap(err, "get %s suppression", channel)
	}
	return suppressionFromRow(r), nil
}

// SuppressionList pages through a tenant's suppressions.
func (t *tx) SuppressionList(ctx context.Context, p *store.SuppressionListParams) ([]domain.Suppression, error) {
	rows, err := t.q.SuppressionList(ctx, t.tx, &dbsqlc.SuppressionListParams{
		TenantID: p.TenantID, Channel: string(p.Channel), AfterChannel: string(p.AfterChannel), AfterAddress: p.AfterAddress, Search: p.Search,
		Lim: limit(p.Limit, 50, 500),
	})
	if err != nil {
		return nil, wrap(err, "list suppressions of tenant %s", p.TenantID)
	}
	out := make([]domain.Suppression, 0, len(rows))
	for _, r := range rows {
		out = append(out, *suppressionFromRow(r))
	}
	return out, nil
}

// SuppressionDelete lifts a suppression.
func (t *tx) SuppressionDelete(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, address string) error {
	n, err := t.q.SuppressionDelete(ctx, t.tx, &dbsqlc.SuppressionDeleteParams{TenantID: tenantID, Channel: string(channel), Address: address})
	return affected(n, err, "delete %s suppression", channel)
}

// SuppressionGetMany returns the suppressions of those addresses that are
// suppressed on the channel, as SuppressionGet each (in process, no round
// trip to save).
func (t *tx) SuppressionGetMany(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, addresses []string) ([]*domain.Suppression, error) {
	var out []*domain.Suppression
	seen := make(map[string]bool, len(addresses))
	for _, a := range addresses {
		if seen[a] {
			continue
		}
		seen[a] = true
		s, err := t.SuppressionGet(ctx, tenantID, channel, a)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
