package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/nextflow-dev/nextflow/internal/engine/netguard"
	"github.com/nextflow-dev/nextflow/internal/tmpl"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// maxHTTPTimeout caps a node's timeout below River's job timeout.
const maxHTTPTimeout = 50 * time.Second

// HTTPRequest is the http.request side effect: a templated HTTP call
// through the SSRF guard.
type HTTPRequest struct {
	guard   *netguard.Guard
	client  *http.Client
	timeout time.Duration
	maxBody int64
	tmpl    *tmpl.Engine
	// secrets opens the credentials {{ secrets.NAME }} refers to (nil:
	// a call that uses one fails).
	secrets SecretResolver
}

// NewHTTPRequest builds the http.request side effect, rendering templates
// with engine (nil: a default one).
func NewHTTPRequest(opts HTTPOptions, engine *tmpl.Engine) (*HTTPRequest, error) {
	if engine == nil {
		engine = tmpl.New(tmpl.Options{})
	}
	g, err := netguard.New(opts.Allow, opts.guardOptions()...)
	if err != nil {
		return nil, fmt.Errorf("http.request allow-list: %w", err)
	}
	h := &HTTPRequest{guard: g, timeout: opts.Timeout, maxBody: opts.MaxResponseBytes, tmpl: engine}
	if h.timeout <= 0 {
		h.timeout = DefaultHTTPTimeout
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxResponseBytes
	}
	// The per-request context carries each node's own timeout.
	h.client = g.Client(0)
	return h, nil
}

// guardOptions turns the port settings into netguard options.
func (opts HTTPOptions) guardOptions() []netguard.Option {
	switch {
	case opts.AnyPort:
		return []netguard.Option{netguard.WithAnyPort()}
	case len(opts.Ports) > 0:
		return []netguard.Option{netguard.WithPorts(opts.Ports...)}
	}
	return nil
}

// Kind implements SideEffect.
func (*HTTPRequest) Kind() string { return workflow.TypeHTTPRequest }

type httpConfig struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
	Timeout string            `json:"timeout"`
	// SuccessStatus lists the statuses that succeed (default: any 2xx).
	SuccessStatus []int `json:"successStatus"`
}

// httpCall is the prepared request, as stored in the outbox.
type httpCall struct {
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      string            `json:"body,omitempty"`
	TimeoutMS int64             `json:"timeoutMs"`
	Success   []int             `json:"successStatus,omitempty"`
	// Secrets maps the tokens standing for {{ secrets.NAME }} in URL,
	// headers and body to credential names; Perform puts the values in.
	Secrets map[string]string `json:"secrets,omitempty"`
}

// Prepare renders the URL, headers and body templates over the context.
func (h *HTTPRequest) Prepare(ctx context.Context, in PrepareInput) (json.RawMessage, error) {
	var cfg httpConfig
	config, secretTokens, err := protectSecrets(in.Config)
	if err != nil {
		return nil, err
	}
	if len(config) > 0 {
		if err := json.Unmarshal(config, &cfg); err != nil {
			return nil, fmt.Errorf("decode http.request config: %w", err)
		}
	}
	call := httpCall{Method: strings.ToUpper(strings.TrimSpace(cfg.Method)), Headers: map[string]string{}, Secrets: secretTokens}
	if call.Method == "" {
		call.Method = http.MethodGet
	}
	if call.URL, err = h.render(ctx, cfg.URL, in.Data); err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	u, err := url.Parse(strings.TrimSpace(call.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q is not an absolute http(s) URL", call.URL)
	}
	call.URL = u.String()
	for k, v := range cfg.Headers {
		if call.Headers[k], err = h.render(ctx, v, in.Data); err != nil {
			return nil, fmt.Errorf("header %s: %w", k, err)
		}
	}
	if len(cfg.Body) > 0 && string(cfg.Body) != "null" {
		var s string
		if json.Unmarshal(cfg.Body, &s) == nil {
			if call.Body, err = h.render(ctx, s, in.Data); err != nil {
				return nil, fmt.Errorf("body: %w", err)
			}
		} else {
			// A JSON body: render the templates in its strings.
			var v any
			if err := json.Unmarshal(cfg.Body, &v); err != nil {
				return nil, fmt.Errorf("body: %w", err)
			}
			if v, err = h.renderValue(ctx, v, in.Data); err != nil {
				return nil, fmt.Errorf("body: %w", err)
			}
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("body: %w", err)
			}
			call.Body = string(b)
			if !hasHeader(call.Headers, "Content-Type") {
				call.Headers["Content-Type"] = "application/json"
			}
		}
	}
	timeout := h.timeout
	if cfg.Timeout != "" {
		d, err := workflow.ParseDuration(cfg.Timeout)
		if err != nil {
			return nil, fmt.Errorf("timeout: %w", err)
		}
		if d > 0 {
			timeout = min(d, maxHTTPTimeout)
		}
	}
	call.TimeoutMS = timeout.Milliseconds()
	call.Success = cfg.SuccessStatus
	return json.Marshal(call)
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func (h *HTTPRequest) render(ctx context.Context, src string, data map[string]any) (string, error) {
	if !strings.Contains(src, "{{") && !strings.Contains(src, "{%") {
		return src, nil
	}
	out, err := h.tmpl.Render(ctx, src, data)
	if err != nil {
		return "", fmt.Errorf("render template: %w", err)
	}
	return out, nil
}

func (h *HTTPRequest) renderValue(ctx context.Context, v any, data map[string]any) (any, error) {
	switch t := v.(type) {
	case string:
		return h.render(ctx, t, data)
	case map[string]any:
		for k, x := range t {
			r, err := h.renderValue(ctx, x, data)
			if err != nil {
				return nil, err
			}
			t[k] = r
		}
	case []any:
		for i, x := range t {
			r, err := h.renderValue(ctx, x, data)
			if err != nil {
				return nil, err
			}
			t[i] = r
		}
	}
	return v, nil
}

// httpResponse is the step output of an http.request.
type httpResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    any               `json:"body"`
}

// Perform makes the call. Non-2xx responses fail: 5xx and 429 (and network
// errors) are retryable, other statuses are not.
func (h *HTTPRequest) Perform(ctx context.Context, req EffectRequest) (output json.RawMessage, rerr error) {
	var call httpCall
	if err := json.Unmarshal(req.Request, &call); err != nil {
		return nil, Permanent(fmt.Errorf("decode http.request: %w", err))
	}
	// Credentials are opened only now, and their values are blanked from
	// whatever the call records (a response or error that echoes them).
	secrets, err := h.resolveSecrets(ctx, req.TenantID, &call)
	if err != nil {
		return nil, err
	}
	defer func() { output, rerr = secrets.result(output, rerr) }()
	if len(call.Secrets) > 0 {
		if u, perr := url.Parse(call.URL); perr != nil || u.Host == "" {
			return nil, Permanent(errors.New("the URL is not valid once its credentials are put in"))
		}
	}
	timeout := time.Duration(call.TimeoutMS) * time.Millisecond
	if timeout <= 0 {
		timeout = h.timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if call.Body != "" {
		body = strings.NewReader(call.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, call.Method, call.URL, body)
	if err != nil {
		return nil, Permanent(fmt.Errorf("build request: %w", err))
	}
	for k, v := range call.Headers {
		hreq.Header.Set(k, v)
	}
	if req.IdempotencyKey != "" && hreq.Header.Get("Idempotency-Key") == "" {
		hreq.Header.Set("Idempotency-Key", req.IdempotencyKey)
	}
	if hreq.Header.Get("User-Agent") == "" {
		hreq.Header.Set("User-Agent", "NextFlow/1 (+http.request)")
	}
	resp, err := h.client.Do(hreq)
	if err != nil {
		if errors.Is(err, netguard.ErrBlocked) {
			return nil, Permanent(fmt.Errorf("%s %s: %w", call.Method, redactURL(hreq.URL), netguard.ErrBlocked))
		}
		return nil, Retryable(fmt.Errorf("%s %s: %w", call.Method, redactURL(hreq.URL), err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, h.maxBody+1))
	if err != nil {
		return nil, Retryable(fmt.Errorf("%s %s: read response: %w", call.Method, redactURL(hreq.URL), err))
	}
	if int64(len(data)) > h.maxBody {
		return nil, Permanent(fmt.Errorf("%s %s: response larger than %d bytes", call.Method, redactURL(hreq.URL), h.maxBody))
	}
	out := httpResponse{Status: resp.StatusCode, Headers: make(map[string]string, len(resp.Header)), Body: decodeBody(resp.Header.Get("Content-Type"), data)}
	for k, v := range resp.Header {
		if len(v) > 0 {
			out.Headers[strings.ToLower(k)] = v[0]
		}
	}
	encoded, err := json.Marshal(out)
	if err != nil {
		return nil, Permanent(fmt.Errorf("encode response: %w", err))
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if len(call.Success) > 0 {
		ok = slices.Contains(call.Success, resp.StatusCode)
	}
	if !ok {
		err := fmt.Errorf("%s %s: status %d", call.Method, redactURL(hreq.URL), resp.StatusCode)
		return nil, &EffectError{Err: err, Output: encoded,
			Retryable: resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout}
	}
	return encoded, nil
}

// decodeBody parses JSON bodies and returns others as text.
func decodeBody(contentType string, data []byte) any {
	if len(data) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt == "" && json.Valid(data)) {
		var v any
		d := json.NewDecoder(bytes.NewReader(data))
		if d.Decode(&v) == nil {
			return v
		}
	}
	return string(data)
}

// redactURL drops credentials and the query string from error messages.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.Fragment = ""
	return c.String()
}
