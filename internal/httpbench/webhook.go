package httpbench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// WebhookConfig configures Webhook.
type WebhookConfig struct {
	// Workers is the River bundle the store was opened with; Webhook
	// registers the engine's workers in it and starts the queue.
	Workers *river.Workers
	// Requests per phase (default 5000) and concurrent clients (default 32).
	Requests, Clients int
	// StartBatch is the measured phase's engine.Options.StartBatch (default
	// engine.DefaultStartBatch); a first phase runs with 1 (every start in
	// a transaction of its own) for comparison.
	StartBatch int
}

// WebhookResult is what Webhook measured.
type WebhookResult struct {
	Dialect string
	Phases  []Phase
}

// String renders the result, with the ratio of the last phase to the
// first.
func (r *WebhookResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "webhook → set_attribute → end, respond on_completion (%s)\n", r.Dialect)
	for _, p := range r.Phases {
		b.WriteString(p.String() + "\n")
	}
	if n := len(r.Phases); n > 1 && r.Phases[0].PerSecond() > 0 {
		fmt.Fprintf(&b, "group commit: ×%.2f executions/s, p99 ×%.2f\n", r.Phases[n-1].PerSecond()/r.Phases[0].PerSecond(),
			float64(r.Phases[n-1].P99)/float64(max(r.Phases[0].P99, 1)))
	}
	return b.String()
}

// webhookJourney is the measured journey: three nodes, answered when the
// execution ends (which its start does).
const webhookJourney = `{"nodes": [
  {"id": "hook", "type": "trigger.webhook", "config": {"respond": "on_completion", "timeout": "10s"}},
  {"id": "set", "type": "set_attribute", "config": {"target": "vars", "attributes": {"n": "has(trigger.input.n) ? trigger.input.n : 0"}}},
  {"id": "done", "type": "end"}],
 "edges": [{"id": "e1", "source": "hook", "target": "set"}, {"id": "e2", "source": "set", "target": "done"}]}`

// Webhook posts to a three-node webhook journey answered on completion,
// first with every start in its own transaction, then with the start
// group commit, each phase after a warm-up on its own server.
func Webhook(ctx context.Context, st store.Store, cfg WebhookConfig) (*WebhookResult, error) {
	if cfg.Requests <= 0 {
		cfg.Requests = 5000
	}
	if cfg.Clients <= 0 {
		cfg.Clients = 32
	}
	if cfg.StartBatch <= 0 {
		cfg.StartBatch = engine.DefaultStartBatch
	}
	tenant, err := newTenant(ctx, st)
	if err != nil {
		return nil, err
	}
	wf, err := publish(ctx, st, tenant, "bench webhook", webhookJourney)
	if err != nil {
		return nil, err
	}
	res := &WebhookResult{Dialect: string(st.Dialect())}
	workers := cfg.Workers
	for _, batch := range []int{1, cfg.StartBatch} {
		srv, err := startServer(ctx, st, workers, engine.Options{StartBatch: batch}, tenant, nil)
		if err != nil {
			return nil, err
		}
		workers = nil // registered and started once
		path := fmt.Sprintf("/webhooks/%s/%s", tenant, wf)
		do := func(ctx context.Context, i int) (int, error) {
			status, body, err := srv.post(ctx, path, nil, fmt.Appendf(nil, `{"n": %d}`, i))
			if err != nil {
				return 0, err
			}
			var out struct {
				Status string `json:"status"`
			}
			_ = json.Unmarshal(body, &out)
			if status != http.StatusOK || out.Status != "COMPLETED" {
				return 0, fmt.Errorf("status %d: %.200s", status, body)
			}
			return 1, nil
		}
		load(ctx, "warm-up", min(500, cfg.Requests), cfg.Clients, 0, do)
		p := load(ctx, fmt.Sprintf("start batch %d, %d clients", batch, cfg.Clients), cfg.Requests, cfg.Clients, 0, do)
		srv.close()
		res.Phases = append(res.Phases, p)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return res, nil
}
