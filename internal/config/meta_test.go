package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadMetaGraphSettings(t *testing.T) {
	t.Parallel()
	cfg, err := Load([]string{"--data-dir", t.TempDir()}, envOf(nil))
	require.NoError(t, err)
	require.Equal(t, DefaultMetaGraphURL, cfg.MetaGraphURL)
	require.Equal(t, DefaultMetaAPIVersion, cfg.MetaAPIVersion)

	cfg, err = Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{
		"NEXTFLOW_META_GRAPH_URL": "http://127.0.0.1:9999/", "NEXTFLOW_META_API_VERSION": "v22.0"}))
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9999", cfg.MetaGraphURL)
	require.Equal(t, "v22.0", cfg.MetaAPIVersion)

	for name, env := range map[string]map[string]string{
		"NEXTFLOW_META_GRAPH_URL":   {"NEXTFLOW_META_GRAPH_URL": "ftp://x"},
		"NEXTFLOW_META_API_VERSION": {"NEXTFLOW_META_API_VERSION": "21"},
	} {
		_, err := Load([]string{"--data-dir", t.TempDir()}, envOf(env))
		var ce *Error
		require.ErrorAs(t, err, &ce)
		require.Equal(t, name, ce.Name)
	}
}
