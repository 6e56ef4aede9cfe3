package store

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
)

// maxDepthQueues bounds the queues QueueDepthOf counts.
const maxDepthQueues = 100

// QueueDepthOf counts the available and running jobs of every queue River
// knows (up to 100), through River's own driver query; both backends'
// queues implement QueueDepthReporter with it.
func QueueDepthOf[TTx any](ctx context.Context, client *river.Client[TTx], schema string) ([]QueueDepth, error) {
	queues, err := client.QueueList(ctx, river.NewQueueListParams().First(maxDepthQueues))
	if err != nil {
		return nil, fmt.Errorf("queue depth: list queues: %w", err)
	}
	if len(queues.Queues) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(queues.Queues))
	for _, q := range queues.Queues {
		names = append(names, q.Name)
	}
	rows, err := client.Driver().GetExecutor().JobCountByQueueAndState(ctx, &riverdriver.JobCountByQueueAndStateParams{QueueNames: names, Schema: schema})
	if err != nil {
		return nil, fmt.Errorf("queue depth: count jobs: %w", err)
	}
	out := make([]QueueDepth, 0, len(rows))
	for _, r := range rows {
		out = append(out, QueueDepth{Queue: r.Queue, Available: r.CountAvailable, Running: r.CountRunning})
	}
	return out, nil
}
