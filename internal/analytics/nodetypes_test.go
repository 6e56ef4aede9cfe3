package analytics_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// The rollups fold the A/B splits and ends by the store's node-type
// names; they must be the workflow package's.
func TestFoldedNodeTypesAreTheWorkflowTypes(t *testing.T) {
	t.Parallel()
	require.Equal(t, workflow.TypeSplit, store.AnalyticsSplitType)
	require.Equal(t, workflow.TypeEnd, store.AnalyticsEndType)
}
