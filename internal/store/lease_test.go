package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
)

func TestRenewalHealthSettlesAfterAGaplessRun(t *testing.T) {
	const settle = 5 * time.Second
	t0 := time.Date(2026, 12, 4, 5, 0, 0, 0, time.UTC)
	var h store.RenewalHealth
	require.False(t, h.Settled(t0, settle), "no renewal yet")

	require.False(t, h.Renewed(t0), "the first renewal is no recovery")
	require.False(t, h.Settled(t0.Add(settle-time.Nanosecond), settle))
	require.True(t, h.Settled(t0.Add(settle), settle))
	require.False(t, h.Renewed(t0.Add(2*time.Second)), "a later renewal keeps the run's start")
	require.True(t, h.Settled(t0.Add(settle), settle))

	require.True(t, h.Failed(), "the first failure is reported")
	require.False(t, h.Failed(), "a second one is not: warn once per outage")
	require.False(t, h.Settled(t0.Add(time.Hour), settle), "a failure ends the run")

	// A renewal that waited through the outage and succeeded at the
	// database's return counts from its end: the node waits a whole settle
	// after the return before judging nodes that renew within an interval
	// of it.
	back := t0.Add(time.Minute)
	require.True(t, h.Renewed(back), "renewing again after failures")
	require.False(t, h.Renewed(back.Add(2*time.Second)))
	require.False(t, h.Settled(back.Add(settle-time.Nanosecond), settle))
	require.True(t, h.Settled(back.Add(settle), settle))
}
