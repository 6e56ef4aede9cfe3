package whatsapp

import (
	"errors"
	"fmt"
)

// Graph API error codes the channel branches on (see the WhatsApp section
// of the channel reference).
const (
	CodeUnknown          = 1
	CodeServiceDown      = 2
	CodeInvalidParameter = 100
	CodeAccessToken      = 190
	CodeThroughput       = 130429
	CodeSomethingWrong   = 131000
	CodeUndeliverable    = 131026
	CodeWindowClosed     = 131047
	CodeSpamLimit        = 131048
	CodeNotDelivered     = 131049
	CodePairRateLimit    = 131056
)

// Class is what a failed send means for the next attempt.
type Class int

const (
	// Retryable: try again later (limits, Meta overloaded, 5xx, timeouts).
	Retryable Class = iota + 1
	// Permanent: this message will never go (window closed, bad number,
	// bad parameter, spam limit).
	Permanent
	// ConnectionBroken: the access token is expired or invalid; no message
	// goes until the connection is fixed.
	ConnectionBroken
)

// String names the class.
func (c Class) String() string {
	switch c {
	case Retryable:
		return "retryable"
	case Permanent:
		return "permanent"
	case ConnectionBroken:
		return "connection broken"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// ClassOf classifies a Graph error code. Codes not in the reference table
// are permanent unless the HTTP status was 5xx or 429.
func ClassOf(code, httpStatus int) Class {
	switch code {
	case CodeThroughput, CodePairRateLimit, CodeUnknown, CodeServiceDown, CodeSomethingWrong:
		return Retryable
	case CodeAccessToken:
		return ConnectionBroken
	case CodeWindowClosed, CodeUndeliverable, CodeSpamLimit, CodeNotDelivered, CodeInvalidParameter:
		return Permanent
	}
	if httpStatus >= 500 || httpStatus == 429 {
		return Retryable
	}
	return Permanent
}

// APIError is an error answer of the Graph API.
type APIError struct {
	// HTTPStatus is the status the answer came with.
	HTTPStatus int
	Code       int
	Subcode    int
	Type       string
	Message    string
	// Details is error_data.details, often the most precise text.
	Details string
	TraceID string
}

// Error describes the failure with its code; it never contains the token.
func (e *APIError) Error() string {
	msg := e.Message
	if e.Details != "" && e.Details != msg {
		msg += ": " + e.Details
	}
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("whatsapp error %d (HTTP %d): %s", e.Code, e.HTTPStatus, msg)
}

// Class classifies the error by its code.
func (e *APIError) Class() Class { return ClassOf(e.Code, e.HTTPStatus) }

// TransportError is a send whose outcome is unknown: the request could not
// be made, timed out, or its answer was unreadable. It is retryable.
type TransportError struct{ Err error }

// Error describes the failure.
func (e *TransportError) Error() string { return "whatsapp request: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// ClassifyError classifies an error returned by Client: an *APIError by
// its code, a *TransportError as retryable, anything else (a message that
// cannot be built) as permanent.
func ClassifyError(err error) Class {
	var api *APIError
	if errors.As(err, &api) {
		return api.Class()
	}
	var tr *TransportError
	if errors.As(err, &tr) {
		return Retryable
	}
	return Permanent
}
