package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/nextflow-dev/nextflow/internal/engine/netguard"
)

// anthropicProvider speaks the Messages API.
type anthropicProvider struct {
	client anthropic.Client
}

func newAnthropic(hc *http.Client, cfg ProviderConfig) *anthropicProvider {
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithHTTPClient(hc),
		option.WithAPIKey(cfg.APIKey),
		// The Messages API's key header (this SDK would send the key as a
		// bearer token, which gateways and older servers refuse).
		option.WithHeader("x-api-key", cfg.APIKey),
		option.WithHeaderDel("authorization"),
		option.WithMaxRetries(0), // the engine retries
	}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(strings.TrimRight(cfg.BaseURL, "/")+"/"))
	}
	return &anthropicProvider{client: anthropic.NewClient(opts...)}
}

// Name implements Provider.
func (*anthropicProvider) Name() string { return ProviderAnthropic }

// Complete implements Provider.
func (p *anthropicProvider) Complete(ctx context.Context, req Request) (*Response, error) {
	params := anthropic.MessageNewParams{
		Model:     anthropic.Model(req.Model),
		MaxTokens: req.maxTokens(),
	}
	if req.System != "" {
		params.System = []anthropic.TextBlockParam{{Text: req.System}}
	}
	for _, m := range req.Messages {
		block := anthropic.NewTextBlock(m.Content)
		if m.Role == RoleAssistant {
			params.Messages = append(params.Messages, anthropic.NewAssistantMessage(block))
		} else {
			params.Messages = append(params.Messages, anthropic.NewUserMessage(block))
		}
	}
	if len(req.Schema) > 0 {
		var schema map[string]any
		if err := json.Unmarshal(req.Schema, &schema); err != nil {
			return nil, fmt.Errorf("anthropic: output schema: %w", err)
		}
		params.OutputConfig = anthropic.OutputConfigParam{Format: anthropic.JSONOutputFormatParam{Schema: schema}}
	}
	var opts []option.RequestOption
	if req.Temperature != nil {
		// Not a field of this SDK's parameters; the API takes it.
		opts = append(opts, option.WithJSONSet("temperature", *req.Temperature))
	}
	began := time.Now()
	msg, err := p.client.Messages.New(ctx, params, opts...)
	latency := time.Since(began)
	if err != nil {
		return nil, anthropicError(err)
	}
	var text strings.Builder
	for _, b := range msg.Content {
		if b.Type == "text" {
			text.WriteString(b.Text)
		}
	}
	return &Response{
		Text: clip(text.String(), MaxResponseChars), Model: string(msg.Model),
		TokensIn: msg.Usage.InputTokens, TokensOut: msg.Usage.OutputTokens,
		Latency: latency, FinishReason: string(msg.StopReason),
	}, nil
}

// anthropicError classifies an SDK error by its typed status (529
// overloaded is retryable as every 5xx).
func anthropicError(err error) error {
	var ae *anthropic.Error
	if errors.As(err, &ae) {
		msg := ae.Message
		if t := string(ae.Type()); t != "" {
			msg = t + ": " + msg
		}
		return &Error{Provider: ProviderAnthropic, Status: ae.StatusCode, Message: clip(msg, 500), Retryable: retryableStatus(ae.StatusCode), Err: err}
	}
	return transportError(ProviderAnthropic, err, errors.Is(err, netguard.ErrBlocked))
}
