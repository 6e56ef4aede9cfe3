package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/nextflow-dev/nextflow/internal/engine/netguard"
)

// openAIProvider speaks Chat Completions, the API OpenAI-compatible
// servers (vLLM, Ollama, Azure, gateways) share.
type openAIProvider struct {
	client openai.Client
}

func newOpenAI(hc *http.Client, cfg ProviderConfig) *openAIProvider {
	opts := []option.RequestOption{
		option.WithHTTPClient(hc),
		option.WithAPIKey(cfg.APIKey),
		option.WithMaxRetries(0), // the engine retries
		// Settings of the process's environment never reach a tenant's call.
		option.WithHeaderDel("OpenAI-Organization"),
		option.WithHeaderDel("OpenAI-Project"),
	}
	base := cfg.BaseURL
	if base == "" {
		base = "https://api.openai.com/v1/"
	}
	opts = append(opts, option.WithBaseURL(strings.TrimRight(base, "/")+"/"))
	return &openAIProvider{client: openai.NewClient(opts...)}
}

// Name implements Provider.
func (*openAIProvider) Name() string { return ProviderOpenAI }

// Complete implements Provider.
func (p *openAIProvider) Complete(ctx context.Context, req Request) (*Response, error) {
	params := openai.ChatCompletionNewParams{
		Model:               shared.ChatModel(req.Model),
		MaxCompletionTokens: openai.Int(req.maxTokens()),
	}
	if req.System != "" {
		params.Messages = append(params.Messages, openai.SystemMessage(req.System))
	}
	for _, m := range req.Messages {
		if m.Role == RoleAssistant {
			params.Messages = append(params.Messages, openai.AssistantMessage(m.Content))
		} else {
			params.Messages = append(params.Messages, openai.UserMessage(m.Content))
		}
	}
	if req.Temperature != nil {
		params.Temperature = openai.Float(*req.Temperature)
	}
	if len(req.Schema) > 0 {
		var schema map[string]any
		if err := json.Unmarshal(req.Schema, &schema); err != nil {
			return nil, fmt.Errorf("openai: output schema: %w", err)
		}
		name := req.SchemaName
		if name == "" {
			name = "output"
		}
		params.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{
				Name: name, Strict: openai.Bool(req.Strict), Schema: schema,
			}},
		}
	}
	began := time.Now()
	cc, err := p.client.Chat.Completions.New(ctx, params)
	latency := time.Since(began)
	if err != nil {
		return nil, openAIError(err)
	}
	if len(cc.Choices) == 0 {
		return nil, &Error{Provider: ProviderOpenAI, Status: http.StatusOK, Message: "the answer has no choices", Retryable: true}
	}
	ch := cc.Choices[0]
	text := ch.Message.Content
	if text == "" && ch.Message.Refusal != "" {
		text = ch.Message.Refusal
	}
	return &Response{
		Text: clip(text, MaxResponseChars), Model: cc.Model, TokensIn: cc.Usage.PromptTokens, TokensOut: cc.Usage.CompletionTokens,
		Latency: latency, FinishReason: ch.FinishReason,
	}, nil
}

// openAIError classifies an SDK error by its typed status.
func openAIError(err error) error {
	var ae *openai.Error
	if errors.As(err, &ae) {
		msg := ae.Message
		if ae.Code != "" {
			msg = ae.Code + ": " + msg
		}
		retry := retryableStatus(ae.StatusCode)
		if ae.StatusCode == http.StatusTooManyRequests && ae.Code == "insufficient_quota" {
			retry = false // the account is out of credit: no retry helps
		}
		return &Error{Provider: ProviderOpenAI, Status: ae.StatusCode, Message: clip(msg, 500), Retryable: retry, Err: err}
	}
	return transportError(ProviderOpenAI, err, errors.Is(err, netguard.ErrBlocked))
}
