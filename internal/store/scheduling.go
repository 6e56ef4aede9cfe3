package store

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// PreciseScheduling is a River insert middleware that inserts jobs
// scheduled in the future as available rather than scheduled. River's fetch
// query takes only available jobs whose scheduled_at has passed, so such a
// job is picked up within one fetch poll of its time, instead of waiting
// for River's scheduler, which moves scheduled jobs every five seconds.
// Delays, wait timeouts, retries and cron occurrences depend on this for
// their precision. Both backends install it in their River client.
type PreciseScheduling struct {
	river.MiddlewareDefaults
}

// InsertMany flips future-scheduled jobs to available.
func (*PreciseScheduling) InsertMany(ctx context.Context, manyParams []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	now := time.Now()
	for _, p := range manyParams {
		if p.State == rivertype.JobStateScheduled && p.ScheduledAt != nil && p.ScheduledAt.After(now) {
			p.State = rivertype.JobStateAvailable
		}
	}
	return doInner(ctx)
}

var _ rivertype.JobInsertMiddleware = &PreciseScheduling{}

// OneAtATime is the uniqueness of a background sweep of which one job at
// most may wait or run (a periodic prune, rollup or refresh): an insert
// while one is available, pending, retryable, running or scheduled is
// skipped, and a completed one does not count, so the next period's insert
// goes ahead.
func OneAtATime() river.UniqueOpts {
	return river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}
}
