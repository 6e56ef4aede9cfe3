package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toSuppression(r dbsqlc.Suppression) *domain.Suppression {
	return &domain.Suppression{
		TenantID:        r.TenantID,
		Channel:         domain.ChannelKind(r.Channel),
		Address:         r.Address,
		Reason:          domain.SuppressionReason(r.Reason),
		SourceMessageID: r.SourceMessageID,
		CreatedAt:       utc(r.CreatedAt),
		UpdatedAt:       utc(r.UpdatedAt),
	}
}

// SuppressionUpsert suppresses an address or replaces a suppression's
// reason.
func (t *tx) SuppressionUpsert(ctx context.Context, p *store.SuppressionUpsertParams) (*domain.Suppression, error) {
	r, err := t.q.SuppressionUpsert(ctx, dbsqlc.SuppressionUpsertParams{
		TenantID: p.TenantID, Channel: string(p.Channel), Address: p.Address, Reason: string(p.Reason), SourceMessageID: p.SourceMessageID,
	})
	if err != nil {
		return nil, translate(err, "suppress %s address", p.Channel)
	}
	return toSuppression(r), nil
}

// SuppressionGet returns the suppression of an address.
func (t *tx) SuppressionGet(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, address string) (*domain.Suppression, error) {
	r, err := t.q.SuppressionGet(ctx, dbsqlc.SuppressionGetParams{TenantID: tenantID, Channel: string(channel), Address: address})
	if err != nil {
		return nil, translate(err, "get %s suppression", channel)
	}
	return toSuppression(r), nil
}

// SuppressionList pages through a tenant's suppressions.
func (t *tx) SuppressionList(ctx context.Context, p *store.SuppressionListParams) ([]domain.Suppression, error) {
	rows, err := t.q.SuppressionList(ctx, dbsqlc.SuppressionListParams{
		TenantID: p.TenantID, Channel: string(p.Channel), AfterChannel: string(p.AfterChannel), AfterAddress: p.AfterAddress, Search: p.Search,
		Lim: limit(p.Limit, pageDefault, pageMax),
	})
	if err != nil {
		return nil, translate(err, "list suppressions of tenant %s", p.TenantID)
	}
	out := make([]domain.Suppression, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toSuppression(r))
	}
	return out, nil
}

// SuppressionDelete lifts a suppression.
func (t *tx) SuppressionDelete(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, address string) error {
	n, err := t.q.SuppressionDelete(ctx, dbsqlc.SuppressionDeleteParams{TenantID: tenantID, Channel: string(channel), Address: address})
	return affected(n, err, "delete %s suppression", channel)
}

// suppressionGetManySQL reads the suppressions of several addresses of a
// channel in one round trip.
const suppressionGetManySQL = `SELECT tenant_id, channel, address, reason, source_message_id, created_at, updated_at
FROM suppressions WHERE tenant_id = $1 AND channel = $2 AND address = ANY($3::text[])`

// SuppressionGetMany returns the suppressions of those addresses that are
// suppressed on the channel.
func (t *tx) SuppressionGetMany(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, addresses []string) ([]*domain.Suppression, error) {
	if len(addresses) == 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(ctx, suppressionGetManySQL, tenantID, string(channel), addresses)
	if err != nil {
		return nil, translate(err, "get %d %s suppressions", len(addresses), channel)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*domain.Suppression, error) {
		var r dbsqlc.Suppression
		if err := row.Scan(&r.TenantID, &r.Channel, &r.Address, &r.Reason, &r.SourceMessageID, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, err
		}
		return toSuppression(r), nil
	})
	if err != nil {
		return nil, translate(err, "get %d %s suppressions", len(addresses), channel)
	}
	return out, nil
}
