package ai

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/nextflow-dev/nextflow/internal/engine/netguard"
)

// NetOptions says which destinations provider calls may reach besides
// public addresses on ports 80 and 443: the same settings as the
// http.request node (NEXTFLOW_HTTP_ALLOW, NEXTFLOW_HTTP_PORTS), so an
// operator who allows a local model server for one allows it for both.
type NetOptions struct {
	Allow   []string
	Ports   []uint16
	AnyPort bool
}

// ProviderConfig is what a provider is built from: a tenant's settings,
// with the API key opened.
type ProviderConfig struct {
	Provider string
	// BaseURL overrides the provider's public endpoint (an
	// OpenAI-compatible server such as vLLM, Ollama or Azure; an Anthropic
	// gateway). "" means the public endpoint.
	BaseURL string
	APIKey  string
}

// Factory builds providers whose calls go through one SSRF-guarded HTTP
// client. It is safe for concurrent use.
type Factory struct {
	client *http.Client
}

// NewFactory builds a factory over a guard built from opts.
func NewFactory(opts NetOptions) (*Factory, error) {
	var gopts []netguard.Option
	switch {
	case opts.AnyPort:
		gopts = append(gopts, netguard.WithAnyPort())
	case len(opts.Ports) > 0:
		gopts = append(gopts, netguard.WithPorts(opts.Ports...))
	}
	g, err := netguard.New(opts.Allow, gopts...)
	if err != nil {
		return nil, fmt.Errorf("AI allow-list: %w", err)
	}
	// The deadline of each call is its context's.
	return &Factory{client: g.Client(0)}, nil
}

// New builds the provider cfg names. A real provider without an API key
// is refused: the local provider is never a silent stand-in.
func (f *Factory) New(cfg ProviderConfig) (Provider, error) {
	switch cfg.Provider {
	case ProviderLocal:
		return Local{}, nil
	case ProviderOpenAI, ProviderAnthropic:
	default:
		return nil, fmt.Errorf("unknown AI provider %q (one of %s)", cfg.Provider, strings.Join(Providers, ", "))
	}
	if cfg.APIKey == "" {
		return nil, fmt.Errorf("the %s provider has no API key: set one in the workspace's AI settings", cfg.Provider)
	}
	if cfg.BaseURL != "" {
		if err := CheckBaseURL(cfg.BaseURL); err != nil {
			return nil, err
		}
	}
	if cfg.Provider == ProviderOpenAI {
		return newOpenAI(f.client, cfg), nil
	}
	return newAnthropic(f.client, cfg), nil
}

// CheckBaseURL tells whether s may be a provider's base URL: an absolute
// http(s) URL without credentials, query or fragment. Where it points is
// checked at dial time by the SSRF guard.
func CheckBaseURL(s string) error {
	if len(s) > 2048 {
		return fmt.Errorf("base URL is longer than 2048 characters")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base URL %q is not an absolute http(s) URL", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("base URL must not carry credentials, a query or a fragment")
	}
	return nil
}
