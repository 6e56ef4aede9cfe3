package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
)

// fakeWhatsAppHooks verifies like whatsapp.Inbound for one connection and
// keeps the deliveries it accepts.
type fakeWhatsAppHooks struct {
	id       uuid.UUID
	secret   string
	mu       sync.Mutex
	received [][]byte
	fail     error
}

func (f *fakeWhatsAppHooks) Handshake(_ context.Context, id uuid.UUID, q url.Values) (string, error) {
	if id != f.id {
		return "", fmt.Errorf("look up: %w", whatsapp.ErrNoConnection)
	}
	if c, ok := metawebhook.Handshake(q, "verify-me"); ok {
		return c, nil
	}
	return "", whatsapp.ErrVerifyToken
}

func (f *fakeWhatsAppHooks) Receive(_ context.Context, id uuid.UUID, body []byte, sig string) error {
	if id != f.id {
		return fmt.Errorf("look up: %w", whatsapp.ErrNoConnection)
	}
	if err := metawebhook.CheckSignature([]byte(f.secret), body, sig); err != nil {
		return err
	}
	if _, err := metawebhook.ParseWhatsApp(body); err != nil {
		return fmt.Errorf("%w: %v", whatsapp.ErrNotWhatsAppBody, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.received = append(f.received, body)
	return nil
}

func TestWhatsAppHooks(t *testing.T) {
	t.Parallel()
	hooks := &fakeWhatsAppHooks{id: uuid.New(), secret: "app-secret"}
	s := &Server{mux: http.NewServeMux(), log: slog.Default()}
	s.MountWhatsAppHooks(hooks)
	srv := httptest.NewServer(s.mux)
	t.Cleanup(srv.Close)

	body := `{"object":"whatsapp_business_account","entry":[]}`
	good := metawebhook.Sign([]byte("app-secret"), []byte(body))
	big := strings.Repeat(" ", whatsapp.MaxWebhookBody) + body
	path := "/hooks/whatsapp/" + hooks.id.String()
	cases := []struct {
		name, method, path, query, body, sig string
		status                               int
		answer                               string
	}{
		{"handshake", "GET", path, "hub.mode=subscribe&hub.challenge=12345&hub.verify_token=verify-me", "", "", 200, "12345"},
		{"handshake wrong token", "GET", path, "hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess", "", "", 403, ""},
		{"handshake wrong mode", "GET", path, "hub.mode=other&hub.challenge=1&hub.verify_token=verify-me", "", "", 403, ""},
		{"handshake unknown connection", "GET", "/hooks/whatsapp/" + uuid.NewString(), "hub.mode=subscribe&hub.verify_token=verify-me", "", "", 404, ""},
		{"handshake bad id", "GET", "/hooks/whatsapp/nope", "", "", "", 404, ""},
		{"signed delivery", "POST", path, "", body, good, 200, ""},
		{"replayed delivery", "POST", path, "", body, good, 200, ""},
		{"missing signature", "POST", path, "", body, "", 401, ""},
		{"forged signature", "POST", path, "", body, metawebhook.Sign([]byte("guess"), []byte(body)), 401, ""},
		{"body changed after signing", "POST", path, "", body + " ", good, 401, ""},
		{"not whatsapp", "POST", path, "", `{"object":"page"}`, metawebhook.Sign([]byte("app-secret"), []byte(`{"object":"page"}`)), 400, ""},
		{"too large", "POST", path, "", big, metawebhook.Sign([]byte("app-secret"), []byte(big)), 413, ""},
		{"unknown connection", "POST", "/hooks/whatsapp/" + uuid.NewString(), "", body, good, 404, ""},
	}
	for _, tc := range cases {
		req, err := http.NewRequest(tc.method, srv.URL+tc.path+"?"+tc.query, strings.NewReader(tc.body))
		require.NoError(t, err)
		if tc.sig != "" {
			req.Header.Set(metawebhook.SignatureHeader, tc.sig)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err, tc.name)
		got := waReadAll(t, resp)
		require.Equal(t, tc.status, resp.StatusCode, "%s: %s", tc.name, got)
		if tc.answer != "" {
			require.Equal(t, tc.answer, got, tc.name)
			require.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
		}
	}
	hooks.mu.Lock()
	require.Len(t, hooks.received, 2, "the signed delivery and its replay are stored; nothing else")
	hooks.mu.Unlock()

	hooks.mu.Lock()
	hooks.fail = errors.New("database down")
	hooks.mu.Unlock()
	req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set(metawebhook.SignatureHeader, good)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	waReadAll(t, resp)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "Meta retries a delivery not stored")
}

func waReadAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}
