package postgres

import (
	"context"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

// AuditInsert records an audit entry.
func (t *tx) AuditInsert(ctx context.Context, p *store.AuditInsertParams) error {
	err := t.q.AuditInsert(ctx, dbsqlc.AuditInsertParams{
		ID:         domain.NewID(),
		TenantID:   p.TenantID,
		ActorType:  p.ActorType,
		ActorID:    p.ActorID,
		Action:     p.Action,
		TargetType: p.TargetType,
		TargetID:   p.TargetID,
		Data:       p.Data,
		Ip:         p.IP,
	})
	return translate(err, "insert audit entry %s", p.Action)
}

// AuditListByTenant pages through a tenant's audit log, newest first.
func (t *tx) AuditListByTenant(ctx context.Context, p *store.AuditListParams) ([]domain.AuditEntry, error) {
	rows, err := t.q.AuditListByTenant(ctx, dbsqlc.AuditListByTenantParams{
		TenantID: p.TenantID,
		Before:   before(p.Before),
		MaxRows:  limit(p.Limit, pageDefault, pageMax),
	})
	if err != nil {
		return nil, translate(err, "list audit log of tenant %s", p.TenantID)
	}
	out := make([]domain.AuditEntry, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.AuditEntry{
			ID:         r.ID,
			TenantID:   r.TenantID,
			ActorType:  r.ActorType,
			ActorID:    r.ActorID,
			Action:     r.Action,
			TargetType: r.TargetType,
			TargetID:   r.TargetID,
			Data:       rawJSON(r.Data),
			IP:         r.Ip,
			CreatedAt:  utc(r.CreatedAt),
		})
	}
	return out, nil
}
