package app

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/engine"
)

// TestMaxUncommittedCallsDefaultMatchesConfig: serve's default for
// NEXTFLOW_MAX_UNCOMMITTED_CALLS is the engine's own (config cannot import
// the engine, so the number is written in both).
func TestMaxUncommittedCallsDefaultMatchesConfig(t *testing.T) {
	t.Parallel()
	require.Equal(t, engine.DefaultMaxUncommittedCalls, config.DefaultMaxUncommittedCalls)
}
