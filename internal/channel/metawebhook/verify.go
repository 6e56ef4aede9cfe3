package metawebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// SignatureHeader is the header Meta signs a webhook delivery with:
// "sha256=" followed by the hex HMAC-SHA256 of the raw body, keyed with
// the app secret.
const SignatureHeader = "X-Hub-Signature-256"

// DefaultMaxBody bounds a webhook body read by ReadBody when the caller
// passes no limit. Meta batches at most a few hundred events per delivery,
// far below it.
const DefaultMaxBody = 1 << 20

// Errors of the signature check and of the body read.
var (
	// ErrSignatureMissing means the request carries no X-Hub-Signature-256.
	ErrSignatureMissing = errors.New("X-Hub-Signature-256 header is missing")
	// ErrSignatureInvalid means the header is malformed or does not match
	// the body.
	ErrSignatureInvalid = errors.New("X-Hub-Signature-256 does not match the body")
	// ErrBodyTooLarge means the body is longer than the limit.
	ErrBodyTooLarge = errors.New("webhook body is too large")
)

// Handshake answers Meta's subscription check: it returns the challenge
// and true when hub.mode is "subscribe" and hub.verify_token equals
// verifyToken (compared in constant time). An empty verifyToken never
// matches, so a connection without one cannot be subscribed by anybody.
func Handshake(query url.Values, verifyToken string) (challenge string, ok bool) {
	if verifyToken == "" || query.Get("hub.mode") != "subscribe" {
		return "", false
	}
	given := query.Get("hub.verify_token")
	if subtle.ConstantTimeCompare([]byte(given), []byte(verifyToken)) != 1 {
		return "", false
	}
	return query.Get("hub.challenge"), true
}

// ServeHandshake writes the answer to a GET verification request: 200 with
// the challenge as text/plain when the token matches, 403 otherwise.
func ServeHandshake(w http.ResponseWriter, r *http.Request, verifyToken string) {
	challenge, ok := Handshake(r.URL.Query(), verifyToken)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !ok {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "hub.mode must be subscribe and hub.verify_token must match the connection's verify token\n")
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, challenge)
}

// Sign returns the X-Hub-Signature-256 value for body under appSecret.
func Sign(appSecret, body []byte) string {
	mac := hmac.New(sha256.New, appSecret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// CheckSignature verifies header (the X-Hub-Signature-256 value) against
// the raw body under appSecret, in constant time. It returns
// ErrSignatureMissing for an empty header and ErrSignatureInvalid for a
// malformed or wrong one. An empty appSecret matches nothing.
func CheckSignature(appSecret, body []byte, header string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrSignatureMissing
	}
	hexSum, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(hexSum) != 2*sha256.Size || len(appSecret) == 0 {
		return ErrSignatureInvalid
	}
	given, err := hex.DecodeString(hexSum)
	if err != nil {
		return ErrSignatureInvalid
	}
	mac := hmac.New(sha256.New, appSecret)
	mac.Write(body)
	if !hmac.Equal(given, mac.Sum(nil)) {
		return ErrSignatureInvalid
	}
	return nil
}

// ReadBody reads r's body up to limit bytes (DefaultMaxBody when limit is
// not positive) and returns ErrBodyTooLarge when it is longer. The caller
// verifies the signature over exactly these bytes.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	if r.ContentLength > limit {
		return nil, ErrBodyTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read webhook body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, ErrBodyTooLarge
	}
	return body, nil
}

// Status maps an error of ReadBody or CheckSignature to the HTTP status a
// webhook endpoint answers with: 413, 401, or 400 for a failed read.
func Status(err error) int {
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrSignatureMissing), errors.Is(err, ErrSignatureInvalid):
		return http.StatusUnauthorized
	default:
		return http.StatusBadRequest
	}
}

// ReadSigned reads r's body (bounded as ReadBody) and checks its
// X-Hub-Signature-256 under appSecret. Map its error with Status.
func ReadSigned(r *http.Request, appSecret []byte, limit int64) ([]byte, error) {
	body, err := ReadBody(r, limit)
	if err != nil {
		return nil, err
	}
	if err := CheckSignature(appSecret, body, r.Header.Get(SignatureHeader)); err != nil {
		return nil, err
	}
	return body, nil
}
