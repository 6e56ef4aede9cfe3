package unsubscribe_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/unsubscribe"
	"github.com/nextflow-dev/nextflow/internal/secret"
)

func signer(t *testing.T, material ...byte) *unsubscribe.Signer {
	t.Helper()
	var keys [][]byte
	for _, m := range material {
		k, err := secret.DeriveKey(bytes.Repeat([]byte{m}, 32), unsubscribe.Purpose)
		require.NoError(t, err)
		keys = append(keys, k)
	}
	s, err := unsubscribe.New(keys...)
	require.NoError(t, err)
	return s
}

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	s := signer(t, 1)
	tok := unsubscribe.Token{TenantID: uuid.New(), ContactID: uuid.New(), Channel: "email", MessageID: uuid.New()}
	text, err := s.Sign(tok)
	require.NoError(t, err)
	require.NotContains(t, text, "/")
	require.NotContains(t, text, "+")
	require.NotContains(t, text, "=")
	require.LessOrEqual(t, len(text), unsubscribe.MaxTokenLen)
	got, err := s.Verify(text)
	require.NoError(t, err)
	require.Equal(t, tok, got)
}

func TestVerifyRefusesAlteredAndForged(t *testing.T) {
	t.Parallel()
	s := signer(t, 1)
	tok := unsubscribe.Token{TenantID: uuid.New(), ContactID: uuid.New(), Channel: "email"}
	text, err := s.Sign(tok)
	require.NoError(t, err)
	raw, err := base64.RawURLEncoding.DecodeString(text)
	require.NoError(t, err)

	// Every single flipped bit, in body or signature, is refused.
	for i := range raw {
		for bit := range 8 {
			b := bytes.Clone(raw)
			b[i] ^= 1 << bit
			_, err := s.Verify(base64.RawURLEncoding.EncodeToString(b))
			require.ErrorIs(t, err, unsubscribe.ErrInvalid, "byte %d bit %d", i, bit)
		}
	}
	forged, err := signer(t, 2).Sign(tok)
	require.NoError(t, err)
	for name, text := range map[string]string{
		"other key":    forged,
		"empty":        "",
		"not base64":   "!!!!",
		"truncated":    text[:len(text)-3],
		"extended":     text + "AAAA",
		"too long":     strings.Repeat("A", unsubscribe.MaxTokenLen+1),
		"padded":       base64.URLEncoding.EncodeToString(raw),
		"standard b64": base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, len(raw))),
	} {
		_, err := s.Verify(text)
		require.ErrorIs(t, err, unsubscribe.ErrInvalid, name)
	}
}

func TestVerifyAcceptsPreviousKey(t *testing.T) {
	t.Parallel()
	old := signer(t, 1)
	tok := unsubscribe.Token{TenantID: uuid.New(), ContactID: uuid.New(), Channel: "whatsapp"}
	text, err := old.Sign(tok)
	require.NoError(t, err)
	rotated := signer(t, 2, 1)
	got, err := rotated.Verify(text)
	require.NoError(t, err)
	require.Equal(t, tok, got)
	fresh, err := rotated.Sign(tok)
	require.NoError(t, err)
	_, err = old.Verify(fresh)
	require.ErrorIs(t, err, unsubscribe.ErrInvalid, "the new key signs")
}

func TestSignAndNewRefuseBadInput(t *testing.T) {
	t.Parallel()
	s := signer(t, 1)
	_, err := s.Sign(unsubscribe.Token{ContactID: uuid.New(), Channel: "email"})
	require.Error(t, err)
	_, err = s.Sign(unsubscribe.Token{TenantID: uuid.New(), ContactID: uuid.New()})
	require.Error(t, err)
	_, err = s.Sign(unsubscribe.Token{TenantID: uuid.New(), ContactID: uuid.New(), Channel: strings.Repeat("x", 33)})
	require.Error(t, err)
	_, err = unsubscribe.New()
	require.Error(t, err)
	_, err = unsubscribe.New([]byte("short"))
	require.Error(t, err)
}

func TestURL(t *testing.T) {
	t.Parallel()
	u, err := unsubscribe.URL("https://app.example.com/", "abc")
	require.NoError(t, err)
	require.Equal(t, "https://app.example.com/u/abc", u)
	u, err = unsubscribe.URL("https://example.com/nextflow?x=1", "abc")
	require.NoError(t, err)
	require.Equal(t, "https://example.com/nextflow/u/abc", u)
	_, err = unsubscribe.URL("example.com", "abc")
	require.Error(t, err)
}

func FuzzVerify(f *testing.F) {
	k := bytes.Repeat([]byte{7}, 32)
	s, err := unsubscribe.New(k)
	require.NoError(f, err)
	good, err := s.Sign(unsubscribe.Token{TenantID: uuid.New(), ContactID: uuid.New(), Channel: "email"})
	require.NoError(f, err)
	f.Add(good)
	f.Add("")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, text string) {
		tok, err := s.Verify(text)
		if err != nil {
			require.ErrorIs(t, err, unsubscribe.ErrInvalid)
			return
		}
		again, err := s.Sign(tok)
		require.NoError(t, err)
		require.Equal(t, text, again, "only the text Sign writes verifies")
	})
}
