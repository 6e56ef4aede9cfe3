// Package ai is NextFlow's AI engine: one Provider interface over the
// model APIs a workspace may use (OpenAI-compatible servers through the
// official openai-go SDK, Anthropic through anthropic-sdk-go, and a
// deterministic offline provider for development), per-tenant settings with
// a sealed API key and a monthly token budget, usage accounting with a cost
// estimate, and AI-drafted workflows checked by the same validation as
// hand-built ones.
//
// Every call a provider makes goes through the SSRF guard
// (internal/engine/netguard): the base URL is written by a tenant. The
// SDKs' own retries are off; the engine's outbox retries a failed step by
// the node's policy, so a Provider error says only whether a retry may
// help (Retryable).
package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Provider names, as stored in a tenant's settings.
const (
	ProviderOpenAI    = "openai"
	ProviderAnthropic = "anthropic"
	ProviderLocal     = "local"
)

// Providers lists the provider names a tenant may choose.
var Providers = []string{ProviderOpenAI, ProviderAnthropic, ProviderLocal}

// Bounds of one call.
const (
	// MaxTokensLimit caps the tokens one call may ask for (Anthropic's SDK
	// refuses non-streaming calls far above this).
	MaxTokensLimit = 16384
	// DefaultMaxTokens is a call's token limit when none is given.
	DefaultMaxTokens = 1024
	// DefaultCallTimeout bounds one call (below the engine's job timeout).
	DefaultCallTimeout = 45 * time.Second
	// MaxResponseChars bounds the text kept from a model's answer.
	MaxResponseChars = 64 << 10
)

// Role is who speaks a message.
type Role string

// Message roles.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Message is one turn of the conversation sent to a model.
type Message struct {
	Role    Role   `json:"role"`
	Content string `json:"content"`
}

// Request is one call: messages in, text (or JSON matching Schema) out.
type Request struct {
	// Model is the provider's model name.
	Model string
	// System is the system prompt ("" for none).
	System   string
	Messages []Message
	// MaxTokens bounds the answer (DefaultMaxTokens when 0; at most
	// MaxTokensLimit).
	MaxTokens int
	// Temperature, when set, is sent as is.
	Temperature *float64
	// Schema, when set, asks for JSON matching this JSON Schema, as
	// structured output where the provider offers it. The caller still
	// validates the answer.
	Schema json.RawMessage
	// SchemaName names the schema for providers that want a name.
	SchemaName string
	// Strict asks for OpenAI's strict structured output, which accepts
	// only schemas whose objects list every property as required and
	// forbid others; leave it off for schemas a tenant wrote.
	Strict bool
}

// Response is a model's answer and what it cost.
type Response struct {
	Text      string        `json:"text"`
	Model     string        `json:"model"`
	TokensIn  int64         `json:"tokensIn"`
	TokensOut int64         `json:"tokensOut"`
	Latency   time.Duration `json:"-"`
	// FinishReason is the provider's stop reason (stop, length, end_turn…).
	FinishReason string `json:"finishReason,omitempty"`
}

// Provider makes one model call. Implementations are safe for concurrent
// use and make exactly one HTTP request per call (no retries of their
// own).
type Provider interface {
	// Name is the provider's name (ProviderOpenAI…).
	Name() string
	// Complete makes the call. Its error is an *Error when the provider
	// answered with a failure or could not be reached.
	Complete(ctx context.Context, req Request) (*Response, error)
}

// Error is a failed call, classified for the engine's retry policy.
type Error struct {
	Provider string
	// Status is the HTTP status (0 when no answer came).
	Status int
	// Message is the provider's error message, bounded; it never holds the
	// API key or the request.
	Message string
	// Retryable: 429, 408, 409, 5xx, timeouts and network errors.
	Retryable bool
	Err       error
}

// Error describes the failure without the request's URL or headers.
func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s: %s", e.Provider, e.Message)
	}
	if e.Message == "" {
		return fmt.Sprintf("%s: status %d %s", e.Provider, e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("%s: status %d: %s", e.Provider, e.Status, e.Message)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// IsRetryable reports whether a failed call may succeed if made again.
// Errors that are not *Error (a bug, a bad request built here) are not.
func IsRetryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable
	}
	return false
}

// retryableStatus is the SDKs' own rule: 408, 409, 429 and 5xx.
func retryableStatus(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusConflict ||
		status == http.StatusTooManyRequests || status >= 500
}

// transportError classifies an error that carries no HTTP status: a
// deadline or a network failure is retryable, a refused destination (the
// SSRF guard) or a cancelled context is not.
func transportError(provider string, err error, blocked bool) *Error {
	switch {
	case blocked:
		return &Error{Provider: provider, Message: "the base URL's address is not allowed (SSRF guard)", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Provider: provider, Message: "the call timed out", Retryable: true, Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Provider: provider, Message: "the call was cancelled", Retryable: true, Err: err}
	}
	return &Error{Provider: provider, Message: "the provider could not be reached: " + clip(err.Error(), 300), Retryable: true, Err: err}
}

// clip bounds s to n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// maxTokens is a request's token limit within bounds.
func (r *Request) maxTokens() int64 {
	n := r.MaxTokens
	if n <= 0 {
		n = DefaultMaxTokens
	}
	return int64(min(n, MaxTokensLimit))
}
