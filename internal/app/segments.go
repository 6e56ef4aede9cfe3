package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/ingest"
	"github.com/nextflow-dev/nextflow/internal/segment"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// segmentRefresh is how often every segment is recomputed at the latest,
// so relative windows ("in the last 30 days") move with time; events
// update the contacts they concern at once.
const segmentRefresh = 5 * time.Minute

// segmentPeriodic is the segments' periodic refresh job.
func segmentPeriodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{segment.PeriodicJob(segmentRefresh)}
}

// segmentWiring builds the segment service and the event entry point that
// keeps memberships current: every producer of events (the events and
// Segment APIs, inbound WhatsApp and Messenger messages) hands its events
// to the returned handler instead of to the engine directly. contactQuota
// is the plan's contact limit the ingestion applies (usage.Meter.Contacts).
func segmentWiring(st store.Store, eng *engine.Engine, workers *river.Workers, log *slog.Logger,
	contactQuota func(ctx context.Context, tx store.Tx, tenantID uuid.UUID, created int) error) (*segment.Service, *segment.EventHook, *ingest.Service) {
	svc := segment.New(st, segment.Options{Engine: eng, Logger: log})
	svc.RegisterWorkers(workers)
	events := &segment.EventHook{Next: eng}
	return svc, events, &ingest.Service{Store: st, Log: log, Engine: events, ContactQuota: contactQuota}
}
