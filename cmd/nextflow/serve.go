package main

import (
	"context"
	"io"
	"os"

	"github.com/nextflow-dev/nextflow/internal/app"
	"github.com/nextflow-dev/nextflow/internal/config"
)

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := config.Load(args, os.Getenv)
	if err != nil {
		return err
	}
	log := cfg.Logger(os.Stderr)
	if gc, limit := tuneGC(os.Getenv, cgroupMemoryMax()); gc != 0 || limit != 0 {
		log.Info("garbage collector tuned (GOGC and GOMEMLIMIT win when set)", "gc_percent", gc, "memory_limit_bytes", limit)
	}
	if cfg.SecretKeyGenerated {
		log.Info("generated a secret key", "path", cfg.DataDir+"/secret.key")
	}
	a, err := app.New(ctx, cfg, app.Options{Logger: log, Version: version})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}
