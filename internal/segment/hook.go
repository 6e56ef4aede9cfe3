package segment

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// EventHook stands in front of the engine where events are stored (the
// events API, Segment's tracking API, inbound messages): it hands the
// events on, then queues, in the same transaction, the re-evaluation of
// the tenant's segments for the events' contacts, so membership follows
// an event within about a second and never for an event that was not
// stored.
type EventHook struct {
	Next EventHandler
}

// EventTx implements the engine's event entry point.
func (h *EventHook) EventTx(ctx context.Context, tx store.Tx, evs []engine.IncomingEvent) (engine.EventResult, error) {
	res, err := h.Next.EventTx(ctx, tx, evs)
	if err != nil {
		return res, err
	}
	byTenant := map[uuid.UUID][]uuid.UUID{}
	seen := map[[2]uuid.UUID]bool{}
	var tenants []uuid.UUID
	for _, ev := range evs {
		key := [2]uuid.UUID{ev.Event.TenantID, ev.Event.ContactID}
		if ev.Event.ContactID == uuid.Nil || seen[key] {
			continue
		}
		seen[key] = true
		if _, ok := byTenant[ev.Event.TenantID]; !ok {
			tenants = append(tenants, ev.Event.TenantID)
		}
		byTenant[ev.Event.TenantID] = append(byTenant[ev.Event.TenantID], ev.Event.ContactID)
	}
	var params []river.InsertManyParams
	for _, tenantID := range tenants {
		segs, err := tx.SegmentList(ctx, tenantID)
		if err != nil {
			return res, fmt.Errorf("segments of tenant %s: %w", tenantID, err)
		}
		if len(segs) == 0 {
			continue
		}
		ids := byTenant[tenantID]
		for len(ids) > 0 {
			n := min(len(ids), store.SegmentMaxContacts)
			params = append(params, river.InsertManyParams{Args: ContactsArgs{TenantID: tenantID, ContactIDs: ids[:n]}})
			ids = ids[n:]
		}
	}
	if len(params) > 0 {
		if err := tx.JobInsertMany(ctx, params); err != nil {
			return res, fmt.Errorf("queue segment updates: %w", err)
		}
	}
	return res, nil
}

func isGone(err error) bool { return errors.Is(err, store.ErrNotFound) }
