package ai_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/ai/aifake"
)

// loopback lets the guarded client reach the fake servers, as an operator
// allows a local model server with NEXTFLOW_HTTP_ALLOW.
func loopback(t *testing.T) *ai.Factory {
	t.Helper()
	f, err := ai.NewFactory(ai.NetOptions{Allow: []string{"127.0.0.1"}})
	require.NoError(t, err)
	return f
}

func provider(t *testing.T, f *ai.Factory, flavour string, srv *aifake.Server) ai.Provider {
	t.Helper()
	p, err := f.New(ai.ProviderConfig{Provider: flavour, BaseURL: srv.BaseURL, APIKey: "sk-test-key"})
	require.NoError(t, err)
	return p
}

func TestProvidersSpeakTheWireFormats(t *testing.T) {
	t.Parallel()
	temp := 0.2
	req := ai.Request{Model: "m-1", System: "be brief", Messages: []ai.Message{{Role: ai.RoleUser, Content: "hello"}},
		MaxTokens: 64, Temperature: &temp, Schema: json.RawMessage(`{"type":"object","properties":{"label":{"enum":["a","b"]}},"required":["label"],"additionalProperties":false}`)}
	for _, flavour := range []string{aifake.OpenAI, aifake.Anthropic} {
		t.Run(flavour, func(t *testing.T) {
			t.Parallel()
			srv := aifake.New(flavour, "sk-test-key")
			defer srv.Close()
			srv.Enqueue(aifake.Reply{Text: `{"label":"a"}`, TokensIn: 30, TokensOut: 4})
			res, err := provider(t, loopback(t), flavour, srv).Complete(context.Background(), req)
			require.NoError(t, err)
			require.Equal(t, `{"label":"a"}`, res.Text)
			require.Equal(t, int64(30), res.TokensIn)
			require.Equal(t, int64(4), res.TokensOut)
			require.Equal(t, "m-1", res.Model)
			require.Equal(t, 1, srv.Calls())
			got := srv.Requests()[0]
			require.Equal(t, "m-1", got.Body["model"])
			require.InDelta(t, 0.2, got.Body["temperature"], 1e-9)
			require.Equal(t, "hello", aifake.LastUserText(got))
			if flavour == aifake.OpenAI {
				require.Equal(t, "/v1/chat/completions", got.Path)
				require.Equal(t, "Bearer sk-test-key", got.Header.Get("Authorization"))
				require.EqualValues(t, 64, got.Body["max_completion_tokens"])
				rf, _ := got.Body["response_format"].(map[string]any)
				require.Equal(t, "json_schema", rf["type"])
				msgs, _ := got.Body["messages"].([]any)
				require.Equal(t, "system", msgs[0].(map[string]any)["role"])
			} else {
				require.Equal(t, "/v1/messages", got.Path)
				require.Equal(t, "sk-test-key", got.Header.Get("x-api-key"))
				require.NotEmpty(t, got.Header.Get("anthropic-version"))
				require.Empty(t, got.Header.Get("Authorization"), "the key goes in x-api-key only")
				require.EqualValues(t, 64, got.Body["max_tokens"])
				oc, _ := got.Body["output_config"].(map[string]any)
				format, _ := oc["format"].(map[string]any)
				require.Equal(t, "json_schema", format["type"])
				require.NotEmpty(t, got.Body["system"])
			}
		})
	}
}

func TestProviderErrorsAreClassified(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		reply     aifake.Reply
		retryable bool
	}{
		{"RateLimited", aifake.Reply{Status: http.StatusTooManyRequests, Text: "slow down", RetryAfter: "0"}, true},
		{"ServerError", aifake.Reply{Status: http.StatusInternalServerError, Text: "boom"}, true},
		{"BadRequest", aifake.Reply{Status: http.StatusBadRequest, Text: "bad model"}, false},
	}
	for _, flavour := range []string{aifake.OpenAI, aifake.Anthropic} {
		for _, tc := range cases {
			t.Run(flavour+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				srv := aifake.New(flavour, "sk-test-key")
				defer srv.Close()
				srv.Enqueue(tc.reply)
				_, err := provider(t, loopback(t), flavour, srv).Complete(context.Background(),
					ai.Request{Model: "m", Messages: []ai.Message{{Role: ai.RoleUser, Content: "x"}}})
				var ae *ai.Error
				require.ErrorAs(t, err, &ae)
				require.Equal(t, tc.reply.Status, ae.Status)
				require.Equal(t, tc.retryable, ai.IsRetryable(err))
				require.Contains(t, err.Error(), tc.reply.Text)
				require.NotContains(t, err.Error(), "sk-test-key")
				require.Equal(t, 1, srv.Calls(), "the SDK does not retry on its own")
			})
		}
	}
}

func TestProviderWrongKeyIsPermanent(t *testing.T) {
	t.Parallel()
	srv := aifake.New(aifake.OpenAI, "sk-right")
	defer srv.Close()
	_, err := provider(t, loopback(t), aifake.OpenAI, srv).Complete(context.Background(),
		ai.Request{Model: "m", Messages: []ai.Message{{Role: ai.RoleUser, Content: "x"}}})
	require.Error(t, err)
	require.False(t, ai.IsRetryable(err))
}

func TestProviderBaseURLGoesThroughTheSSRFGuard(t *testing.T) {
	t.Parallel()
	srv := aifake.New(aifake.OpenAI, "sk-test-key")
	defer srv.Close()
	f, err := ai.NewFactory(ai.NetOptions{AnyPort: true}) // loopback not allowed
	require.NoError(t, err)
	_, err = provider(t, f, aifake.OpenAI, srv).Complete(context.Background(),
		ai.Request{Model: "m", Messages: []ai.Message{{Role: ai.RoleUser, Content: "x"}}})
	require.Error(t, err)
	require.False(t, ai.IsRetryable(err))
	require.Contains(t, err.Error(), "SSRF")
	require.Zero(t, srv.Calls())
}

func TestFactoryRefusesARealProviderWithoutKey(t *testing.T) {
	t.Parallel()
	_, err := loopback(t).New(ai.ProviderConfig{Provider: ai.ProviderOpenAI})
	require.ErrorContains(t, err, "no API key")
	_, err = loopback(t).New(ai.ProviderConfig{Provider: "bogus", APIKey: "k"})
	require.ErrorContains(t, err, "unknown AI provider")
}

func TestLocalProviderIsDeterministicAndLabelled(t *testing.T) {
	t.Parallel()
	p := ai.Local{}
	res, err := p.Complete(context.Background(), ai.Request{Messages: []ai.Message{{Role: ai.RoleUser, Content: "write hi"}}})
	require.NoError(t, err)
	require.Contains(t, res.Text, ai.LocalPrefix)
	schema := json.RawMessage(`{"type":"object","properties":{"label":{"enum":["question","complaint","other"]},"reason":{"type":"string"}}}`)
	res, err = p.Complete(context.Background(), ai.Request{Schema: schema, Messages: []ai.Message{{Role: ai.RoleUser, Content: "I have a complaint about my order"}}})
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.Text), &out))
	require.Equal(t, "complaint", out["label"])
	res, err = p.Complete(context.Background(), ai.Request{Schema: schema, Messages: []ai.Message{{Role: ai.RoleUser, Content: "nothing here"}}})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(res.Text), &out))
	require.Equal(t, "other", out["label"])
}

// TestProviderTimeoutIsRetryable: a provider that does not answer within
// the call's deadline is a retryable failure (the engine's retry policy
// applies), for both SDK clients.
func TestProviderTimeoutIsRetryable(t *testing.T) {
	t.Parallel()
	for _, flavour := range []string{ai.ProviderOpenAI, ai.ProviderAnthropic} {
		t.Run(flavour, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			defer srv.Close()
			defer close(release)
			p, err := loopback(t).New(ai.ProviderConfig{Provider: flavour, BaseURL: srv.URL + "/v1", APIKey: "sk-test-key"})
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_, err = p.Complete(ctx, ai.Request{Model: "m", Messages: []ai.Message{{Role: ai.RoleUser, Content: "x"}}})
			require.Error(t, err)
			require.True(t, ai.IsRetryable(err), "a timeout is retried: %v", err)
		})
	}
}
