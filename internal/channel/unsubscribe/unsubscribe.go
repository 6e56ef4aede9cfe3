// Package unsubscribe signs and verifies the one-click unsubscribe tokens
// put in messages' List-Unsubscribe links (RFC 8058): /u/TOKEN.
//
// A token names a tenant, a contact, a channel and the message it came
// with, and carries an HMAC-SHA256 over them under a key derived from the
// process secret (secret.DeriveKey with Purpose). It needs no database row,
// cannot be altered without the key, and survives a key rotation as long as
// the previous key is configured: Verify tries every key it was given.
// Tokens do not expire: a link in a mail read a year later must still
// work.
package unsubscribe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"
)

// Purpose is the secret.DeriveKey purpose of the signing keys.
const Purpose = "unsubscribe tokens v1"

// MaxChannelLen bounds a token's channel name.
const MaxChannelLen = 32

// MaxTokenLen bounds the text Verify reads: longer input is refused
// before any work.
const MaxTokenLen = 256

const (
	version = 1
	// macLen is the truncated HMAC length: 128 bits.
	macLen = 16
	// fixedLen: version, tenant, contact, message, channel length.
	fixedLen = 1 + 16 + 16 + 16 + 1
)

// ErrInvalid: the token is malformed, altered, or signed with a key that is
// not configured.
var ErrInvalid = errors.New("invalid unsubscribe token")

// Token is what a link unsubscribes: a contact of a tenant, from one
// channel, by way of one message (uuid.Nil when none).
type Token struct {
	TenantID  uuid.UUID
	ContactID uuid.UUID
	Channel   string
	MessageID uuid.UUID
}

// Signer signs tokens with its first key and verifies them with any.
type Signer struct {
	keys [][]byte
}

// New builds a signer from keys (derived with secret.DeriveKey and
// Purpose): the first signs, every one verifies, so a rotated-out key's
// links keep working while it stays configured. Each key is at least 32
// bytes.
func New(keys ...[]byte) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errors.New("unsubscribe signer: no key")
	}
	s := &Signer{}
	for i, k := range keys {
		if len(k) < 32 {
			return nil, fmt.Errorf("unsubscribe signer: key %d is shorter than 32 bytes", i+1)
		}
		s.keys = append(s.keys, append([]byte(nil), k...))
	}
	return s, nil
}

// Sign returns the URL-safe text of t.
func (s *Signer) Sign(t Token) (string, error) {
	if t.TenantID == uuid.Nil || t.ContactID == uuid.Nil {
		return "", errors.New("sign unsubscribe token: tenant and contact are required")
	}
	if t.Channel == "" || len(t.Channel) > MaxChannelLen {
		return "", fmt.Errorf("sign unsubscribe token: channel must be 1-%d bytes", MaxChannelLen)
	}
	b := make([]byte, 0, fixedLen+len(t.Channel)+macLen)
	b = append(b, version)
	b = append(b, t.TenantID[:]...)
	b = append(b, t.ContactID[:]...)
	b = append(b, t.MessageID[:]...)
	b = append(b, byte(len(t.Channel)))
	b = append(b, t.Channel...)
	b = append(b, mac(s.keys[0], b)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Verify checks text's signature in constant time against every key and
// returns the token it carries, or ErrInvalid.
func (s *Signer) Verify(text string) (Token, error) {
	if text == "" || len(text) > MaxTokenLen {
		return Token{}, ErrInvalid
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(text)
	if err != nil || len(b) < fixedLen+1+macLen || b[0] != version {
		return Token{}, ErrInvalid
	}
	n := int(b[fixedLen-1])
	if n == 0 || n > MaxChannelLen || len(b) != fixedLen+n+macLen {
		return Token{}, ErrInvalid
	}
	body, sig := b[:fixedLen+n], b[fixedLen+n:]
	ok := 0
	for _, k := range s.keys {
		// Every key is tried, so the time taken does not tell which one
		// matched.
		ok |= subtleEqual(mac(k, body), sig)
	}
	if ok == 0 {
		return Token{}, ErrInvalid
	}
	var t Token
	copy(t.TenantID[:], b[1:17])
	copy(t.ContactID[:], b[17:33])
	copy(t.MessageID[:], b[33:49])
	t.Channel = string(b[fixedLen : fixedLen+n])
	return t, nil
}

func subtleEqual(a, b []byte) int {
	if hmac.Equal(a, b) {
		return 1
	}
	return 0
}

// mac is the truncated HMAC-SHA256 of body under key, bound to this use.
func mac(key, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("nextflow unsubscribe\x00"))
	h.Write(body)
	return h.Sum(nil)[:macLen]
}

// Path is the route of a token's one-click endpoint, /u/TOKEN.
func Path(token string) string { return "/u/" + token }

// URL joins the public base URL (NEXTFLOW_BASE_URL) and a token's path.
func URL(baseURL, token string) (string, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("unsubscribe URL: base URL %q is not an absolute http(s) URL", baseURL)
	}
	u.Path += Path(token)
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}
