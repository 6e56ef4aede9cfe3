package enginebench

import (
	"context"
	"fmt"

	"github.com/nextflow-dev/nextflow/internal/benchfixture"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// benchTenants is the number of tenants of the multi-tenant side-effect
// phase.
const benchTenants = 8

// benchEffectTenants measures the journey with one side effect (def) run
// by benchTenants tenants at once, each with a workflow of its own:
// cfg.Executions in all, the start batches going to the tenants in turn,
// sized so that each tenant gets as many; then paced at half the rate
// reached. Each tenant's outcomes share transactions only with its own,
// so this is the advance group commit with its runners serving several
// tenants.
func benchEffectTenants(ctx context.Context, eng *engines, rec *benchRecorder, st store.Store, def string, cfg Config) (saturated, paced Phase, err error) {
	targets := make([]benchTarget, benchTenants)
	for i := range targets {
		if targets[i].tenantID, err = benchfixture.Tenant(ctx, st, domain.PlanFree); err != nil {
			return saturated, paced, err
		}
		if targets[i].wfID, err = benchfixture.Publish(ctx, st, targets[i].tenantID, "bench effect", def); err != nil {
			return saturated, paced, err
		}
	}
	rounds := max(1, ceilDiv(cfg.Executions, benchTenants*cfg.StartBatch))
	cfg.StartBatch = max(1, ceilDiv(cfg.Executions, benchTenants*rounds))
	return benchEffectOf(ctx, eng, rec, targets, fmt.Sprintf("side effect, %d tenants", benchTenants), cfg)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
