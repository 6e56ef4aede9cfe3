package app

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/engine"
)

// TestEngineDefaultsMatchConfig: serve's defaults for
// NEXTFLOW_MAX_UNCOMMITTED_CALLS and NEXTFLOW_CALL_QUEUE are the engine's
// own (config cannot import the engine, so the numbers are written in
// both).
func TestEngineDefaultsMatchConfig(t *testing.T) {
	t.Parallel()
	require.Equal(t, engine.DefaultMaxUncommittedCalls, config.DefaultMaxUncommittedCalls)
	require.Equal(t, engine.DefaultCallQueue, config.DefaultCallQueue)
}

// TestCallQueueReachesTheEngine: NEXTFLOW_CALL_QUEUE sets the bound of the
// engine's dispatcher.
func TestCallQueueReachesTheEngine(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load([]string{"--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, func(name string) string {
		if name == "NEXTFLOW_CALL_QUEUE" {
			return "1000"
		}
		return ""
	})
	require.NoError(t, err)
	a, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(a.close)
	require.Equal(t, 1000, a.engine.CallQueue())
}
