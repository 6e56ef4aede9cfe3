package sqlite

import (
	"context"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

// AuditInsert records an audit entry.
func (t *tx) AuditInsert(ctx context.Context, p *store.AuditInsertParams) error {
	err := t.q.AuditInsert(ctx, t.tx, &dbsqlc.AuditInsertParams{
		ID:         domain.NewID(),
		TenantID:   p.TenantID,
		ActorType:  p.ActorType,
		ActorID:    nullUUID(p.ActorID),
		Action:     p.Action,
		TargetType: p.TargetType,
		TargetID:   p.TargetID,
		Data:       jsonText(p.Data),
		Ip:         p.IP,
		Now:        now(),
	})
	return wrap(err, "insert audit entry %q in tenant %s", p.Action, p.TenantID)
}

// AuditListByTenant pages through a tenant's audit log, newest first
// (default 50 entries a page, at most 500).
func (t *tx) AuditListByTenant(ctx context.Context, p *store.AuditListParams) ([]domain.AuditEntry, error) {
	rows, err := t.q.AuditListByTenant(ctx, t.tx, &dbsqlc.AuditListByTenantParams{
		TenantID: p.TenantID, Before: before(p.Before), Max: limit(p.Limit, 50, 500),
	})
	if err != nil {
		return nil, wrap(err, "list audit log of tenant %s", p.TenantID)
	}
	out := make([]domain.AuditEntry, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.AuditEntry{
			ID:         r.ID,
			TenantID:   r.TenantID,
			ActorType:  r.ActorType,
			ActorID:    uuidPtr(r.ActorID),
			Action:     r.Action,
			TargetType: r.TargetType,
			TargetID:   r.TargetID,
			Data:       jsonRaw(r.Data),
			IP:         r.Ip,
			CreatedAt:  r.CreatedAt.UTC(),
		})
	}
	return out, nil
}
