// Package aifake runs local HTTP servers that speak the OpenAI Chat
// Completions and Anthropic Messages wire formats (as written down in
// shared/reference/ai-providers.md), for tests that drive the real SDK
// clients: they check the auth header, record each request, count calls
// and answer with scripted successes or failures (429 with retry-after,
// 500, 400…).
package aifake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Flavours of server.
const (
	OpenAI    = "openai"
	Anthropic = "anthropic"
)

// Reply is one scripted answer.
type Reply struct {
	// Status is the HTTP status (200 when 0).
	Status int
	// Text is the assistant's text on success, the error message otherwise.
	Text string
	// ErrorType overrides the provider's error type (e.g. "insufficient_quota").
	ErrorType string
	// RetryAfter, when set, is sent as the retry-after header.
	RetryAfter string
	// TokensIn and TokensOut are the usage reported (12 and 5 when 0).
	TokensIn, TokensOut int64
}

// Request is a call the server received.
type Request struct {
	Path   string
	Header http.Header
	// Body is the decoded JSON body.
	Body map[string]any
	// Raw is the body as sent.
	Raw []byte
}

// Server is a fake provider. It is safe for concurrent use.
type Server struct {
	// URL is the server's root (http://127.0.0.1:port).
	URL string
	// BaseURL is what a client's base URL should be: URL+"/v1" for OpenAI
	// (the SDK's paths are relative to /v1), URL for Anthropic.
	BaseURL string

	flavour string
	key     string
	srv     *httptest.Server

	mu       sync.Mutex
	script   []Reply
	respond  func(Request) Reply
	requests []Request
}

// New starts a fake of flavour (OpenAI or Anthropic) accepting key.
// Unscripted calls answer "ok".
func New(flavour, key string) *Server {
	s := &Server{flavour: flavour, key: key}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	s.BaseURL = s.srv.URL
	if flavour == OpenAI {
		s.BaseURL = s.srv.URL + "/v1"
	}
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Enqueue scripts the next answers, in order.
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, replies...)
}

// Respond answers every unscripted call with fn's reply.
func (s *Server) Respond(fn func(Request) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond = fn
}

// Calls counts the calls received (authorised or not).
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Requests returns the calls received, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// LastUserText returns the text of the last user message of a request, in
// either wire format (content as a string or as text blocks).
func LastUserText(r Request) string {
	msgs, _ := r.Body["messages"].([]any)
	for i := len(msgs) - 1; i >= 0; i-- {
		m, _ := msgs[i].(map[string]any)
		if m["role"] != "user" {
			continue
		}
		switch c := m["content"].(type) {
		case string:
			return c
		case []any:
			var b strings.Builder
			for _, part := range c {
				p, _ := part.(map[string]any)
				if t, ok := p["text"].(string); ok {
					b.WriteString(t)
				}
			}
			return b.String()
		}
	}
	return ""
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	req := Request{Path: r.URL.Path, Header: r.Header.Clone(), Raw: raw}
	_ = json.Unmarshal(raw, &req.Body)
	s.mu.Lock()
	s.requests = append(s.requests, req)
	var reply Reply
	switch {
	case len(s.script) > 0:
		reply, s.script = s.script[0], s.script[1:]
	case s.respond != nil:
		fn := s.respond
		s.mu.Unlock()
		reply = fn(req)
		s.mu.Lock()
	default:
		reply = Reply{Text: "ok"}
	}
	s.mu.Unlock()

	wantPath := "/v1/chat/completions"
	if s.flavour == Anthropic {
		wantPath = "/v1/messages"
	}
	switch {
	case r.Method != http.MethodPost || r.URL.Path != wantPath:
		reply = Reply{Status: http.StatusNotFound, Text: fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)}
	case !s.authorised(r):
		reply = Reply{Status: http.StatusUnauthorized, Text: "invalid API key"}
	case req.Body == nil:
		reply = Reply{Status: http.StatusBadRequest, Text: "the body is not JSON"}
	}
	if reply.Status == 0 {
		reply.Status = http.StatusOK
	}
	if reply.TokensIn == 0 {
		reply.TokensIn = 12
	}
	if reply.TokensOut == 0 {
		reply.TokensOut = 5
	}
	w.Header().Set("Content-Type", "application/json")
	if reply.RetryAfter != "" {
		w.Header().Set("Retry-After", reply.RetryAfter)
	}
	model, _ := req.Body["model"].(string)
	var body any
	if s.flavour == OpenAI {
		w.Header().Set("x-request-id", "req_fake")
		body = openAIBody(reply, model)
	} else {
		w.Header().Set("request-id", "req_fake")
		body = anthropicBody(reply, model)
	}
	w.WriteHeader(reply.Status)
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Server) authorised(r *http.Request) bool {
	if s.flavour == OpenAI {
		return r.Header.Get("Authorization") == "Bearer "+s.key
	}
	return r.Header.Get("x-api-key") == s.key && r.Header.Get("anthropic-version") != ""
}

func openAIBody(r Reply, model string) any {
	if r.Status >= 300 {
		typ, code := "invalid_request_error", any(nil)
		switch {
		case r.ErrorType != "":
			typ, code = r.ErrorType, r.ErrorType
		case r.Status == http.StatusUnauthorized:
			code = "invalid_api_key"
		case r.Status == http.StatusTooManyRequests:
			typ, code = "rate_limit_exceeded", "rate_limit_exceeded"
		case r.Status >= 500:
			typ = "server_error"
		}
		return map[string]any{"error": map[string]any{"message": r.Text, "type": typ, "param": nil, "code": code}}
	}
	return map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion", "created": 1726012687, "model": model,
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": r.Text, "refusal": nil},
			"logprobs": nil, "finish_reason": "stop"}},
		"usage": map[string]any{"prompt_tokens": r.TokensIn, "completion_tokens": r.TokensOut, "total_tokens": r.TokensIn + r.TokensOut},
	}
}

func anthropicBody(r Reply, model string) any {
	if r.Status >= 300 {
		typ := r.ErrorType
		if typ == "" {
			switch {
			case r.Status == http.StatusUnauthorized:
				typ = "authentication_error"
			case r.Status == http.StatusTooManyRequests:
				typ = "rate_limit_error"
			case r.Status == 529:
				typ = "overloaded_error"
			case r.Status >= 500:
				typ = "api_error"
			default:
				typ = "invalid_request_error"
			}
		}
		return map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": r.Text}, "request_id": "req_fake"}
	}
	return map[string]any{
		"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
		"content":     []any{map[string]any{"type": "text", "text": r.Text}},
		"stop_reason": "end_turn", "stop_sequence": nil,
		"usage": map[string]any{"input_tokens": r.TokensIn, "output_tokens": r.TokensOut},
	}
}
