package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func channelFromRow(r dbsqlc.ChannelConnection) (*domain.ChannelConnection, error) {
	var names []string
	if err := json.Unmarshal([]byte(r.SecretNames), &names); err != nil {
		return nil, fmt.Errorf("decode secret names of channel %s: %w", r.ID, err)
	}
	return &domain.ChannelConnection{
		ID:            r.ID,
		TenantID:      r.TenantID,
		Kind:          domain.ChannelKind(r.Kind),
		Name:          r.Name,
		Config:        json.RawMessage(r.Config),
		SecretNames:   names,
		Ciphertext:    r.Ciphertext,
		KeyID:         r.KeyID,
		Status:        domain.ChannelStatus(r.Status),
		StatusMessage: r.StatusMessage,
		LastTestedAt:  timePtr(r.LastTestedAt),
		CreatedBy:     uuidPtr(r.CreatedBy),
		CreatedAt:     r.CreatedAt.UTC(),
		UpdatedAt:     r.UpdatedAt.UTC(),
	}, nil
}

func channelsFromRows(rows []dbsqlc.ChannelConnection) ([]domain.ChannelConnection, error) {
	out := make([]domain.ChannelConnection, 0, len(rows))
	for _, r := range rows {
		c, err := channelFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, nil
}

// secretNamesText is the stored form of a connection's secret names.
func secretNamesText(names []string) string {
	if names == nil {
		names = []string{}
	}
	b, _ := json.Marshal(names) // a []string always marshals
	return string(b)
}

// ChannelInsert creates a connection; a taken name is store.ErrConflict.
func (t *tx) ChannelInsert(ctx context.Context, p *store.ChannelInsertParams) (*domain.ChannelConnection, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	r, err := t.q.ChannelInsert(ctx, t.tx, &dbsqlc.ChannelInsertParams{
		ID: id, TenantID: p.TenantID, Kind: string(p.Kind), Name: p.Name, Config: jsonRequired(p.Config),
		SecretNames: secretNamesText(p.SecretNames), Ciphertext: p.Ciphertext, KeyID: p.KeyID,
		CreatedBy: nullUUID(p.CreatedBy), Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "insert channel %q", p.Name)
	}
	return channelFromRow(r)
}

// ChannelGetByID returns a tenant's connection.
func (t *tx) ChannelGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.ChannelConnection, error) {
	r, err := t.q.ChannelGetByID(ctx, t.tx, &dbsqlc.ChannelGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, wrap(err, "get channel %s", id)
	}
	return channelFromRow(r)
}

// ChannelList returns a tenant's connections by name.
func (t *tx) ChannelList(ctx context.Context, tenantID uuid.UUID, kind domain.ChannelKind) ([]domain.ChannelConnection, error) {
	rows, err := t.q.ChannelList(ctx, t.tx, &dbsqlc.ChannelListParams{TenantID: tenantID, Kind: string(kind)})
	if err != nil {
		return nil, wrap(err, "list channels of tenant %s", tenantID)
	}
	return channelsFromRows(rows)
}

// ChannelUpdate replaces a connection's settings; its status goes back to
// untested.
func (t *tx) ChannelUpdate(ctx context.Context, p *store.ChannelUpdateParams) (*domain.ChannelConnection, error) {
	r, err := t.q.ChannelUpdate(ctx, t.tx, &dbsqlc.ChannelUpdateParams{
		TenantID: p.TenantID, ID: p.ID, Name: p.Name, Config: jsonRequired(p.Config),
		SecretNames: secretNamesText(p.SecretNames), Ciphertext: p.Ciphertext, KeyID: p.KeyID, Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "update channel %s", p.ID)
	}
	return channelFromRow(r)
}

// ChannelSetStatus records a connection test.
func (t *tx) ChannelSetStatus(ctx context.Context, p *store.ChannelSetStatusParams) (*domain.ChannelConnection, error) {
	at := p.TestedAt
	r, err := t.q.ChannelSetStatus(ctx, t.tx, &dbsqlc.ChannelSetStatusParams{
		TenantID: p.TenantID, ID: p.ID, Status: string(p.Status), StatusMessage: p.Message, TestedAt: nullTime(&at),
	})
	if err != nil {
		return nil, wrap(err, "set status of channel %s", p.ID)
	}
	return channelFromRow(r)
}

// ChannelDelete deletes a connection (its messaging windows go with it).
func (t *tx) ChannelDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.ChannelDelete(ctx, t.tx, &dbsqlc.ChannelDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete channel %s", id)
}

// ChannelListAfter pages through every tenant's connections by ID.
func (t *tx) ChannelListAfter(ctx context.Context, after uuid.UUID, limit int) ([]domain.ChannelConnection, error) {
	rows, err := t.q.ChannelListAfter(ctx, t.tx, &dbsqlc.ChannelListAfterParams{After: after, Lim: int64(limit)})
	if err != nil {
		return nil, wrap(err, "list channels after %s", after)
	}
	return channelsFromRows(rows)
}

// ChannelReseal replaces a ciphertext still sealed with the expected key.
func (t *tx) ChannelReseal(ctx context.Context, p *store.ChannelResealParams) (bool, error) {
	n, err := t.q.ChannelReseal(ctx, t.tx, &dbsqlc.ChannelResealParams{
		TenantID: p.TenantID, ID: p.ID, ExpectedKeyID: p.ExpectedKeyID, Ciphertext: p.Ciphertext, KeyID: p.KeyID,
	})
	if err != nil {
		return false, wrap(err, "reseal channel %s", p.ID)
	}
	return n > 0, nil
}
