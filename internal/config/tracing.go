package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// DefaultServiceName is OTEL_SERVICE_NAME's default.
const DefaultServiceName = "nextflow"

// Trace samplers (OTEL_TRACES_SAMPLER), as the OpenTelemetry
// specification names them.
const (
	SamplerAlwaysOn                = "always_on"
	SamplerAlwaysOff               = "always_off"
	SamplerTraceIDRatio            = "traceidratio"
	SamplerParentBasedAlwaysOn     = "parentbased_always_on"
	SamplerParentBasedAlwaysOff    = "parentbased_always_off"
	SamplerParentBasedTraceIDRatio = "parentbased_traceidratio"
)

// Tracing configures OpenTelemetry traces, read from the standard
// OpenTelemetry variables (no flags). Without an endpoint there are none:
// no tracer provider, no exporter, no spans.
type Tracing struct {
	// Endpoint is the OTLP/HTTP URL spans are posted to:
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, else
	// OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended (the
	// specification's rule). Empty: tracing is off (also when
	// OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none).
	Endpoint string
	// ServiceName is the service.name resource attribute
	// (OTEL_SERVICE_NAME, default DefaultServiceName).
	ServiceName string
	// Sampler is one of the Sampler* names (OTEL_TRACES_SAMPLER, default
	// parentbased_always_on), SamplerArg its ratio for the *traceidratio
	// samplers (OTEL_TRACES_SAMPLER_ARG, 0 to 1, default 1).
	Sampler    string
	SamplerArg float64
}

// Enabled tells whether spans are exported.
func (t Tracing) Enabled() bool { return t.Endpoint != "" }

// loadTracing reads the OpenTelemetry variables through env (which trims
// and applies defaults).
func loadTracing(env func(name, def string) string) (Tracing, error) {
	out := Tracing{
		ServiceName: env("OTEL_SERVICE_NAME", DefaultServiceName),
		Sampler:     strings.ToLower(env("OTEL_TRACES_SAMPLER", SamplerParentBasedAlwaysOn)),
		SamplerArg:  1,
	}
	switch out.Sampler {
	case SamplerAlwaysOn, SamplerAlwaysOff, SamplerParentBasedAlwaysOn, SamplerParentBasedAlwaysOff:
	case SamplerTraceIDRatio, SamplerParentBasedTraceIDRatio:
		raw := env("OTEL_TRACES_SAMPLER_ARG", "1")
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || f < 0 || f > 1 {
			return out, &Error{Name: "OTEL_TRACES_SAMPLER_ARG", Msg: fmt.Sprintf("must be a ratio from 0 to 1, got %q", raw)}
		}
		out.SamplerArg = f
	default:
		return out, &Error{Name: "OTEL_TRACES_SAMPLER", Msg: fmt.Sprintf(
			"must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio; got %q", out.Sampler)}
	}
	if strings.EqualFold(env("OTEL_SDK_DISABLED", ""), "true") {
		return out, nil
	}
	switch exp := strings.ToLower(env("OTEL_TRACES_EXPORTER", "otlp")); exp {
	case "none":
		return out, nil
	case "otlp":
	default:
		return out, &Error{Name: "OTEL_TRACES_EXPORTER", Msg: fmt.Sprintf("must be otlp or none, got %q", exp)}
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := env(name, ""); p != "" {
			if p != "http/protobuf" {
				return out, &Error{Name: name, Msg: fmt.Sprintf("only http/protobuf is supported, got %q", p)}
			}
			break
		}
	}
	name, raw := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	if raw == "" {
		name, raw = "OTEL_EXPORTER_OTLP_ENDPOINT", env("OTEL_EXPORTER_OTLP_ENDPOINT", "")
		if raw == "" {
			return out, nil
		}
		raw = strings.TrimSuffix(raw, "/") + "/v1/traces"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return out, &Error{Name: name, Msg: fmt.Sprintf("must be an http or https URL like http://collector:4318, got %q", raw)}
	}
	out.Endpoint = u.String()
	return out, nil
}

// TracingFromEnv reads the trace settings alone from getenv, for commands
// that trace without loading the whole serve configuration (nextflow
// bench engine).
func TracingFromEnv(getenv func(string) string) (Tracing, error) {
	return loadTracing(func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	})
}
