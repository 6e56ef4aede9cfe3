package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := Load([]string{"--data-dir", dir}, envOf(nil))
	require.NoError(t, err)
	require.Equal(t, ":3000", cfg.Addr)
	require.Equal(t, "sqlite", cfg.Dialect())
	require.Equal(t, RoleAll, cfg.Role)
	require.Len(t, cfg.SecretKey, 32)
	require.True(t, cfg.SecretKeyGenerated)

	// The generated key is reused on the next start.
	again, err := Load([]string{"--data-dir", dir}, envOf(nil))
	require.NoError(t, err)
	require.Equal(t, cfg.SecretKey, again.SecretKey)
	require.False(t, again.SecretKeyGenerated)
	info, err := os.Stat(filepath.Join(dir, "secret.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}

func TestLoadFlagsWinOverEnv(t *testing.T) {
	t.Parallel()
	cfg, err := Load([]string{"--addr", "127.0.0.1:4000", "--data-dir", t.TempDir()},
		envOf(map[string]string{"NEXTFLOW_ADDR": ":5000", "NEXTFLOW_ROLE": "worker"}))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:4000", cfg.Addr)
	require.Equal(t, RoleWorker, cfg.Role)
}

func TestLoadErrorsNameTheSetting(t *testing.T) {
	t.Parallel()
	key := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cases := []struct {
		env  map[string]string
		name string
	}{
		{map[string]string{"DATABASE_URL": "nonsense"}, "DATABASE_URL"},
		{map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{map[string]string{"DATABASE_URL": "postgres://u@h/db"}, "NEXTFLOW_SECRET_KEY"},
		{map[string]string{"NEXTFLOW_SECRET_KEY": "short"}, "NEXTFLOW_SECRET_KEY"},
		{map[string]string{"REDIS_URL": "http://x"}, "REDIS_URL"},
		{map[string]string{"NEXTFLOW_ROLE": "boss"}, "NEXTFLOW_ROLE"},
		{map[string]string{"NEXTFLOW_ADDR": "3000"}, "NEXTFLOW_ADDR"},
		{map[string]string{"NEXTFLOW_LOG_LEVEL": "loud"}, "NEXTFLOW_LOG_LEVEL"},
		{map[string]string{"NEXTFLOW_LOG_FORMAT": "xml"}, "NEXTFLOW_LOG_FORMAT"},
		{map[string]string{"NEXTFLOW_BASE_URL": "ftp://x"}, "NEXTFLOW_BASE_URL"},
		{map[string]string{"NEXTFLOW_HTTP_ALLOW": "10.0.0.0/99"}, "NEXTFLOW_HTTP_ALLOW"},
		{map[string]string{"NEXTFLOW_MAX_BODY_BYTES": "-1"}, "NEXTFLOW_MAX_BODY_BYTES"},
		{map[string]string{"NEXTFLOW_SHUTDOWN_TIMEOUT": "soon", "NEXTFLOW_SECRET_KEY": key}, "NEXTFLOW_SHUTDOWN_TIMEOUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load([]string{"--data-dir", t.TempDir()}, envOf(tc.env))
			var cerr *Error
			require.True(t, errors.As(err, &cerr), "got %v", err)
			require.Equal(t, tc.name, cerr.Name)
		})
	}
}

func TestLoadPostgresWithKey(t *testing.T) {
	t.Parallel()
	cfg, err := Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{
		"DATABASE_URL":        "postgres://postgres@127.0.0.1:5432/test",
		"NEXTFLOW_SECRET_KEY": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"NEXTFLOW_HTTP_ALLOW": "127.0.0.1, sink.local,10.0.0.0/8",
	}))
	require.NoError(t, err)
	require.Equal(t, "postgres", cfg.Dialect())
	require.Equal(t, []string{"127.0.0.1", "sink.local", "10.0.0.0/8"}, cfg.HTTPAllow)
}
