package sendprep_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/sendprep"
)

func TestConnCache(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c := sendprep.NewConnCache[int](10*time.Second, func() time.Time { return now })
	tenant, id, other := uuid.New(), uuid.New(), uuid.New()
	opened := 0
	open := func() (int, error) { opened++; return opened, nil }
	get := func(tenantID, connID uuid.UUID) int {
		t.Helper()
		v, err := c.Get(tenantID, connID, open)
		require.NoError(t, err)
		return v
	}

	require.Equal(t, 1, get(tenant, id))
	now = now.Add(9 * time.Second)
	require.Equal(t, 1, get(tenant, id), "fresh: not opened again")
	require.Equal(t, 2, get(other, id), "per tenant")
	now = now.Add(time.Second)
	require.Equal(t, 3, get(tenant, id), "expired after the TTL")
	now = now.Add(-time.Minute)
	require.Equal(t, 4, get(tenant, id), "a clock gone back counts as expired")
	c.Forget(tenant, id)
	require.Equal(t, 5, get(tenant, id), "forgotten")

	_, err := c.Get(tenant, other, func() (int, error) { return 0, errors.New("refused") })
	require.Error(t, err)
	require.Equal(t, 6, get(tenant, other), "a failed open is not kept")

	none := sendprep.NewConnCache[int](-1, nil)
	for want := 7; want < 9; want++ {
		v, err := none.Get(tenant, id, open)
		require.NoError(t, err)
		require.Equal(t, want, v, "a TTL of zero or less keeps nothing")
	}
}
