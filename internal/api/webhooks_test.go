package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// hmacSig is the X-NextFlow-Signature of body under secret.
func hmacSig(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// webhookScenario is one request to a webhook URL and what it must get.
type webhookScenario struct {
	name string
	// wf names the workflow posted to (a key of the test's workflows);
	// tenant, when set, replaces the URL's tenant.
	wf     string
	tenant uuid.UUID
	// body is the raw body; empty sends {} (nil with noBody).
	body   string
	noBody bool
	// sig is X-NextFlow-Signature, authz the Authorization header.
	sig, authz string
	status     int
	// detail is a fragment of the problem's detail (errors only).
	detail string
	// completed: the answer is the finished execution (respond=on_completion).
	completed bool
}

func TestWebhookTrigger(t *testing.T) {
	t.Parallel()
	const (
		signSecret   = "s3cret-s3cret-s3cret"
		bearerSecret = "b3arer-b3arer-b3arer"
		orderBody    = `{"total":250}`
	)
	hook := func(config string) string {
		return `{"nodes":[
		 {"id":"hook","type":"trigger.webhook","config":` + config + `,"position":{"x":0,"y":0}},
		 {"id":"big","type":"condition","config":{"expression":"has(trigger.input.total) && trigger.input.total > 100"},"position":{"x":0,"y":100}},
		 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
		 "edges":[{"id":"e1","source":"hook","target":"big"},{"id":"e2","source":"big","sourceHandle":"true","target":"done"},{"id":"e3","source":"big","sourceHandle":"false","target":"done"}]}`
	}
	definitions := map[string]string{
		"signed":   hook(`{"respond":"on_completion","timeout":"10s","auth":"signature","secretCredential":"ORDERS_HOOK"}`),
		"bearer":   hook(`{"auth":"bearer","secretCredential":"BEARER_HOOK"}`),
		"open":     hook(`{}`),
		"inactive": hook(`{}`),
		"manual":   `{"nodes":[{"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}}],"edges":[]}`,
	}
	scenarios := []webhookScenario{
		{name: "workflow not active", wf: "inactive", status: 404, detail: "no active workflow"},
		{name: "no webhook trigger", wf: "manual", status: 404},
		{name: "unknown workflow", wf: "missing", status: 404},
		{name: "another tenant's URL", wf: "open", tenant: uuid.New(), status: 404},
		{name: "missing signature", wf: "signed", body: orderBody, status: 401, detail: "X-NextFlow-Signature"},
		{name: "forged signature", wf: "signed", body: orderBody, sig: "sha256=00", status: 401},
		{name: "signature of another body", wf: "signed", body: orderBody, sig: hmacSig(signSecret, `{"total":1}`), status: 401},
		{name: "signed with another secret", wf: "signed", body: orderBody, sig: hmacSig(bearerSecret, orderBody), status: 401},
		{name: "bearer token instead of a signature", wf: "signed", body: orderBody, authz: "Bearer " + signSecret, status: 401},
		{name: "array body", wf: "signed", body: `[1,2]`, sig: hmacSig(signSecret, `[1,2]`), status: 400, detail: "JSON object"},
		{name: "signed", wf: "signed", body: orderBody, sig: hmacSig(signSecret, orderBody), status: 200, completed: true},
		{name: "missing bearer", wf: "bearer", body: orderBody, status: 401, detail: "Authorization: Bearer"},
		{name: "wrong bearer", wf: "bearer", body: orderBody, authz: "Bearer nope", status: 401},
		{name: "bearer under another scheme", wf: "bearer", body: orderBody, authz: "Basic " + bearerSecret, status: 401},
		{name: "bearer", wf: "bearer", body: orderBody, authz: "Bearer " + bearerSecret, status: 202},
		{name: "bearer scheme in lower case", wf: "bearer", authz: "bearer " + bearerSecret, status: 202},
		{name: "open", wf: "open", status: 202},
		{name: "open, no body", wf: "open", noBody: true, status: 400, detail: "body is required"},
		{name: "open, not JSON", wf: "open", body: "nope", status: 400},
		{name: "open, body over 256 KiB", wf: "open", body: `{"x":"` + strings.Repeat("x", 256<<10) + `"}`, status: 413},
	}

	eachFull(t, func(t *testing.T, a *testAPI) {
		require.NoError(t, a.st.Queue().Start(context.Background()))
		t.Cleanup(func() { _ = a.st.Queue().Stop(context.Background()) })
		acc := a.signup("owner@example.com", "Acme")
		// More active workflows than FREE allows.
		require.Equal(t, http.StatusOK, a.do(http.MethodPut, Prefix+"/workspace/plan", `{"plan":"PRO"}`, creds{Cookie: acc.Cookie}).Status)
		c := creds{Cookie: acc.Cookie}
		for name, value := range map[string]string{"ORDERS_HOOK": signSecret, "BEARER_HOOK": bearerSecret} {
			r := a.do(http.MethodPost, Prefix+"/credentials", map[string]any{"name": name, "kind": "webhook_secret", "value": value}, c)
			require.Equal(t, http.StatusCreated, r.Status, r.short())
		}
		ids := map[string]uuid.UUID{"missing": uuid.New()}
		for name, def := range definitions {
			w := a.createWorkflow(acc, name, def)
			ids[name] = w.ID
			pub := a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/publish", nil, c)
			require.Equal(t, http.StatusOK, pub.Status, pub.short())
			if name != "inactive" {
				r := a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/activate", nil, c)
				require.Equal(t, http.StatusOK, r.Status, r.short())
			}
		}

		started := 0
		for _, sc := range scenarios {
			tenant := acc.Me.ActiveTenant.ID
			if sc.tenant != uuid.Nil {
				tenant = sc.tenant
			}
			var headers []string
			if sc.sig != "" {
				headers = append(headers, "X-NextFlow-Signature", sc.sig)
			}
			if sc.authz != "" {
				headers = append(headers, "Authorization", sc.authz)
			}
			var body any = "{}"
			switch {
			case sc.noBody:
				body = nil
			case sc.body != "":
				body = sc.body
			}
			r := a.do(http.MethodPost, fmt.Sprintf("/webhooks/%s/%s", tenant, ids[sc.wf]), body, creds{NoOrigin: true}, headers...)
			require.Equal(t, sc.status, r.Status, "%s: %s", sc.name, r.short())
			if sc.detail != "" {
				require.Contains(t, problemDetail(t, r), sc.detail, sc.name)
			}
			if r.Status >= 300 {
				continue
			}
			started++
			var exec ExecutionDTO
			r.JSON(t, &exec)
			require.Equal(t, "trigger.webhook", exec.TriggerType, sc.name)
			if sc.completed {
				require.Equal(t, "COMPLETED", string(exec.Status), sc.name)
				require.Equal(t, 250.0, exec.Context["trigger"].(map[string]any)["input"].(map[string]any)["total"], sc.name)
			}
		}

		// Refused requests started nothing.
		var list ExecutionListDTO
		a.do(http.MethodGet, Prefix+"/executions?limit=200", nil, c).JSON(t, &list)
		require.Len(t, list.Items, started)
	})
}
