package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

// NodeRenew records node's heartbeat (SQLite's processes share one
// machine's clock).
func (t *tx) NodeRenew(ctx context.Context, nodeID string) error {
	if t.readOnly {
		return fmt.Errorf("renew the heartbeat of node %s: %w", nodeID, errReadOnly)
	}
	if err := t.q.NodeRenew(ctx, t.tx, &dbsqlc.NodeRenewParams{NodeID: nodeID, Now: now()}); err != nil {
		return wrap(err, "renew the heartbeat of node %s", nodeID)
	}
	return nil
}

// NodeListLapsed returns the nodes other than self whose heartbeat is older
// than expiry (every other node when expiry is not positive); the write
// transaction's writer lock keeps other sweepers out until it ends.
func (t *tx) NodeListLapsed(ctx context.Context, self string, expiry time.Duration) ([]store.Node, error) {
	before := now().Add(-max(expiry, 0))
	if expiry <= 0 {
		before = now().Add(time.Hour) // every other node, whatever its clock said
	}
	rows, err := t.q.NodeListLapsed(ctx, t.tx, &dbsqlc.NodeListLapsedParams{Self: self, Before: before})
	if err != nil {
		return nil, wrap(err, "list nodes lapsed for %s", expiry)
	}
	out := make([]store.Node, len(rows))
	for i, r := range rows {
		out[i] = store.Node{ID: r.NodeID, RenewedAt: r.RenewedAt.UTC()}
	}
	return out, nil
}

// NodeDelete removes node's heartbeat.
func (t *tx) NodeDelete(ctx context.Context, nodeID string) error {
	if t.readOnly {
		return fmt.Errorf("delete the heartbeat of node %s: %w", nodeID, errReadOnly)
	}
	if err := t.q.NodeDelete(ctx, t.tx, nodeID); err != nil {
		return wrap(err, "delete the heartbeat of node %s", nodeID)
	}
	return nil
}
