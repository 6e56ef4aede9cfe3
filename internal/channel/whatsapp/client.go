package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nextflow-dev/nextflow/internal/tracing"
)

// Defaults of ClientOptions.
const (
	// DefaultBaseURL is Meta's Graph API.
	DefaultBaseURL = "https://graph.facebook.com"
	// DefaultAPIVersion is the Graph API version sends are made with.
	DefaultAPIVersion = "v21.0"
	// DefaultTimeout bounds one call.
	DefaultTimeout = 15 * time.Second
	// DefaultMaxIdleConns is how many idle connections to the Graph API
	// the default client keeps for reuse. Sends run in parallel (one per
	// River worker); Go's default of two idle connections per host would
	// make most of them dial, and shake hands with TLS, anew.
	DefaultMaxIdleConns = 64
)

// Bounds of what the client sends.
const (
	// MaxTextLength is the longest text body, in characters.
	MaxTextLength = 4096
	// MaxCallbackData bounds biz_opaque_callback_data.
	MaxCallbackData = 512
	// maxAnswer bounds a Graph answer read.
	maxAnswer = 1 << 20
)

// ClientOptions configures a Client. BaseURL and APIVersion are operator
// settings (tests and self-hosted gateways point them elsewhere), never
// tenant input, so calls do not go through the SSRF guard.
type ClientOptions struct {
	// BaseURL is the Graph API root; DefaultBaseURL when empty.
	BaseURL string
	// APIVersion is "vN.M"; DefaultAPIVersion when empty.
	APIVersion string
	// Timeout bounds one call when HTTPClient is nil; DefaultTimeout when zero.
	Timeout time.Duration
	// HTTPClient makes the calls; one with Timeout keeping up to
	// DefaultMaxIdleConns idle connections when nil.
	HTTPClient *http.Client
}

// Client calls the WhatsApp Cloud API. It is safe for concurrent use; the
// phone number ID and the access token are given per call because they
// belong to a tenant's connection.
type Client struct {
	base    *url.URL
	version string
	http    *http.Client
}

var versionPattern = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,3}$`)

// NewClient checks opts and returns a Client.
func NewClient(opts ClientOptions) (*Client, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("whatsapp base URL %q must be an absolute http(s) URL", opts.BaseURL)
	}
	if opts.APIVersion == "" {
		opts.APIVersion = DefaultAPIVersion
	}
	if !versionPattern.MatchString(opts.APIVersion) {
		return nil, fmt.Errorf("whatsapp API version %q must look like v21.0", opts.APIVersion)
	}
	hc := opts.HTTPClient
	if hc == nil {
		timeout := opts.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = DefaultMaxIdleConns, DefaultMaxIdleConns
		hc = &http.Client{Timeout: timeout, Transport: tracing.Transport(tr)}
	}
	return &Client{base: base, version: opts.APIVersion, http: hc}, nil
}

// Message is one outgoing message: exactly one of Text, Template and Media.
type Message struct {
	// To is the recipient's phone number, digits with or without "+".
	To       string    `json:"to"`
	Text     *Text     `json:"text,omitempty"`
	Template *Template `json:"template,omitempty"`
	Media    *Media    `json:"media,omitempty"`
	// CallbackData is sent as biz_opaque_callback_data and comes back on
	// the message's status webhooks (our message ID).
	CallbackData string `json:"callbackData,omitempty"`
}

// Text is a free-form text message.
type Text struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"previewUrl,omitempty"`
}

// Template is an approved message template.
type Template struct {
	Name string `json:"name"`
	// Language is the template's language code; "en_US" when empty.
	Language string `json:"language,omitempty"`
	// BodyParameters fill {{1}}, {{2}}… of the body.
	BodyParameters []string `json:"bodyParameters,omitempty"`
	// HeaderParameters fill a text header's parameters.
	HeaderParameters []string `json:"headerParameters,omitempty"`
	// Buttons fill dynamic buttons.
	Buttons []TemplateButton `json:"buttons,omitempty"`
}

// TemplateButton fills one button of a template.
type TemplateButton struct {
	// SubType is "quick_reply" (Parameter is a payload) or "url"
	// (Parameter is the URL suffix).
	SubType   string `json:"subType"`
	Index     int    `json:"index"`
	Parameter string `json:"parameter"`
}

// Media is a media message sent by link.
type Media struct {
	// Type is image, document, video or audio.
	Type     string `json:"type"`
	Link     string `json:"link"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// SendResult is Meta's acceptance of a message (not its delivery).
type SendResult struct {
	// MessageID is the wamid status webhooks refer to.
	MessageID string
	// WaID is the recipient's WhatsApp ID.
	WaID string
}

// NormalizePhone returns the digits of an E.164 number (without "+"), as
// the Cloud API takes them, after removing spaces, dashes, dots and
// parentheses; an error when it is not a plausible E.164 number ("+"
// optional, a first digit 1-9, 7 to 15 digits).
func NormalizePhone(s string) (string, error) {
	t := strings.TrimSpace(s)
	var digits [15]byte
	n, plus := 0, false
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		case c == '+' && n == 0 && !plus:
			plus = true
		case c >= '0' && c <= '9' && n < len(digits) && (n > 0 || c != '0'):
			digits[n] = c
			n++
		default:
			return "", fmt.Errorf("%q is not a phone number in E.164 (+ and 7 to 15 digits)", s)
		}
	}
	if n < 7 {
		return "", fmt.Errorf("%q is not a phone number in E.164 (+ and 7 to 15 digits)", s)
	}
	if n == len(t) {
		return t, nil // digits only: no copy
	}
	return string(digits[:n]), nil
}

// Validate checks m against the Cloud API's rules before any call.
func (m Message) Validate() error {
	if _, err := NormalizePhone(m.To); err != nil {
		return fmt.Errorf("to: %w", err)
	}
	n := 0
	for _, set := range []bool{m.Text != nil, m.Template != nil, m.Media != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return errors.New("a message is exactly one of text, template and media")
	}
	if len(m.CallbackData) > MaxCallbackData {
		return fmt.Errorf("callback data is longer than %d bytes", MaxCallbackData)
	}
	switch {
	case m.Text != nil:
		if strings.TrimSpace(m.Text.Body) == "" {
			return errors.New("text: the body is empty")
		}
		if utf8.RuneCountInString(m.Text.Body) > MaxTextLength {
			return fmt.Errorf("text: the body is longer than %d characters", MaxTextLength)
		}
	case m.Template != nil:
		if m.Template.Name == "" {
			return errors.New("template: the name is empty")
		}
		for i, b := range m.Template.Buttons {
			if b.SubType != "quick_reply" && b.SubType != "url" {
				return fmt.Errorf("template: button %d: sub type %q must be quick_reply or url", i, b.SubType)
			}
		}
	case m.Media != nil:
		switch m.Media.Type {
		case "image", "document", "video", "audio":
		default:
			return fmt.Errorf("media: type %q must be image, document, video or audio", m.Media.Type)
		}
		u, err := url.Parse(m.Media.Link)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("media: link %q must be an absolute http(s) URL", m.Media.Link)
		}
	}
	return nil
}

// Body returns the JSON body of the send request for m (wire.go: the
// same bytes as a map of the fields would give, keys in order).
func (m Message) Body() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	to, _ := NormalizePhone(m.To)
	return json.Marshal(m.wire(to))
}

// Send sends m from the business phone number phoneNumberID with the
// connection's access token. A Graph error answer is an *APIError; a
// request that failed or timed out is a *TransportError (its outcome is
// unknown); classify either with ClassifyError.
func (c *Client) Send(ctx context.Context, phoneNumberID, token string, m Message) (*SendResult, error) {
	body, err := m.Body()
	if err != nil {
		return nil, err
	}
	var answer struct {
		Contacts []struct {
			WaID string `json:"wa_id"`
		} `json:"contacts"`
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := c.call(ctx, http.MethodPost, phoneNumberID, "messages", nil, token, body, &answer); err != nil {
		return nil, err
	}
	if len(answer.Messages) == 0 || answer.Messages[0].ID == "" {
		return nil, &TransportError{Err: errors.New("the answer names no message ID")}
	}
	res := &SendResult{MessageID: answer.Messages[0].ID}
	if len(answer.Contacts) > 0 {
		res.WaID = answer.Contacts[0].WaID
	}
	return res, nil
}

// PhoneNumber is what the Graph API tells about a business phone number.
type PhoneNumber struct {
	ID                 string `json:"id"`
	DisplayPhoneNumber string `json:"display_phone_number"`
	VerifiedName       string `json:"verified_name"`
	QualityRating      string `json:"quality_rating"`
}

// PhoneNumber reads the business phone number's metadata: the connection
// test. Errors are as Send's.
func (c *Client) PhoneNumber(ctx context.Context, phoneNumberID, token string) (*PhoneNumber, error) {
	var out PhoneNumber
	q := url.Values{"fields": {"display_phone_number,verified_name,quality_rating"}}
	if err := c.call(ctx, http.MethodGet, phoneNumberID, "", q, token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

var idPattern = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

// call makes one Graph API request and decodes a 2xx answer into out.
func (c *Client) call(ctx context.Context, method, objectID, edge string, query url.Values, token string, body []byte, out any) error {
	if !idPattern.MatchString(objectID) {
		return fmt.Errorf("phone number ID %q must be 1-64 letters or digits", objectID)
	}
	if token == "" {
		return &APIError{Code: CodeAccessToken, Message: "the connection has no access token"}
	}
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/" + c.version + "/" + objectID
	if edge != "" {
		u.Path += "/" + edge
	}
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("build whatsapp request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL carries no secret; the error may name it.
		return &TransportError{Err: fmt.Errorf("%s %s: %w", method, u.Redacted(), unwrapURL(err))}
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return &TransportError{Err: fmt.Errorf("read answer: %w", err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return apiError(resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &TransportError{Err: fmt.Errorf("decode answer (HTTP %d): %w", resp.StatusCode, err)}
	}
	return nil
}

// unwrapURL drops *url.Error's own "Post URL:" prefix, already given.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// apiError decodes a Graph error envelope; an answer without one keeps
// its HTTP status (and a 5xx is retryable through ClassOf).
func apiError(status int, data []byte) *APIError {
	var env struct {
		Error *struct {
			Message      string `json:"message"`
			Type         string `json:"type"`
			Code         int    `json:"code"`
			ErrorSubcode int    `json:"error_subcode"`
			ErrorData    struct {
				Details string `json:"details"`
			} `json:"error_data"`
			FBTraceID string `json:"fbtrace_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(data, &env); err != nil || env.Error == nil {
		text := strings.TrimSpace(string(data))
		if len(text) > 200 {
			text = text[:200]
		}
		return &APIError{HTTPStatus: status, Message: "answer without a Graph error: " + strings.ToValidUTF8(text, "?")}
	}
	e := env.Error
	return &APIError{HTTPStatus: status, Code: e.Code, Subcode: e.ErrorSubcode, Type: e.Type,
		Message: e.Message, Details: e.ErrorData.Details, TraceID: e.FBTraceID}
}
