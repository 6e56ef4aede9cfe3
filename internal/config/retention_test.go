package config

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoadRetention(t *testing.T) {
	t.Parallel()
	cfg, err := Load([]string{"--data-dir", t.TempDir()}, envOf(nil))
	require.NoError(t, err)
	require.Equal(t, Retention{
		PruneInterval: time.Hour,
		JobsCompleted: time.Hour, JobsCancelled: 24 * time.Hour, JobsDiscarded: 7 * 24 * time.Hour,
	}, cfg.Retention, "the plans' ages, no override")

	cfg, err = Load([]string{"--data-dir", t.TempDir(), "--prune-interval", "30s"}, envOf(map[string]string{
		"NEXTFLOW_PRUNE_INTERVAL": "off", "NEXTFLOW_RETENTION": "1m", "NEXTFLOW_EVENT_RETENTION": "0",
		"NEXTFLOW_JOB_RETENTION_COMPLETED": "5m", "NEXTFLOW_JOB_RETENTION_DISCARDED": "48h",
	}))
	require.NoError(t, err)
	minute, forever := time.Minute, time.Duration(0)
	require.Equal(t, Retention{
		PruneInterval: 30 * time.Second, Executions: &minute, Events: &forever, Audit: &minute,
		JobsCompleted: 5 * time.Minute, JobsCancelled: 24 * time.Hour, JobsDiscarded: 48 * time.Hour,
	}, cfg.Retention)

	cfg, err = Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{"NEXTFLOW_PRUNE_INTERVAL": "0"}))
	require.NoError(t, err)
	require.Zero(t, cfg.Retention.PruneInterval, "never")

	for name, value := range map[string]string{
		"NEXTFLOW_PRUNE_INTERVAL":          "10ms",
		"NEXTFLOW_RETENTION":               "30s",
		"NEXTFLOW_EVENT_RETENTION":         "-1h",
		"NEXTFLOW_JOB_RETENTION_CANCELLED": "soon",
	} {
		_, err := Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{name: value}))
		var ce *Error
		require.True(t, errors.As(err, &ce), "%s=%s: %v", name, value, err)
		require.Equal(t, name, ce.Name)
	}
}

func TestLoadRetentionAlone(t *testing.T) {
	t.Parallel()
	r, err := LoadRetention(envOf(map[string]string{"NEXTFLOW_RETENTION": "48h"}))
	require.NoError(t, err)
	d := 48 * time.Hour
	require.Equal(t, &d, r.Executions)
	require.Equal(t, time.Hour, r.PruneInterval)
	_, err = LoadRetention(envOf(map[string]string{"NEXTFLOW_RETENTION": "2"}))
	var ce *Error
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "NEXTFLOW_RETENTION", ce.Name)
}
