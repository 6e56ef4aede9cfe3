package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Token sizes.
const (
	tokenBytes        = 32
	apiKeyPrefixBytes = 6
	// APIKeyPrefixLen is the length of an API key's visible prefix.
	APIKeyPrefixLen = apiKeyPrefixBytes * 2
)

// NewToken returns an opaque random token (32 bytes, base64url without
// padding) and its SHA-256, which is all that is stored.
func NewToken() (token string, hash []byte, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("random token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken is the SHA-256 of a token. Tokens carry 256 random bits, so a
// fast hash is enough: the store never holds a usable credential.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// wellFormedToken reports whether s could be a token made by NewToken.
func wellFormedToken(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// NewAPIKey returns a new API key "nf_<prefix>_<secret>", its visible
// prefix and the hash of its secret.
func NewAPIKey() (key, prefix string, secretHash []byte, err error) {
	pb := make([]byte, apiKeyPrefixBytes)
	if _, err := rand.Read(pb); err != nil {
		return "", "", nil, fmt.Errorf("random key prefix: %w", err)
	}
	prefix = hex.EncodeToString(pb)
	secret, hash, err := NewToken()
	if err != nil {
		return "", "", nil, err
	}
	return "nf_" + prefix + "_" + secret, prefix, hash, nil
}

// ParseAPIKey splits "nf_<prefix>_<secret>"; ok is false when key does not
// have that shape.
func ParseAPIKey(key string) (prefix, secret string, ok bool) {
	rest, found := strings.CutPrefix(key, "nf_")
	if !found {
		return "", "", false
	}
	prefix, secret, found = strings.Cut(rest, "_")
	if !found || len(prefix) != APIKeyPrefixLen || !wellFormedToken(secret) {
		return "", "", false
	}
	if _, err := hex.DecodeString(prefix); err != nil {
		return "", "", false
	}
	return prefix, secret, true
}

// equalHash compares two hashes in constant time.
func equalHash(a, b []byte) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare(a, b) == 1
}
