package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHTTPRequestUnit(t *testing.T) {
	t.Parallel()
	var gotKey, gotCT, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey, gotCT = r.Header.Get("Idempotency-Key"), r.Header.Get("Content-Type")
		buf := make([]byte, 1024)
		n, _ := r.Body.Read(buf)
		gotBody = string(buf[:n])
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", 2048)))
		case "/created":
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte("plain text"))
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		default:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write([]byte(`{"a": [1, 2]}`))
		}
	}))
	t.Cleanup(srv.Close)
	h, err := NewHTTPRequest(HTTPOptions{Allow: []string{"127.0.0.1"}, MaxResponseBytes: 1024}, nil)
	require.NoError(t, err)
	ctx := context.Background()
	data := map[string]any{"contact": map[string]any{"email": "a@b.c"}, "vars": map[string]any{"n": 3}}

	call := func(cfg string) (map[string]any, error) {
		req, err := h.Prepare(ctx, PrepareInput{Config: json.RawMessage(cfg), Data: data})
		if err != nil {
			return nil, err
		}
		out, err := h.Perform(ctx, EffectRequest{IdempotencyKey: "k:1", Attempt: 1, Request: req})
		if err != nil {
			return nil, err
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal(out, &m))
		return m, nil
	}

	out, err := call(`{"method": "put", "url": "` + srv.URL + `/x?e={{ contact.email }}", "body": {"n": "{{ vars.n }}"}}`)
	require.NoError(t, err)
	require.EqualValues(t, 200, out["status"])
	require.Equal(t, []any{1.0, 2.0}, out["body"].(map[string]any)["a"])
	require.Equal(t, "k:1", gotKey)
	require.Equal(t, "application/json", gotCT)
	require.JSONEq(t, `{"n": "3"}`, gotBody)

	out, err = call(`{"url": "` + srv.URL + `/created", "body": "hello {{ contact.email }}", "headers": {"Content-Type": "text/plain"}}`)
	require.NoError(t, err)
	require.Equal(t, "plain text", out["body"])
	require.Equal(t, "hello a@b.c", gotBody)

	_, err = call(`{"url": "` + srv.URL + `/big"}`)
	require.ErrorContains(t, err, "larger than 1024 bytes")
	retryable, _ := classify(err)
	require.False(t, retryable)

	_, err = call(`{"url": "` + srv.URL + `/teapot"}`)
	require.ErrorContains(t, err, "status 418")
	retryable, output := classify(err)
	require.False(t, retryable)
	require.Contains(t, string(output), `"status":418`)

	out, err = call(`{"url": "` + srv.URL + `/teapot", "successStatus": [418]}`)
	require.NoError(t, err)
	require.EqualValues(t, 418, out["status"])

	_, err = h.Prepare(ctx, PrepareInput{Config: json.RawMessage(`{"url": "file:///etc/passwd"}`), Data: data})
	require.ErrorContains(t, err, "not an absolute http(s) URL")

	// Metadata addresses are refused without a network round trip.
	_, err = call(`{"url": "http://169.254.169.254/latest/meta-data/"}`)
	require.ErrorContains(t, err, "not allowed")
	retryable, _ = classify(err)
	require.False(t, retryable)
}
