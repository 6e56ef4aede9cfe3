package app

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// metaConnections opens the connections of one Meta channel (WhatsApp or
// Messenger) through the channel service; each channel's adapter turns the
// resolved connection into its own type.
type metaConnections struct {
	st   store.Store
	svc  *channel.Service
	kind domain.ChannelKind
	// none is the channel's "no such connection" error.
	none error
}

// resolve opens a tenant's connection; uuid.Nil is the tenant's only one
// of the kind (with several, the node must name its connectionId, so a
// journey never sends from a number or page it did not choose).
func (c metaConnections) resolve(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*channel.Resolved, error) {
	if id == uuid.Nil {
		list, err := tx.ChannelList(ctx, tenantID, c.kind)
		if err != nil {
			return nil, fmt.Errorf("list %s connections: %w", c.kind, err)
		}
		switch len(list) {
		case 0:
			return nil, fmt.Errorf("the workspace has none: %w", c.none)
		case 1:
			id = list[0].ID
		default:
			return nil, fmt.Errorf("the workspace has %d, set the node's connectionId: %w", len(list), c.none)
		}
	}
	r, err := c.svc.Resolve(ctx, tx, tenantID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("connection %s: %w", id, c.none)
	}
	if err != nil {
		return nil, fmt.Errorf("open connection %s: %w", id, err)
	}
	return r, nil
}

// lookup opens a connection by its ID alone (a webhook URL names no
// tenant), in a system transaction: the first connection whose ID is not
// below id, if it is id.
func (c metaConnections) lookup(ctx context.Context, id uuid.UUID) (*channel.Resolved, error) {
	var r *channel.Resolved
	err := c.st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
		rows, err := tx.ChannelListAfter(ctx, idBelow(id), 1)
		if err != nil {
			return fmt.Errorf("find connection %s: %w", id, err)
		}
		if len(rows) == 0 || rows[0].ID != id {
			return fmt.Errorf("connection %s: %w", id, c.none)
		}
		r, err = c.svc.Resolve(ctx, tx, rows[0].TenantID, id)
		if err != nil {
			return fmt.Errorf("open connection %s: %w", id, err)
		}
		return nil
	})
	return r, err
}

// MarkFailing records that Meta refused the connection's token.
func (c metaConnections) MarkFailing(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID, message string) error {
	return c.svc.MarkFailing(ctx, tx, tenantID, id, message)
}

// idBelow is the UUID just below id (id itself for the zero UUID), for a
// listing that starts after it.
func idBelow(id uuid.UUID) uuid.UUID {
	n := new(big.Int).SetBytes(id[:])
	if n.Sign() == 0 {
		return id
	}
	n.Sub(n, big.NewInt(1))
	var out uuid.UUID
	n.FillBytes(out[:])
	return out
}
