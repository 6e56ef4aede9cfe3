package metrics

import (
	"context"

	"github.com/nextflow-dev/nextflow/internal/live"
)

// Publisher returns a live.Publisher that counts the engine's committed
// changes before handing them to next (nil: live.Nop): executions started
// (an event leaving PENDING) and finished (a final status), and steps
// finished with their latency by node type. The engine publishes after
// every commit, so nothing rolled back is counted.
func (m *Metrics) Publisher(next live.Publisher) live.Publisher {
	if next == nil {
		next = live.Nop{}
	}
	return &publisher{m: m, next: next}
}

type publisher struct {
	m    *Metrics
	next live.Publisher
}

// Publish counts events, then passes them on.
func (p *publisher) Publish(ctx context.Context, events ...live.Event) error {
	started := 0
	for _, ev := range events {
		switch ev.Kind {
		case live.KindExecution:
			if ev.Started {
				started++
			}
			switch ev.Status {
			case "COMPLETED", "FAILED", "CANCELLED":
				p.m.ExecutionFinished(ev.Status)
			}
		case live.KindStep:
			switch ev.Status {
			case "COMPLETED", "FAILED", "CANCELLED":
				p.m.StepFinished(ev.NodeType, ev.Status, ev.Took)
			}
		}
	}
	if started > 0 {
		p.m.ExecutionsStarted(started)
	}
	return p.next.Publish(ctx, events...)
}
