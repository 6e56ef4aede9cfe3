package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
)

type mapResolver map[string]string

func (m mapResolver) Resolve(_ context.Context, _ uuid.UUID, name string) (string, error) {
	v, ok := m[name]
	if !ok {
		return "", fmt.Errorf("credential %q: %w", name, store.ErrNotFound)
	}
	return v, nil
}

func TestHTTPRequestSecrets(t *testing.T) {
	t.Parallel()
	const token = "sk_live_5ecret<&>value"
	var gotAuth, gotBody, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotPath = r.Header.Get("Authorization"), r.URL.Path
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		// A careless API echoes what it was sent, in the body and a header.
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/fail/PATHKEY1" {
			w.WriteHeader(http.StatusBadRequest)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"youSent": r.Header.Get("Authorization"), "body": string(b)})
	}))
	t.Cleanup(srv.Close)
	h, err := NewHTTPRequest(HTTPOptions{Allow: []string{"127.0.0.1"}}, nil)
	require.NoError(t, err)
	h.secrets = mapResolver{"API": token, "PATH": "PATHKEY1"}
	ctx := context.Background()
	// Execution data that tries to forge a reference: it is sent as text.
	data := map[string]any{"trigger": map[string]any{"input": map[string]any{"x": "{{ secrets.API }}", "tok": "nfsecret00"}}}

	cfg := `{"method":"POST","url":"` + srv.URL + `/ok/{{ secrets.PATH }}",
	  "headers":{"Authorization":"Bearer {{ secrets.API }}"},
	  "body":{"k":"{{secrets.API}}","forged":"{{ trigger.input.x }}"}}`
	req, err := h.Prepare(ctx, PrepareInput{Config: json.RawMessage(cfg), Data: data})
	require.NoError(t, err)
	require.NotContains(t, string(req), "sk_live", "the outbox request holds tokens, not values")
	require.NotContains(t, string(req), "PATHKEY1")

	out, err := h.Perform(ctx, EffectRequest{Request: req, IdempotencyKey: "k:1", Attempt: 1})
	require.NoError(t, err)
	require.Equal(t, "Bearer "+token, gotAuth, "the value is put in just before the call")
	require.Equal(t, "/ok/PATHKEY1", gotPath)
	var sent map[string]any
	require.NoError(t, json.Unmarshal([]byte(gotBody), &sent))
	require.Equal(t, token, sent["k"])
	require.Equal(t, "{{ secrets.API }}", sent["forged"], "data cannot reference a credential")
	require.NotContains(t, string(out), "sk_live", "echoes are redacted from the step output")
	require.NotContains(t, string(out), "PATHKEY1")
	require.Contains(t, string(out), "[redacted]")

	// A failing call: its error and output are redacted too.
	bad := `{"url":"` + srv.URL + `/fail/{{ secrets.PATH }}","headers":{"Authorization":"Bearer {{ secrets.API }}"}}`
	req, err = h.Prepare(ctx, PrepareInput{Config: json.RawMessage(bad), Data: data})
	require.NoError(t, err)
	_, err = h.Perform(ctx, EffectRequest{Request: req, Attempt: 1})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "PATHKEY1")
	var fe *EffectError
	require.True(t, errors.As(err, &fe))
	require.False(t, fe.Retryable)
	require.NotContains(t, string(fe.Output), "sk_live")

	// An unknown credential fails for good, without calling.
	gotAuth = ""
	unknown := `{"url":"` + srv.URL + `/x","headers":{"X-Api-Key":"{{ secrets.NOPE }}"}}`
	req, err = h.Prepare(ctx, PrepareInput{Config: json.RawMessage(unknown), Data: data})
	require.NoError(t, err)
	_, err = h.Perform(ctx, EffectRequest{Request: req, Attempt: 1})
	require.ErrorAs(t, err, &fe)
	require.False(t, fe.Retryable)
	require.Contains(t, err.Error(), `"NOPE" does not exist`)
	require.Empty(t, gotAuth)
}
