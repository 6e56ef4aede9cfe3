package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMetricsSettings(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string, args ...string) (*Config, error) {
		return Load(append([]string{"--data-dir", t.TempDir()}, args...), func(k string) string { return env[k] })
	}
	c, err := load(nil)
	require.NoError(t, err)
	require.Equal(t, Metrics{SlowQuery: DefaultSlowQuery, QueryRepeatLimit: DefaultQueryRepeatLimit}, c.Metrics)

	c, err = load(map[string]string{
		"NEXTFLOW_METRICS_ADDR": "127.0.0.1:9090", "NEXTFLOW_METRICS_TOKEN": "0123456789abcdef0123456789abcdef",
		"NEXTFLOW_SLOW_QUERY_MS": "0", "NEXTFLOW_QUERY_REPEAT_LIMIT": "25",
	})
	require.NoError(t, err)
	require.Equal(t, Metrics{Addr: "127.0.0.1:9090", Token: "0123456789abcdef0123456789abcdef", SlowQuery: 0, QueryRepeatLimit: 25}, c.Metrics)

	c, err = load(nil, "--slow-query-ms", "250", "--metrics-addr", ":9100")
	require.NoError(t, err)
	require.Equal(t, 250*time.Millisecond, c.Metrics.SlowQuery)
	require.Equal(t, ":9100", c.Metrics.Addr)

	for name, v := range map[string]string{
		"NEXTFLOW_METRICS_ADDR":       "9090",
		"NEXTFLOW_METRICS_TOKEN":      "short",
		"NEXTFLOW_SLOW_QUERY_MS":      "-1",
		"NEXTFLOW_QUERY_REPEAT_LIMIT": "0",
	} {
		_, err := load(map[string]string{name: v})
		var cerr *Error
		require.ErrorAs(t, err, &cerr, name)
		require.Equal(t, name, cerr.Name)
	}
}
