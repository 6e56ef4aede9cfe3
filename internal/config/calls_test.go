package config

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLoadCallBounds: the engine's bounds of calls, NEXTFLOW_MAX_UNCOMMITTED_CALLS
// (64) and NEXTFLOW_CALL_QUEUE (16,384), by default; the variable and the
// flag (which wins); and a clear error naming the variable for anything
// but an integer in range.
func TestLoadCallBounds(t *testing.T) {
	t.Parallel()
	for _, s := range []struct {
		env, flag string
		def       int
		field     func(*Config) int
		tooBig    string
		inRange   string
	}{
		{"NEXTFLOW_MAX_UNCOMMITTED_CALLS", "--max-uncommitted-calls", DefaultMaxUncommittedCalls,
			func(c *Config) int { return c.MaxUncommittedCalls }, "4097", "from 1 to 4096"},
		{"NEXTFLOW_CALL_QUEUE", "--call-queue", DefaultCallQueue,
			func(c *Config) int { return c.CallQueue }, "1048577", "from 1 to 1048576"},
	} {
		t.Run(s.env, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load([]string{"--data-dir", t.TempDir()}, envOf(nil))
			require.NoError(t, err)
			require.Equal(t, s.def, s.field(cfg))

			cfg, err = Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{s.env: "256"}))
			require.NoError(t, err)
			require.Equal(t, 256, s.field(cfg))
			cfg, err = Load([]string{"--data-dir", t.TempDir(), s.flag, "128"}, envOf(map[string]string{s.env: "256"}))
			require.NoError(t, err)
			require.Equal(t, 128, s.field(cfg), "the flag wins")

			for _, bad := range []string{"0", "-1", "many", "1.5", "2e4", s.tooBig} {
				_, err := Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{s.env: bad}))
				var ce *Error
				require.True(t, errors.As(err, &ce), bad)
				require.Equal(t, s.env, ce.Name)
				require.Contains(t, ce.Msg, s.inRange, bad)
			}
		})
	}
}
