package config

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLoadMaxUncommittedCalls: the engine's bound (64) by default, the
// variable and the flag (which wins), and a clear error naming the
// variable for anything but an integer from 1 to 4096.
func TestLoadMaxUncommittedCalls(t *testing.T) {
	t.Parallel()
	cfg, err := Load([]string{"--data-dir", t.TempDir()}, envOf(nil))
	require.NoError(t, err)
	require.Equal(t, DefaultMaxUncommittedCalls, cfg.MaxUncommittedCalls)

	cfg, err = Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{"NEXTFLOW_MAX_UNCOMMITTED_CALLS": "256"}))
	require.NoError(t, err)
	require.Equal(t, 256, cfg.MaxUncommittedCalls)
	cfg, err = Load([]string{"--data-dir", t.TempDir(), "--max-uncommitted-calls", "128"}, envOf(map[string]string{"NEXTFLOW_MAX_UNCOMMITTED_CALLS": "256"}))
	require.NoError(t, err)
	require.Equal(t, 128, cfg.MaxUncommittedCalls, "the flag wins")

	for _, bad := range []string{"0", "-1", "many", "1.5", "4097"} {
		_, err := Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{"NEXTFLOW_MAX_UNCOMMITTED_CALLS": bad}))
		var ce *Error
		require.True(t, errors.As(err, &ce), bad)
		require.Equal(t, "NEXTFLOW_MAX_UNCOMMITTED_CALLS", ce.Name)
		require.Contains(t, ce.Msg, "from 1 to 4096", bad)
	}
}

// TestLoadCallQueue: the engine's bound (16,384) by default, the variable
// and the flag (which wins), and a clear error naming the variable for
// anything but an integer from 1 to 1,048,576.
func TestLoadCallQueue(t *testing.T) {
	t.Parallel()
	cfg, err := Load([]string{"--data-dir", t.TempDir()}, envOf(nil))
	require.NoError(t, err)
	require.Equal(t, DefaultCallQueue, cfg.CallQueue)

	cfg, err = Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{"NEXTFLOW_CALL_QUEUE": "65536"}))
	require.NoError(t, err)
	require.Equal(t, 65536, cfg.CallQueue)
	cfg, err = Load([]string{"--data-dir", t.TempDir(), "--call-queue", "1000"}, envOf(map[string]string{"NEXTFLOW_CALL_QUEUE": "65536"}))
	require.NoError(t, err)
	require.Equal(t, 1000, cfg.CallQueue, "the flag wins")

	for _, bad := range []string{"0", "-5", "lots", "2e4", "1048577"} {
		_, err := Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{"NEXTFLOW_CALL_QUEUE": bad}))
		var ce *Error
		require.True(t, errors.As(err, &ce), bad)
		require.Equal(t, "NEXTFLOW_CALL_QUEUE", ce.Name)
		require.Contains(t, ce.Msg, "from 1 to 1048576", bad)
	}
}
