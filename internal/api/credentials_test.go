package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/credential"
	"github.com/nextflow-dev/nextflow/internal/cron"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// testCredentials is the credential service of test APIs, with a fixed key.
func testCredentials(t *testing.T, st store.Store) *credential.Service {
	t.Helper()
	kr, err := secret.NewKeyring(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	return credential.New(st, kr, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// newCallingAPI is newFullAPI with http.request allowed to reach this
// machine (the tests' echo server).
func newCallingAPI(t *testing.T, open func(t *testing.T, opts ...storetest.Option) store.Store) *testAPI {
	t.Helper()
	workers := river.NewWorkers()
	st := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := live.NewHub()
	creds := testCredentials(t, st)
	eng := engine.New(st, engine.Options{Logger: log, Publisher: hub, Secrets: creds,
		HTTP: engine.HTTPOptions{Allow: []string{"127.0.0.1"}, AnyPort: true}})
	eng.RegisterWorkers(workers)
	sched := cron.New(st, cron.EngineStart(eng, log), cron.Options{Logger: log})
	sched.RegisterWorkers(workers)
	a := newTestAPIDeps(t, st, Deps{Engine: eng, Live: hub, Scheduler: sched, Lifecycle: sched, Credentials: creds})
	a.hub = hub
	require.NoError(t, st.Queue().Start(context.Background()))
	t.Cleanup(func() { _ = st.Queue().Stop(context.Background()) })
	return a
}

// Recognisable secret values: no response may ever contain them.
const (
	apiSecret  = "sk_live_NFSECRET_4f7e1a9b"
	hookSecret = "hook-NFSECRET-88c0d2e1f3"
)

func TestCredentialsAreWriteOnlyAndNeverReachReaders(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newCallingAPI(t, b.open)
			var mu sync.Mutex
			var gotAuth []string
			echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				gotAuth = append(gotAuth, r.Header.Get("Authorization"))
				mu.Unlock()
				// A careless API that echoes the credential back.
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Echo", r.Header.Get("Authorization"))
				_, _ = fmt.Fprintf(w, `{"youSent":%q}`, r.Header.Get("Authorization"))
			}))
			t.Cleanup(echo.Close)

			owner := a.signup("owner@example.com", "Acme")
			oc := creds{Cookie: owner.Cookie}
			viewer := a.accept(a.invite(owner, "vic@example.com", "VIEWER"), "Vic")
			vc := creds{Cookie: viewer.Cookie}
			operator := a.accept(a.invite(owner, "otto@example.com", "OPERATOR"), "Otto")

			// Only an ADMIN (or OWNER) creates credentials; a full API key may not.
			body := map[string]any{"name": "API", "kind": "http_header", "value": apiSecret}
			require.Equal(t, http.StatusForbidden, a.do(http.MethodPost, Prefix+"/credentials", body, vc).Status)
			require.Equal(t, http.StatusForbidden, a.do(http.MethodPost, Prefix+"/credentials", body, creds{Cookie: operator.Cookie}).Status)
			require.Equal(t, http.StatusForbidden, a.do(http.MethodPost, Prefix+"/credentials", body, creds{Key: a.apiKey(owner, "full")}).Status)
			r := a.do(http.MethodPost, Prefix+"/credentials", body, oc)
			require.Equal(t, http.StatusCreated, r.Status, r.short())
			require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
			require.NotContains(t, string(r.Body), apiSecret, "not even its creator reads the value back")
			r = a.do(http.MethodPost, Prefix+"/credentials", map[string]any{"name": "HOOK", "kind": "webhook_secret", "value": hookSecret}, oc)
			require.Equal(t, http.StatusCreated, r.Status, r.short())
			r = a.do(http.MethodPost, Prefix+"/credentials", map[string]any{"name": "HOOK", "value": "again"}, oc)
			require.Equal(t, http.StatusConflict, r.Status, r.short())
			r = a.do(http.MethodPost, Prefix+"/credentials", map[string]any{"name": "bad name", "value": "x"}, oc)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
			r = a.do(http.MethodPut, Prefix+"/credentials/NOPE", map[string]any{"value": "x"}, oc)
			require.Equal(t, http.StatusNotFound, r.Status, r.short())

			// Members list names and metadata, never values.
			var list []CredentialDTO
			r = a.do(http.MethodGet, Prefix+"/credentials", nil, vc)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			r.JSON(t, &list)
			require.Len(t, list, 2)
			require.Equal(t, "API", list[0].Name)
			require.Equal(t, "{{ secrets.API }}", list[0].Reference)

			// A plain secret in a config is refused, and nothing is written.
			plain := `{"nodes":[{"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
			 {"id":"call","type":"http.request","config":{"url":"https://api.example.com","headers":{"Authorization":"Bearer sk_live_plain_123"}},"position":{"x":0,"y":100}}],
			 "edges":[{"id":"e","source":"start","target":"call"}]}`
			r = a.do(http.MethodPost, Prefix+"/workflows", fmt.Sprintf(`{"name":"Plain","definition":%s}`, plain), oc)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
			require.Contains(t, problemDetail(t, r), "credential")
			require.Contains(t, string(r.Body), "plain_secret")
			r = a.do(http.MethodPost, Prefix+"/workflows/import", fmt.Sprintf(`{"name":"Plain","definition":%s}`,
				`{"nodes":[{"id":"hook","type":"trigger.webhook","config":{"secret":"s3cret-s3cret-s3cret"}}],"edges":[]}`), oc)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
			var wl struct{ Items []WorkflowDTO }
			a.do(http.MethodGet, Prefix+"/workflows", nil, oc).JSON(t, &wl)
			require.Empty(t, wl.Items)

			// A reference to a credential that does not exist fails publishing.
			unknown := a.createWorkflow(owner, "Unknown", `{"nodes":[{"id":"hook","type":"trigger.webhook","config":{"auth":"bearer","secretCredential":"MISSING"},"position":{"x":0,"y":0}}],"edges":[]}`)
			r = a.do(http.MethodPost, Prefix+"/workflows/"+unknown.ID.String()+"/publish", nil, oc)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
			require.Contains(t, string(r.Body), "unknown_credential")
			require.Contains(t, string(r.Body), "MISSING")

			def := `{"nodes":[
			 {"id":"hook","type":"trigger.webhook","config":{"respond":"on_completion","timeout":"20s","auth":"bearer","secretCredential":"HOOK"},"position":{"x":0,"y":0}},
			 {"id":"call","type":"http.request","config":{"method":"POST","url":"` + echo.URL + `/x","headers":{"Authorization":"Bearer {{ secrets.API }}"},"body":{"k":"{{ secrets.API }}"}},"position":{"x":0,"y":100}},
			 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
			 "edges":[{"id":"e1","source":"hook","target":"call"},{"id":"e2","source":"call","target":"done"}]}`
			w := a.createWorkflow(owner, "Orders", def)
			r = a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/publish", nil, oc)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/activate", nil, oc).Status)
			hook := fmt.Sprintf("/webhooks/%s/%s", owner.Me.ActiveTenant.ID, w.ID)

			// Forged bearer tokens are refused and start nothing; a workspace
			// API key is not a webhook token.
			for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "Basic " + hookSecret},
				{"Authorization", "Bearer " + a.apiKey(owner, "full")}, {"X-NextFlow-Signature", "sha256=00"}} {
				r = a.do(http.MethodPost, hook, []byte(`{}`), creds{NoOrigin: true}, h...)
				require.Equal(t, http.StatusUnauthorized, r.Status, "%v: %s", h, r.short())
			}
			require.Equal(t, 0, a.executions(owner.Me.ActiveTenant.ID, w.ID))

			// The viewer watches the live stream while the webhook runs.
			var stream *response
			var wg sync.WaitGroup
			wg.Go(func() { stream = a.do(http.MethodGet, Prefix+"/executions/stream", nil, vc) })
			time.Sleep(200 * time.Millisecond)
			r = a.do(http.MethodPost, hook, []byte(`{"order":1}`), creds{NoOrigin: true}, "Authorization", "Bearer "+hookSecret)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			var exec ExecutionDTO
			r.JSON(t, &exec)
			require.Equal(t, "COMPLETED", string(exec.Status), r.short())
			wg.Wait()
			mu.Lock()
			require.Equal(t, []string{"Bearer " + apiSecret}, gotAuth, "the call carried the credential")
			mu.Unlock()

			// Every read a viewer can make: no value anywhere.
			paths := []string{
				"/workflows/" + w.ID.String(), "/workflows/" + w.ID.String() + "/export",
				"/workflows/" + w.ID.String() + "/versions", "/workflows/" + w.ID.String() + "/versions/1",
				"/executions", "/executions/" + exec.ID.String(), "/executions/" + exec.ID.String() + "?steps=true",
				"/credentials", "/workflows", "/node-types",
			}
			seen := []string{stream.short()}
			for _, p := range paths {
				r := a.do(http.MethodGet, Prefix+p, nil, vc)
				require.Equal(t, http.StatusOK, r.Status, "%s: %s", p, r.short())
				seen = append(seen, string(r.Body))
				for _, v := range []string{apiSecret, hookSecret} {
					require.NotContains(t, string(r.Body), v, p)
				}
			}
			require.NotContains(t, string(stream.Body), apiSecret)
			require.NotContains(t, string(stream.Body), hookSecret)
			require.Contains(t, strings.Join(seen, ""), "[redacted]", "the echoed value was recorded redacted")

			// The audit log records the changes, not the values.
			r = a.do(http.MethodGet, Prefix+"/audit-log", nil, oc)
			require.Equal(t, http.StatusOK, r.Status)
			require.Contains(t, string(r.Body), "credential.created")
			require.NotContains(t, string(r.Body), apiSecret)

			// Replacing the value takes effect on the next call; deleting a
			// credential a workflow uses is refused, naming the workflow.
			r = a.do(http.MethodPut, Prefix+"/credentials/HOOK", map[string]any{"kind": "webhook_secret", "value": "rotated-NFSECRET-0001"}, oc)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			require.NotContains(t, string(r.Body), "rotated-NFSECRET")
			r = a.do(http.MethodPost, hook, []byte(`{}`), creds{NoOrigin: true}, "Authorization", "Bearer "+hookSecret)
			require.Equal(t, http.StatusUnauthorized, r.Status, "the old token no longer works")
			r = a.do(http.MethodDelete, Prefix+"/credentials/HOOK", nil, vc)
			require.Equal(t, http.StatusForbidden, r.Status)
			r = a.do(http.MethodDelete, Prefix+"/credentials/HOOK", nil, oc)
			require.Equal(t, http.StatusConflict, r.Status, r.short())
			require.Contains(t, problemDetail(t, r), "Orders")
			r = a.do(http.MethodPost, Prefix+"/credentials", map[string]any{"name": "SPARE", "value": "spare-value"}, oc)
			require.Equal(t, http.StatusCreated, r.Status)
			require.Equal(t, http.StatusNoContent, a.do(http.MethodDelete, Prefix+"/credentials/SPARE", nil, oc).Status)
		})
	}
}

func TestWebhookSignatureWithCredential(t *testing.T) {
	t.Parallel()
	a := newCallingAPI(t, backends[0].open)
	owner := a.signup("owner@example.com", "Acme")
	oc := creds{Cookie: owner.Cookie}
	r := a.do(http.MethodPost, Prefix+"/credentials", map[string]any{"name": "SIG", "kind": "webhook_secret", "value": hookSecret}, oc)
	require.Equal(t, http.StatusCreated, r.Status, r.short())
	w := a.createWorkflow(owner, "Signed", `{"nodes":[
	 {"id":"hook","type":"trigger.webhook","config":{"secretCredential":"SIG"},"position":{"x":0,"y":0}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],"edges":[{"id":"e","source":"hook","target":"done"}]}`)
	require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/publish", nil, oc).Status)
	require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/activate", nil, oc).Status)
	hook := fmt.Sprintf("/webhooks/%s/%s", owner.Me.ActiveTenant.ID, w.ID)
	body := []byte(`{"total":1}`)
	sign := func(key string, b []byte) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write(b)
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	// Signature is the default mode when a credential is named; a bearer
	// token does not stand in for it.
	require.Equal(t, http.StatusUnauthorized, a.do(http.MethodPost, hook, body, creds{NoOrigin: true}).Status)
	require.Equal(t, http.StatusUnauthorized, a.do(http.MethodPost, hook, body, creds{NoOrigin: true}, "Authorization", "Bearer "+hookSecret).Status)
	require.Equal(t, http.StatusUnauthorized, a.do(http.MethodPost, hook, body, creds{NoOrigin: true}, "X-NextFlow-Signature", sign("guess", body)).Status)
	require.Equal(t, http.StatusUnauthorized, a.do(http.MethodPost, hook, []byte(`{"total":2}`), creds{NoOrigin: true}, "X-NextFlow-Signature", sign(hookSecret, body)).Status,
		"a signature of another body")
	require.Equal(t, 0, a.executions(owner.Me.ActiveTenant.ID, w.ID))
	r = a.do(http.MethodPost, hook, body, creds{NoOrigin: true}, "X-NextFlow-Signature", sign(hookSecret, body))
	require.Equal(t, http.StatusAccepted, r.Status, r.short())
	require.Equal(t, 1, a.executions(owner.Me.ActiveTenant.ID, w.ID))
}
