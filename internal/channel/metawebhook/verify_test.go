package metawebhook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestServeHandshake(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		query  string
		token  string
		status int
		body   string
	}{
		{"match", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=tok", "tok", 200, "1158201444"},
		{"wrong token", "hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope", "tok", 403, ""},
		{"missing token", "hub.mode=subscribe&hub.challenge=1", "tok", 403, ""},
		{"wrong mode", "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=tok", "tok", 403, ""},
		{"connection without token", "hub.mode=subscribe&hub.challenge=1&hub.verify_token=", "", 403, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			ServeHandshake(rec, httptest.NewRequest(http.MethodGet, "/hook?"+tc.query, nil), tc.token)
			require.Equal(t, tc.status, rec.Code)
			require.Contains(t, rec.Header().Get("Content-Type"), "text/plain")
			if tc.status == 200 {
				require.Equal(t, tc.body, rec.Body.String())
			}
		})
	}
}

func TestCheckSignature(t *testing.T) {
	t.Parallel()
	secret, body := []byte("app-secret"), []byte(`{"object":"whatsapp_business_account"}`)
	good := Sign(secret, body)
	cases := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		err    error
	}{
		{"good", secret, body, good, nil},
		{"missing", secret, body, "", ErrSignatureMissing},
		{"other secret", []byte("other"), body, good, ErrSignatureInvalid},
		{"body changed", secret, append([]byte(" "), body...), good, ErrSignatureInvalid},
		{"no prefix", secret, body, strings.TrimPrefix(good, "sha256="), ErrSignatureInvalid},
		{"sha1", secret, body, "sha1=" + strings.TrimPrefix(good, "sha256="), ErrSignatureInvalid},
		{"not hex", secret, body, "sha256=" + strings.Repeat("z", 64), ErrSignatureInvalid},
		{"short", secret, body, good[:20], ErrSignatureInvalid},
		{"empty secret", nil, body, Sign(nil, body), ErrSignatureInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckSignature(tc.secret, tc.body, tc.header)
			if tc.err == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.err)
			require.Equal(t, http.StatusUnauthorized, Status(err))
		})
	}
}

func TestReadSigned(t *testing.T) {
	t.Parallel()
	secret := []byte("s")
	body := []byte(`{"a":1}`)
	req := func(b []byte, sig string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(string(b)))
		if sig != "" {
			r.Header.Set(SignatureHeader, sig)
		}
		return r
	}
	got, err := ReadSigned(req(body, Sign(secret, body)), secret, 64)
	require.NoError(t, err)
	require.Equal(t, body, got)

	_, err = ReadSigned(req(body, ""), secret, 64)
	require.ErrorIs(t, err, ErrSignatureMissing)

	big := []byte(strings.Repeat("x", 65))
	_, err = ReadSigned(req(big, Sign(secret, big)), secret, 64)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	require.Equal(t, http.StatusRequestEntityTooLarge, Status(err))

	// A body without Content-Length is bounded by the read itself.
	r := req(big, Sign(secret, big))
	r.ContentLength = -1
	_, err = ReadSigned(r, secret, 64)
	require.ErrorIs(t, err, ErrBodyTooLarge)
}
