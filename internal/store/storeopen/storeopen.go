// Package storeopen opens the store that the configuration names: the
// embedded SQLite file when DATABASE_URL is empty, PostgreSQL when it is a
// postgres:// or postgresql:// URL.
package storeopen

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite"
)

// SQLiteFile is the name of the SQLite database inside the data folder.
const SQLiteFile = "nextflow.db"

// Config selects and tunes the store.
type Config struct {
	// DatabaseURL is DATABASE_URL: empty for SQLite in DataDir, or a
	// postgres:// (postgresql://) URL.
	DatabaseURL string
	// DataDir holds the SQLite file (created when missing).
	DataDir string
	// Queue tunes the store's River client.
	Queue store.QueueConfig
	// Logger receives the store's and River's logs; nil discards them.
	Logger *slog.Logger
	// SecretKeys are NEXTFLOW_SECRET_KEY and then the previous keys. On
	// PostgreSQL they give the tokens that prove system transactions to
	// row-level security (postgres.SystemToken): every process of a
	// deployment must have the same first key.
	SecretKeys [][]byte
	// Monitor times and names every query and job (store.QueryMonitor).
	Monitor *store.QueryMonitor
}

// Open opens the store cfg names. It does not migrate: call Migrate.
func Open(ctx context.Context, cfg Config) (store.Store, error) {
	u := strings.TrimSpace(cfg.DatabaseURL)
	switch {
	case u == "":
		dir := cfg.DataDir
		if dir == "" {
			dir = "."
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open store: create data folder %s: %w", dir, err)
		}
		s, err := sqlite.Open(ctx, filepath.Join(dir, SQLiteFile), sqlite.Options{Queue: cfg.Queue, Logger: cfg.Logger, Monitor: cfg.Monitor})
		if err != nil {
			return nil, err
		}
		return s, nil
	case hasScheme(u, "postgres") || hasScheme(u, "postgresql"):
		var tokens []string
		for _, k := range cfg.SecretKeys {
			if len(k) > 0 {
				tokens = append(tokens, postgres.SystemToken(k))
			}
		}
		s, err := postgres.Open(ctx, u, postgres.Options{Queue: cfg.Queue, Logger: cfg.Logger, SystemTokens: tokens, Monitor: cfg.Monitor})
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		return nil, fmt.Errorf("open store: DATABASE_URL %q is not supported: leave it empty for SQLite in the data folder, or use a postgres:// or postgresql:// URL", redact(u))
	}
}

func hasScheme(u, scheme string) bool {
	return len(u) > len(scheme)+3 && strings.EqualFold(u[:len(scheme)+3], scheme+"://")
}

// redact keeps a URL's scheme only, so a password never reaches a log.
func redact(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		return u[:i] + "://…"
	}
	if len(u) > 12 {
		return u[:12] + "…"
	}
	return u
}
