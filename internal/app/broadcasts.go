package app

import (
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/broadcast"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// broadcastWiring builds the broadcast service and registers its job:
// any worker node runs a broadcast's batches, one at a time per
// broadcast.
func broadcastWiring(st store.Store, eng *engine.Engine, workers *river.Workers, log *slog.Logger) *broadcast.Service {
	svc := broadcast.New(st, broadcast.Options{Engine: eng, Logger: log})
	svc.RegisterWorkers(workers)
	return svc
}
