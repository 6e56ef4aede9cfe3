package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadPreviousSecretKeys(t *testing.T) {
	t.Parallel()
	cur := strings.Repeat("ab", 32)
	cfg, err := Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{
		"NEXTFLOW_SECRET_KEY":          cur,
		"NEXTFLOW_SECRET_KEY_PREVIOUS": strings.Repeat("01", 32) + ", " + strings.Repeat("x", 40) + ",",
	}))
	require.NoError(t, err)
	require.Len(t, cfg.SecretKeysPrevious, 2)
	require.Len(t, cfg.SecretKeysPrevious[0], 32, "hex decoded")
	require.Equal(t, strings.Repeat("x", 40), string(cfg.SecretKeysPrevious[1]))

	_, err = Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{
		"NEXTFLOW_SECRET_KEY": cur, "NEXTFLOW_SECRET_KEY_PREVIOUS": "short",
	}))
	var cerr *Error
	require.True(t, errors.As(err, &cerr), "got %v", err)
	require.Equal(t, "NEXTFLOW_SECRET_KEY_PREVIOUS", cerr.Name)
}
