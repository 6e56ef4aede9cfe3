package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWebhookTrigger(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		require.NoError(t, a.st.Queue().Start(context.Background()))
		t.Cleanup(func() { _ = a.st.Queue().Stop(context.Background()) })
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		r := a.do(http.MethodPost, Prefix+"/credentials", map[string]any{"name": "ORDERS_HOOK", "kind": "webhook_secret", "value": "s3cret-s3cret-s3cret"}, c)
		require.Equal(t, http.StatusCreated, r.Status, r.short())
		def := `{"nodes":[
		 {"id":"hook","type":"trigger.webhook","config":{"respond":"on_completion","timeout":"10s","auth":"signature","secretCredential":"ORDERS_HOOK"},"position":{"x":0,"y":0}},
		 {"id":"big","type":"condition","config":{"expression":"trigger.input.total > 100"},"position":{"x":0,"y":100}},
		 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
		 "edges":[{"id":"e1","source":"hook","target":"big"},{"id":"e2","source":"big","sourceHandle":"true","target":"done"},{"id":"e3","source":"big","sourceHandle":"false","target":"done"}]}`
		w := a.createWorkflow(acc, "Orders", def)
		url := fmt.Sprintf("/webhooks/%s/%s", acc.Me.ActiveTenant.ID, w.ID)
		body := []byte(`{"total":250}`)

		// Not active yet: the URL does not exist.
		r = a.do(http.MethodPost, url, body, creds{NoOrigin: true})
		require.Equal(t, http.StatusNotFound, r.Status, r.short())
		pub := a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/publish", nil, c)
		require.Equal(t, http.StatusOK, pub.Status, pub.short())
		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/activate", nil, c).Status)

		// A forged or missing signature is refused and starts nothing.
		r = a.do(http.MethodPost, url, body, creds{NoOrigin: true}, "X-NextFlow-Signature", "sha256=00")
		require.Equal(t, http.StatusUnauthorized, r.Status, r.short())
		r = a.do(http.MethodPost, url, body, creds{NoOrigin: true})
		require.Equal(t, http.StatusUnauthorized, r.Status, r.short())
		var list struct{ Items []ExecutionDTO }
		a.do(http.MethodGet, Prefix+"/executions", nil, c).JSON(t, &list)
		require.Empty(t, list.Items)

		mac := hmac.New(sha256.New, []byte("s3cret-s3cret-s3cret"))
		mac.Write(body)
		sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		r = a.do(http.MethodPost, url, body, creds{NoOrigin: true}, "X-NextFlow-Signature", sig)
		require.Equal(t, http.StatusOK, r.Status, "on_completion answers with the finished execution: %s", r.short())
		var exec ExecutionDTO
		r.JSON(t, &exec)
		require.Equal(t, "COMPLETED", string(exec.Status))
		require.Equal(t, 250.0, exec.Context["trigger"].(map[string]any)["input"].(map[string]any)["total"])

		bad := a.do(http.MethodPost, url, []byte(`[1,2]`), creds{NoOrigin: true}, "X-NextFlow-Signature", func() string {
			m := hmac.New(sha256.New, []byte("s3cret-s3cret-s3cret"))
			m.Write([]byte(`[1,2]`))
			return "sha256=" + hex.EncodeToString(m.Sum(nil))
		}())
		require.Equal(t, http.StatusBadRequest, bad.Status, bad.short())
	})
}
