package plan

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

func TestEveryPlanHasLimitsThatGrow(t *testing.T) {
	all := All()
	require.Len(t, all, 3)
	for _, l := range all {
		got, err := For(l.Plan)
		require.NoError(t, err)
		require.Equal(t, l, got)
		require.Positive(t, l.ExecutionRetention)
		require.Positive(t, l.APIRequestsPerSecond)
	}
	free, pro := all[0], all[1]
	require.Less(t, free.ActiveWorkflows, pro.ActiveWorkflows)
	require.Less(t, free.ExecutionRetention, pro.ExecutionRetention)
	_, err := For(domain.Plan("GOLD"))
	require.ErrorContains(t, err, `unknown plan "GOLD"`)
}

func TestAllows(t *testing.T) {
	require.True(t, Allows(3, 2, 1))
	require.False(t, Allows(3, 3, 1))
	require.True(t, Allows(Unlimited, 1<<30, 1))
}
