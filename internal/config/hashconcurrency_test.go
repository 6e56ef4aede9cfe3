package config

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadPasswordHashConcurrency(t *testing.T) {
	t.Parallel()
	cfg, err := Load([]string{"--data-dir", t.TempDir()}, envOf(nil))
	require.NoError(t, err)
	require.Zero(t, cfg.PasswordHashConcurrency, "0: one per CPU")

	cfg, err = Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{"NEXTFLOW_PASSWORD_HASH_CONCURRENCY": "3"}))
	require.NoError(t, err)
	require.Equal(t, 3, cfg.PasswordHashConcurrency)
	cfg, err = Load([]string{"--data-dir", t.TempDir(), "--password-hash-concurrency", "5"}, envOf(map[string]string{"NEXTFLOW_PASSWORD_HASH_CONCURRENCY": "3"}))
	require.NoError(t, err)
	require.Equal(t, 5, cfg.PasswordHashConcurrency, "the flag wins")

	for _, bad := range []string{"-1", "many", "1.5", "100000"} {
		_, err := Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{"NEXTFLOW_PASSWORD_HASH_CONCURRENCY": bad}))
		var ce *Error
		require.True(t, errors.As(err, &ce), bad)
		require.Equal(t, "NEXTFLOW_PASSWORD_HASH_CONCURRENCY", ce.Name)
	}
}
