package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toChannel(r dbsqlc.ChannelConnection) (*domain.ChannelConnection, error) {
	var names []string
	if err := json.Unmarshal(r.SecretNames, &names); err != nil {
		return nil, fmt.Errorf("decode secret names of channel %s: %w", r.ID, err)
	}
	return &domain.ChannelConnection{
		ID:            r.ID,
		TenantID:      r.TenantID,
		Kind:          domain.ChannelKind(r.Kind),
		Name:          r.Name,
		Config:        r.Config,
		SecretNames:   names,
		Ciphertext:    r.Ciphertext,
		KeyID:         r.KeyID,
		Status:        domain.ChannelStatus(r.Status),
		StatusMessage: r.StatusMessage,
		LastTestedAt:  utcPtr(r.LastTestedAt),
		CreatedBy:     r.CreatedBy,
		CreatedAt:     utc(r.CreatedAt),
		UpdatedAt:     utc(r.UpdatedAt),
	}, nil
}

func toChannels(rows []dbsqlc.ChannelConnection) ([]domain.ChannelConnection, error) {
	out := make([]domain.ChannelConnection, 0, len(rows))
	for _, r := range rows {
		c, err := toChannel(r)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, nil
}

// secretNamesJSON is the stored form of a connection's secret names.
func secretNamesJSON(names []string) json.RawMessage {
	if names == nil {
		names = []string{}
	}
	b, _ := json.Marshal(names) // a []string always marshals
	return b
}

// ChannelInsert creates a connection; a taken name is store.ErrConflict.
func (t *tx) ChannelInsert(ctx context.Context, p *store.ChannelInsertParams) (*domain.ChannelConnection, error) {
	r, err := t.q.ChannelInsert(ctx, dbsqlc.ChannelInsertParams{
		TenantID: p.TenantID, ID: newID(p.ID), Kind: string(p.Kind), Name: p.Name, Config: jsonOrEmpty(p.Config),
		SecretNames: secretNamesJSON(p.SecretNames), Ciphertext: p.Ciphertext, KeyID: p.KeyID, CreatedBy: p.CreatedBy,
	})
	if err != nil {
		return nil, translateInsert(err, "insert channel %q", p.Name)
	}
	return toChannel(r)
}

// ChannelGetByID returns a tenant's connection.
func (t *tx) ChannelGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.ChannelConnection, error) {
	r, err := t.q.ChannelGetByID(ctx, dbsqlc.ChannelGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "get channel %s", id)
	}
	return toChannel(r)
}

// ChannelList returns a tenant's connections by name.
func (t *tx) ChannelList(ctx context.Context, tenantID uuid.UUID, kind domain.ChannelKind) ([]domain.ChannelConnection, error) {
	rows, err := t.q.ChannelList(ctx, dbsqlc.ChannelListParams{TenantID: tenantID, Kind: string(kind)})
	if err != nil {
		return nil, translate(err, "list channels of tenant %s", tenantID)
	}
	return toChannels(rows)
}

// ChannelUpdate replaces a connection's settings; its status goes back to
// untested. The name is checked first so a conflict leaves the
// transaction usable.
func (t *tx) ChannelUpdate(ctx context.Context, p *store.ChannelUpdateParams) (*domain.ChannelConnection, error) {
	taken, err := t.q.ChannelNameTaken(ctx, dbsqlc.ChannelNameTakenParams{TenantID: p.TenantID, Name: p.Name, ID: p.ID})
	if err != nil {
		return nil, translate(err, "update channel %s", p.ID)
	}
	if taken {
		return nil, fmt.Errorf("update channel %s: name %q: %w", p.ID, p.Name, store.ErrConflict)
	}
	r, err := t.q.ChannelUpdate(ctx, dbsqlc.ChannelUpdateParams{
		TenantID: p.TenantID, ID: p.ID, Name: p.Name, Config: jsonOrEmpty(p.Config),
		SecretNames: secretNamesJSON(p.SecretNames), Ciphertext: p.Ciphertext, KeyID: p.KeyID,
	})
	if err != nil {
		return nil, translate(err, "update channel %s", p.ID)
	}
	return toChannel(r)
}

// ChannelSetStatus records a connection test.
func (t *tx) ChannelSetStatus(ctx context.Context, p *store.ChannelSetStatusParams) (*domain.ChannelConnection, error) {
	at := p.TestedAt.UTC()
	r, err := t.q.ChannelSetStatus(ctx, dbsqlc.ChannelSetStatusParams{
		TenantID: p.TenantID, ID: p.ID, Status: string(p.Status), StatusMessage: p.Message, TestedAt: microPtr(&at),
	})
	if err != nil {
		return nil, translate(err, "set status of channel %s", p.ID)
	}
	return toChannel(r)
}

// ChannelDelete deletes a connection (its messaging windows go with it).
func (t *tx) ChannelDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.ChannelDelete(ctx, dbsqlc.ChannelDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete channel %s", id)
}

// ChannelListAfter pages through every tenant's connections by ID.
func (t *tx) ChannelListAfter(ctx context.Context, after uuid.UUID, limit int) ([]domain.ChannelConnection, error) {
	rows, err := t.q.ChannelListAfter(ctx, dbsqlc.ChannelListAfterParams{After: after, Lim: int32(limit)})
	if err != nil {
		return nil, translate(err, "list channels after %s", after)
	}
	return toChannels(rows)
}

// ChannelReseal replaces a ciphertext still sealed with the expected key.
func (t *tx) ChannelReseal(ctx context.Context, p *store.ChannelResealParams) (bool, error) {
	n, err := t.q.ChannelReseal(ctx, dbsqlc.ChannelResealParams{
		TenantID: p.TenantID, ID: p.ID, ExpectedKeyID: p.ExpectedKeyID, Ciphertext: p.Ciphertext, KeyID: p.KeyID,
	})
	if err != nil {
		return false, translate(err, "reseal channel %s", p.ID)
	}
	return n > 0, nil
}
