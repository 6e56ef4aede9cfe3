package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/ai/aistep"
	"github.com/nextflow-dev/nextflow/internal/api"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// aiWiring builds the AI settings service over the SSRF-guarded provider
// factory (the same allow-list and ports as http.request: a tenant writes
// the base URL), the AI side effects (ai.generate, ai.classify,
// ai.extract) and the AI routes.
func aiWiring(cfg *config.Config, st store.Store, kr *secret.Keyring, planTokens func(context.Context, store.Tx, uuid.UUID) error,
	log *slog.Logger) ([]engine.SideEffect, *api.AIRoutes, error) {
	factory, err := ai.NewFactory(ai.NetOptions{Allow: cfg.HTTPAllow, Ports: cfg.HTTPPorts, AnyPort: cfg.HTTPAnyPort})
	if err != nil {
		return nil, nil, &config.Error{Name: "NEXTFLOW_HTTP_ALLOW", Msg: fmt.Sprintf("AI providers: %v", err)}
	}
	svc := ai.NewService(kr, factory)
	return aistep.All(st, svc, aistep.Options{Logger: log, PlanTokens: planTokens}), &api.AIRoutes{Store: st, AI: svc, Logger: log}, nil
}
