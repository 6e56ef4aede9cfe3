package postgres

import (
	"context"
	"time"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

// NodeRenew records node's heartbeat at the database's clock.
func (t *tx) NodeRenew(ctx context.Context, nodeID string) error {
	if err := t.q.NodeRenew(ctx, nodeID); err != nil {
		return translate(err, "renew the heartbeat of node %s", nodeID)
	}
	return nil
}

// NodeListLapsed returns, locked, the nodes other than self whose heartbeat
// is older than expiry by the database's clock (every other node when
// expiry is not positive), skipping those another sweeper holds.
func (t *tx) NodeListLapsed(ctx context.Context, self string, expiry time.Duration) ([]store.Node, error) {
	rows, err := t.q.NodeListLapsed(ctx, dbsqlc.NodeListLapsedParams{Self: self, ExpirySeconds: max(expiry, 0).Seconds()})
	if err != nil {
		return nil, translate(err, "list nodes lapsed for %s", expiry)
	}
	out := make([]store.Node, len(rows))
	for i, r := range rows {
		out[i] = store.Node{ID: r.NodeID, RenewedAt: utc(r.RenewedAt)}
	}
	return out, nil
}

// NodeDelete removes node's heartbeat.
func (t *tx) NodeDelete(ctx context.Context, nodeID string) error {
	if err := t.q.NodeDelete(ctx, nodeID); err != nil {
		return translate(err, "delete the heartbeat of node %s", nodeID)
	}
	return nil
}
