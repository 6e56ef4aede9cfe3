package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTracingSettings(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string) (*Config, error) {
		return Load([]string{"--data-dir", t.TempDir()}, func(k string) string { return env[k] })
	}
	c, err := load(nil)
	require.NoError(t, err)
	require.Equal(t, Tracing{ServiceName: DefaultServiceName, Sampler: SamplerParentBasedAlwaysOn, SamplerArg: 1}, c.Tracing)
	require.False(t, c.Tracing.Enabled())

	for _, tc := range []struct {
		name     string
		env      map[string]string
		endpoint string
	}{
		{"base endpoint gets the traces path", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}, "http://collector:4318/v1/traces"},
		{"traces endpoint is used as it is", map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://other:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector/otlp/traces",
		}, "https://collector/otlp/traces"},
		{"sdk disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, ""},
		{"exporter none", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"}, ""},
	} {
		c, err := load(tc.env)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.endpoint, c.Tracing.Endpoint, tc.name)
	}

	c, err = load(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SERVICE_NAME": "nextflow-eu",
		"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25",
	})
	require.NoError(t, err)
	require.Equal(t, Tracing{Endpoint: "http://collector:4318/v1/traces", ServiceName: "nextflow-eu",
		Sampler: SamplerParentBasedTraceIDRatio, SamplerArg: 0.25}, c.Tracing)

	for _, tc := range []struct {
		env  map[string]string
		name string // the setting the error names
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://collector/v1/traces"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER"},
		{map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"}, "OTEL_TRACES_SAMPLER_ARG"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER"},
	} {
		_, err := load(tc.env)
		var cerr *Error
		require.ErrorAs(t, err, &cerr, tc.name)
		require.Equal(t, tc.name, cerr.Name)
	}
}
