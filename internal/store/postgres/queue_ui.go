package postgres

import (
	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"

	"github.com/nextflow-dev/nextflow/internal/store"
)

var _ store.QueueUI = (*queue)(nil)

// UIEndpoints returns the River UI's endpoints over this store's River
// client.
func (q *queue) UIEndpoints() uiendpoints.Bundle { return riverui.NewEndpoints(q.client, nil) }
