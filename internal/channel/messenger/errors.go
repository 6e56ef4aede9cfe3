package messenger

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Graph API error codes and subcodes the Send API answers with.
const (
	CodeUnknown          = 1
	CodeService          = 2
	CodeTooManyCalls     = 4
	CodePermission       = 10
	CodeInvalidParameter = 100
	CodeTokenInvalid     = 190
	CodeUnavailable      = 551
	CodeRateLimit        = 613

	// SubcodeOutsideWindow goes with CodePermission: the message was sent
	// outside the allowed window.
	SubcodeOutsideWindow = 2018278
	// SubcodeUnavailable goes with CodeUnavailable: the person cannot be
	// messaged now.
	SubcodeUnavailable = 1545041
)

// Error is a failed Send API or Graph call.
type Error struct {
	// Status is the HTTP status (0 when no answer came).
	Status int
	// Code, Subcode, Type, Message and TraceID come from the Graph error
	// envelope when there was one; Message is otherwise a description.
	Code    int
	Subcode int
	Type    string
	Message string
	TraceID string
	// Retryable tells whether the same call may succeed later (rate
	// limits, Meta's own trouble, no answer).
	Retryable bool
	// TokenInvalid tells that the page token was refused (code 190): the
	// connection is broken until someone saves a new token.
	TokenInvalid bool
	// Reason says in words what went wrong, for the messages row and the
	// step's error.
	Reason string
	cause  error
}

// Error describes the failure: the reason, then the Graph code and
// message.
func (e *Error) Error() string {
	s := "messenger: " + e.Reason
	if e.Code != 0 {
		s += fmt.Sprintf(" (code %d", e.Code)
		if e.Subcode != 0 {
			s += fmt.Sprintf("/%d", e.Subcode)
		}
		s += ")"
	}
	if e.Message != "" && e.Message != e.Reason {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the network error behind a call that got no answer.
func (e *Error) Unwrap() error { return e.cause }

// ErrorCode is the code to record on the messages row: "<code>" or
// "<code>/<subcode>" for a Graph error, "http_<status>" for an answer
// without one, "network" for no answer, "invalid" for a message refused
// before the call.
func (e *Error) ErrorCode() string {
	switch {
	case e.Code != 0 && e.Subcode != 0:
		return fmt.Sprintf("%d/%d", e.Code, e.Subcode)
	case e.Code != 0:
		return fmt.Sprint(e.Code)
	case e.Status != 0:
		return fmt.Sprintf("http_%d", e.Status)
	case e.cause != nil:
		return "network"
	}
	return "invalid"
}

// AsError returns err's *Error, if it carries one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// graphEnvelope is Graph's error answer.
type graphEnvelope struct {
	Error *struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode"`
		FBTraceID string `json:"fbtrace_id"`
	} `json:"error"`
}

// parseError turns a non-2xx answer into an *Error, classified by code and
// subcode when the Graph envelope is there and by status otherwise.
func parseError(status int, body []byte, token string) *Error {
	e := &Error{Status: status}
	var env graphEnvelope
	if json.Unmarshal(body, &env) == nil && env.Error != nil && env.Error.Code != 0 {
		g := env.Error
		e.Code, e.Subcode, e.Type, e.TraceID = g.Code, g.Subcode, g.Type, g.FBTraceID
		e.Message = redact(truncate(g.Message, 500), token)
		classify(e)
		return e
	}
	e.Message = redact(fmt.Sprintf("HTTP %d: %.200q", status, body), token)
	switch {
	case status >= 500, status == http.StatusTooManyRequests, status == http.StatusRequestTimeout:
		e.Retryable, e.Reason = true, fmt.Sprintf("Messenger answered HTTP %d", status)
	case status == http.StatusUnauthorized:
		e.TokenInvalid, e.Reason = true, "the page token was refused"
	default:
		e.Reason = fmt.Sprintf("Messenger refused the message with HTTP %d", status)
	}
	return e
}

// classify sets Retryable, TokenInvalid and Reason from e's code and
// subcode, following the channel reference.
func classify(e *Error) {
	switch e.Code {
	case CodePermission:
		if e.Subcode == SubcodeOutsideWindow {
			e.Reason = "outside the messaging window: the person has not written to the page in the last 24 hours"
			return
		}
		e.Reason = "the page lacks the permission to send this message"
	case CodeUnavailable:
		e.Reason = "the person is not available on Messenger at the moment"
	case CodeRateLimit, CodeTooManyCalls:
		e.Retryable, e.Reason = true, "Messenger's rate limit was reached"
	case CodeTokenInvalid:
		e.TokenInvalid, e.Reason = true, "the page token is expired or invalid"
	case CodeService, CodeUnknown:
		// Graph documents both as temporary trouble on Meta's side.
		e.Retryable, e.Reason = true, "Messenger had a temporary error"
	case CodeInvalidParameter:
		e.Reason = "Messenger refused a parameter of the message"
	default:
		e.Retryable = e.Status >= 500
		e.Reason = fmt.Sprintf("Messenger refused the message (HTTP %d)", e.Status)
	}
}

// truncate cuts s to at most n bytes on a character boundary, ending
// with "…" when it cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n = max(n-len("…"), 0)
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
