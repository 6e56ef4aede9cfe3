package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/credential"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storeopen"
)

const secretsUsage = `usage:
  nextflow secrets rotate-key [--batch N] [--database-url URL] [--data-dir DIR]

Re-seals every workspace credential and every channel connection's secrets
under NEXTFLOW_SECRET_KEY. Set the new
key as NEXTFLOW_SECRET_KEY and the old one(s) in NEXTFLOW_SECRET_KEY_PREVIOUS
(comma separated) on every node, run this once, then drop the old keys.
It is idempotent and safe to run while nodes serve.`

// cmdSecrets manages the encryption of workspace credentials.
func cmdSecrets(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "rotate-key" {
		return fmt.Errorf("%s", secretsUsage)
	}
	fs := flag.NewFlagSet("secrets rotate-key", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data-dir", "", "data folder")
	dbURL := fs.String("database-url", "", "database URL")
	batch := fs.Int("batch", 200, "credentials re-sealed per transaction")
	if err := fs.Parse(args[1:]); err != nil {
		return &config.Error{Name: "flags", Msg: err.Error() + "\n" + secretsUsage}
	}
	var dbArgs []string
	if *dataDir != "" {
		dbArgs = append(dbArgs, "--data-dir", *dataDir)
	}
	if *dbURL != "" {
		dbArgs = append(dbArgs, "--database-url", *dbURL)
	}
	cfg, err := config.LoadDatabase(dbArgs, getenv)
	if err != nil {
		return err
	}
	if err := cfg.LoadSecretKeys(getenv); err != nil {
		return err
	}
	kr, err := secret.NewKeyring(cfg.SecretKey, cfg.SecretKeysPrevious...)
	if err != nil {
		return &config.Error{Name: "NEXTFLOW_SECRET_KEY", Msg: err.Error()}
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := storeopen.Open(ctx, storeopen.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log,
		SecretKeys: append([][]byte{cfg.SecretKey}, cfg.SecretKeysPrevious...), Queue: store.QueueConfig{WorkNone: true}})
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := credential.New(st, kr, log).Rotate(ctx, *batch)
	fmt.Fprintf(stdout, "current key: %s\nre-sealed: %d\nalready current: %d\nfailed: %d\n", kr.CurrentKeyID(), res.Resealed, res.Current, res.Failed)
	if err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d credential(s) could not be opened with NEXTFLOW_SECRET_KEY or NEXTFLOW_SECRET_KEY_PREVIOUS; they were left as they are", res.Failed)
	}
	resealed, current, err := channel.New(st, kr, channel.Options{Logger: log}).Rotate(ctx)
	fmt.Fprintf(stdout, "channel connections re-sealed: %d\nchannel connections already current: %d\n", resealed, current)
	if err != nil {
		return fmt.Errorf("rotate channel connections: %w", err)
	}
	// AI keys are opened by a provider call, not by NewFactory: it needs
	// no network options here.
	factory, err := ai.NewFactory(ai.NetOptions{})
	if err != nil {
		return fmt.Errorf("rotate AI keys: %w", err)
	}
	resealed, current, err = ai.NewService(kr, factory).Rotate(ctx, st)
	fmt.Fprintf(stdout, "AI keys re-sealed: %d\nAI keys already current: %d\n", resealed, current)
	if err != nil {
		return fmt.Errorf("rotate AI keys: %w", err)
	}
	return nil
}
