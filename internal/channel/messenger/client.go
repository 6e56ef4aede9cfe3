package messenger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nextflow-dev/nextflow/internal/tracing"
)

// Defaults of the Graph API endpoint; both are settings, so tests and
// self-hosted gateways point elsewhere.
const (
	DefaultBaseURL = "https://graph.facebook.com"
	DefaultVersion = "v21.0"
	// DefaultTimeout bounds one Send API call when the context has no
	// earlier deadline.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxIdleConns is how many idle connections to the Graph API
	// the default client keeps for reuse. Sends run in parallel (one per
	// River worker); Go's default of two idle connections per host would
	// make most of them dial, and shake hands with TLS, anew.
	DefaultMaxIdleConns = 64
)

// Limits of one message.
const (
	// MaxTextLen is the longest text message, in characters.
	MaxTextLen = 2000
	// MaxMetadataLen is the longest metadata string, in characters.
	MaxMetadataLen = 1000
	// MaxPSIDLen is the longest page-scoped ID accepted, in digits.
	MaxPSIDLen = 32
	// maxResponseBytes bounds a Send API answer read into memory.
	maxResponseBytes = 64 << 10
)

// MessagingType is the Send API's messaging_type.
type MessagingType string

// Messaging types.
const (
	// Response answers a message the person sent, inside the 24-hour
	// window.
	Response MessagingType = "RESPONSE"
	// Update is a message sent on the page's own initiative, inside the
	// 24-hour window.
	Update MessagingType = "UPDATE"
	// MessageTag is a message outside the 24-hour window, allowed by its
	// tag.
	MessageTag MessagingType = "MESSAGE_TAG"
)

// TagHumanAgent is the one message tag NextFlow sends: a person's reply up
// to seven days after the user's last action. Meta documents others
// (CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE, ACCOUNT_UPDATE), but
// their rules are not confirmed, so a send that needs one is refused
// rather than risking the page's standing.
const TagHumanAgent = "HUMAN_AGENT"

// Message is one text message to send.
type Message struct {
	// Recipient is the person's page-scoped ID (PSID).
	Recipient     string
	MessagingType MessagingType
	// Tag is set with MessageTag only, and must be TagHumanAgent.
	Tag  string
	Text string
	// Metadata travels with the message and comes back on its echo; the
	// sender puts its own message ID there.
	Metadata string
}

// Validate checks m before any call: a PSID of digits, a known messaging
// type, a tag exactly when the type is MESSAGE_TAG (HUMAN_AGENT only), a
// non-empty text of at most MaxTextLen characters, metadata of at most
// MaxMetadataLen.
func (m *Message) Validate() error {
	if err := CheckPSID(m.Recipient); err != nil {
		return err
	}
	switch m.MessagingType {
	case Response, Update:
		if m.Tag != "" {
			return fmt.Errorf("a message tag goes with messaging_type %s only, not %s", MessageTag, m.MessagingType)
		}
	case MessageTag:
		if err := CheckTag(m.Tag); err != nil {
			return err
		}
	default:
		return fmt.Errorf("messaging_type %q: want %s, %s or %s", m.MessagingType, Response, Update, MessageTag)
	}
	switch n := utf8.RuneCountInString(m.Text); {
	case strings.TrimSpace(m.Text) == "":
		return errors.New("the message text is empty")
	case !utf8.ValidString(m.Text):
		return errors.New("the message text is not valid UTF-8")
	case n > MaxTextLen:
		return fmt.Errorf("the message text is %d characters, Messenger's limit is %d", n, MaxTextLen)
	}
	if n := utf8.RuneCountInString(m.Metadata); n > MaxMetadataLen {
		return fmt.Errorf("metadata is %d characters, limit %d", n, MaxMetadataLen)
	}
	return nil
}

// CheckPSID checks a page-scoped ID: 1 to MaxPSIDLen digits.
func CheckPSID(psid string) error {
	if psid == "" {
		return errors.New("the recipient has no Messenger PSID")
	}
	if len(psid) > MaxPSIDLen {
		return fmt.Errorf("the PSID is %d characters, limit %d", len(psid), MaxPSIDLen)
	}
	for _, r := range psid {
		if r < '0' || r > '9' {
			return fmt.Errorf("the PSID %q is not all digits", psid)
		}
	}
	return nil
}

// CheckTag accepts TagHumanAgent and refuses every other tag, naming why.
func CheckTag(tag string) error {
	switch tag {
	case TagHumanAgent:
		return nil
	case "":
		return fmt.Errorf("messaging_type %s needs a tag", MessageTag)
	}
	return fmt.Errorf("message tag %q is not supported: only %s is confirmed for sends outside the 24-hour window", tag, TagHumanAgent)
}

// SendResult is the Send API's success answer.
type SendResult struct {
	RecipientID string `json:"recipient_id"`
	MessageID   string `json:"message_id"`
}

// Client calls the Send API. Its base URL is an operator setting, not a
// tenant's, so it is not sent through the SSRF guard. The zero value is
// not usable; build it with NewClient or fill every field.
type Client struct {
	// BaseURL is the Graph API's root, e.g. DefaultBaseURL.
	BaseURL string
	// Version is the Graph API version, "v21.0" or "21.0".
	Version string
	HTTP    *http.Client
}

// NewClient returns a client of baseURL and version (defaults when
// empty) over httpClient (when nil, a client with DefaultTimeout keeping
// up to DefaultMaxIdleConns idle connections).
func NewClient(baseURL, version string, httpClient *http.Client) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if version == "" {
		version = DefaultVersion
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("messenger base URL %q is not an absolute http(s) URL", baseURL)
	}
	if httpClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = DefaultMaxIdleConns, DefaultMaxIdleConns
		httpClient = &http.Client{Timeout: DefaultTimeout, Transport: tracing.Transport(tr)}
	}
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Version: normalizeVersion(version), HTTP: httpClient}, nil
}

// normalizeVersion returns v with a leading "v" ("21.0" → "v21.0").
func normalizeVersion(v string) string {
	v = strings.Trim(strings.TrimSpace(v), "/")
	if v != "" && !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	return v
}

// endpoint is the URL of path under the page, without the token, for
// requests and error messages alike.
func (c *Client) endpoint(pageID, path string) string {
	return c.BaseURL + "/" + normalizeVersion(c.Version) + "/" + url.PathEscape(pageID) + path
}

type sendBody struct {
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	MessagingType MessagingType `json:"messaging_type"`
	Tag           string        `json:"tag,omitempty"`
	Message       struct {
		Text     string `json:"text"`
		Metadata string `json:"metadata,omitempty"`
	} `json:"message"`
}

// Send posts m for the page pageID with its page token. A failure is an
// *Error telling whether to retry and whether the token is broken; a
// network failure or timeout is a retryable *Error too. The token never
// appears in an error.
func (c *Client) Send(ctx context.Context, pageID, token string, m Message) (SendResult, error) {
	if err := m.Validate(); err != nil {
		return SendResult{}, &Error{Reason: err.Error(), Message: err.Error()}
	}
	if pageID == "" || token == "" {
		return SendResult{}, &Error{Reason: "the connection has no page ID or page token", Message: "missing page ID or token"}
	}
	var body sendBody
	body.Recipient.ID = m.Recipient
	body.MessagingType = m.MessagingType
	body.Tag = m.Tag
	body.Message.Text = m.Text
	body.Message.Metadata = m.Metadata
	payload, err := json.Marshal(body)
	if err != nil {
		return SendResult{}, &Error{Reason: "the message cannot be encoded", Message: err.Error()}
	}
	data, status, err := c.do(ctx, http.MethodPost, pageID, "/messages", token, payload)
	if err != nil {
		return SendResult{}, err
	}
	if status < 200 || status > 299 {
		return SendResult{}, parseError(status, data, token)
	}
	var res SendResult
	if err := json.Unmarshal(data, &res); err != nil || res.MessageID == "" {
		// Accepted (2xx) but not understood: the message may be out, so
		// sending it again could duplicate it.
		return SendResult{}, &Error{Status: status,
			Reason:  "Messenger accepted the call but its answer carries no message_id",
			Message: fmt.Sprintf("answer %.200q", data)}
	}
	return res, nil
}

// Page is the part of a Page object the connection test reads.
type Page struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// GetPage reads the page with its token: the connection test. Errors are
// *Error, as Send's.
func (c *Client) GetPage(ctx context.Context, pageID, token string) (Page, error) {
	if pageID == "" || token == "" {
		return Page{}, &Error{Reason: "the connection has no page ID or page token", Message: "missing page ID or token"}
	}
	data, status, err := c.do(ctx, http.MethodGet, pageID, "", token, nil)
	if err != nil {
		return Page{}, err
	}
	if status < 200 || status > 299 {
		return Page{}, parseError(status, data, token)
	}
	var p Page
	if err := json.Unmarshal(data, &p); err != nil || p.ID == "" {
		return Page{}, &Error{Status: status, Reason: "the Graph API's answer is not a page", Message: fmt.Sprintf("answer %.200q", data)}
	}
	return p, nil
}

// do makes one call and returns the body and status; its error is a
// retryable *Error (the call may not have been made, or its answer was
// lost).
func (c *Client) do(ctx context.Context, method, pageID, path, token string, payload []byte) ([]byte, int, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	where := c.endpoint(pageID, path)
	target := where + "?" + url.Values{"access_token": {token}}.Encode()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, 0, &Error{Reason: "the Graph API URL is not valid", Message: fmt.Sprintf("%s %s: build request", method, where)}
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "NextFlow/1 (+messenger)")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		// *url.Error carries the full URL, token included: keep only the
		// cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, &Error{Retryable: true, Reason: "Messenger could not be reached",
			Message: redact(fmt.Sprintf("%s %s: %v", method, where, err), token), cause: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, 0, &Error{Status: resp.StatusCode, Retryable: true, Reason: "Messenger's answer was cut off",
			Message: redact(fmt.Sprintf("%s %s: read answer: %v", method, where, err), token), cause: err}
	}
	return data, resp.StatusCode, nil
}

// redact blanks the token wherever it shows in s.
func redact(s, token string) string {
	if token == "" {
		return s
	}
	s = strings.ReplaceAll(s, token, "[redacted]")
	return strings.ReplaceAll(s, url.QueryEscape(token), "[redacted]")
}
