package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storeopen"
)

func openStore(ctx context.Context, args []string) (store.Store, error) {
	cfg, err := config.LoadDatabase(args, os.Getenv)
	if err != nil {
		return nil, err
	}
	var keys [][]byte
	if cfg.Dialect() == store.DialectPostgres {
		// System transactions prove themselves with the key's token, and
		// migrate up registers it (see storeopen.Config.SecretKeys).
		if err := cfg.LoadSecretKeys(os.Getenv); err != nil {
			return nil, err
		}
		keys = append([][]byte{cfg.SecretKey}, cfg.SecretKeysPrevious...)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return storeopen.Open(ctx, storeopen.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log,
		SecretKeys: keys, Queue: store.QueueConfig{WorkNone: true}})
}

func cmdMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "up" && args[0] != "status") {
		return fmt.Errorf("usage: nextflow migrate up|status [--database-url URL] [--data-dir DIR]")
	}
	st, err := openStore(ctx, args[1:])
	if err != nil {
		return err
	}
	defer st.Close()
	if args[0] == "up" {
		if err := st.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
	}
	status, err := st.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	state := "up to date"
	if !status.UpToDate {
		state = "pending migrations: run `nextflow migrate up`"
	}
	fmt.Fprintf(stdout, "database: %s\nschema version: %d of %d\nriver: %v\nstate: %s\n",
		st.Dialect(), status.Current, status.Latest, map[bool]string{true: "up to date", false: "pending"}[status.RiverOK], state)
	return nil
}
