package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// newChannelsAPI is the API with the channel routes, over SQLite.
func newChannelsAPI(t *testing.T) *testAPI {
	t.Helper()
	st := storetest.SQLite(t)
	creds := testCredentials(t, st)
	svc := channel.New(st, creds.Keyring(), channel.Options{PublicURL: "https://nf.example.com"})
	routes := &ChannelRoutes{Store: st, Channels: svc}
	return newTestAPIDeps(t, st, Deps{Credentials: creds, Hooks: []func(huma.API){routes.Register}})
}

func TestChannelsAPI(t *testing.T) {
	t.Parallel()
	a := newChannelsAPI(t)
	ada := a.signup("ada@example.com", "Acme")
	bob := a.signup("bob@example.com", "Bravo")
	as := creds{Cookie: ada.Cookie}

	r := a.do(http.MethodPost, Prefix+"/channels", map[string]any{
		"kind": "whatsapp", "name": "Support",
		"config":  map[string]any{"phoneNumberId": "106540352242922"},
		"secrets": map[string]string{"accessToken": "tok-secret", "verifyToken": "verify-secret"},
	}, as)
	require.Equal(t, http.StatusCreated, r.Status, r.short())
	require.NotContains(t, string(r.Body), "tok-secret", "secrets are never returned")
	var ch ChannelDTO
	r.JSON(t, &ch)
	require.Equal(t, []string{"accessToken", "verifyToken"}, ch.SecretsSet)
	require.Equal(t, "https://nf.example.com/hooks/whatsapp/"+ch.ID.String(), ch.WebhookURL)
	require.Equal(t, "untested", ch.Status)

	// PATCH without secrets keeps them.
	r = a.do(http.MethodPatch, Prefix+"/channels/"+ch.ID.String(), map[string]any{"name": "Support 2"}, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	r.JSON(t, &ch)
	require.Equal(t, "Support 2", ch.Name)
	require.Equal(t, []string{"accessToken", "verifyToken"}, ch.SecretsSet)

	r = a.do(http.MethodPost, Prefix+"/channels/"+ch.ID.String()+"/test", nil, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	var res ChannelTestDTO
	r.JSON(t, &res)
	require.False(t, res.OK, "no probe is registered here")
	require.Equal(t, "failing", res.Channel.Status)

	r = a.do(http.MethodGet, Prefix+"/channels", nil, as)
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, string(r.Body), "Support 2")

	// Another tenant sees none of it.
	bs := creds{Cookie: bob.Cookie}
	for _, req := range []struct{ method, path string }{
		{http.MethodGet, "/channels/" + ch.ID.String()},
		{http.MethodPatch, "/channels/" + ch.ID.String()},
		{http.MethodDelete, "/channels/" + ch.ID.String()},
		{http.MethodPost, "/channels/" + ch.ID.String() + "/test"},
	} {
		var body any
		if req.method == http.MethodPatch {
			body = map[string]any{"name": "x"}
		}
		r = a.do(req.method, Prefix+req.path, body, bs)
		require.Equal(t, http.StatusNotFound, r.Status, "%s %s: %s", req.method, req.path, r.short())
	}

	r = a.do(http.MethodDelete, Prefix+"/channels/"+ch.ID.String(), nil, as)
	require.Equal(t, http.StatusNoContent, r.Status, r.short())
}

func TestChannelsAPIBadInput(t *testing.T) {
	t.Parallel()
	a := newChannelsAPI(t)
	as := creds{Cookie: a.signup("ada@example.com", "Acme").Cookie}
	for _, tc := range []struct {
		name    string
		method  string
		path    string
		body    any
		status  int
		mention string
	}{
		{"unknown kind", http.MethodPost, "/channels", map[string]any{"kind": "sms", "name": "x"}, http.StatusUnprocessableEntity, "kind"},
		{"no page id", http.MethodPost, "/channels", map[string]any{"kind": "messenger", "name": "x", "secrets": map[string]string{"pageToken": "t"}}, http.StatusUnprocessableEntity, "config.pageId"},
		{"unknown secret", http.MethodPost, "/channels", map[string]any{"kind": "messenger", "name": "x", "config": map[string]any{"pageId": "1"},
			"secrets": map[string]string{"pageToken": "t", "password": "p"}}, http.StatusUnprocessableEntity, "secrets.password"},
		{"bad tls", http.MethodPost, "/channels", map[string]any{"kind": "email", "name": "x", "config": map[string]any{"host": "h", "from": "a@b.c", "tls": "ssl"}}, http.StatusUnprocessableEntity, "tls"},
		{"template does not parse", http.MethodPost, "/templates", map[string]any{"channel": "email", "name": "t",
			"content": map[string]any{"subject": "Hi", "html": "<p>\n{% if x %}"}}, http.StatusUnprocessableEntity, "content.html, line 2"},
		{"template without subject", http.MethodPost, "/templates", map[string]any{"channel": "email", "name": "t",
			"content": map[string]any{"html": "<p>hi</p>"}}, http.StatusUnprocessableEntity, "content.subject"},
		{"preview of a bad event", http.MethodPost, "/templates/preview", map[string]any{"channel": "messenger",
			"content": map[string]any{"text": "hi"}, "event": []int{1}}, http.StatusUnprocessableEntity, "event"},
		{"messages by a bad contact id", http.MethodGet, "/messages?contactId=nope", nil, http.StatusUnprocessableEntity, "contactId"},
		{"messages with a bad cursor", http.MethodGet, "/messages?cursor=nope", nil, http.StatusBadRequest, "cursor"},
	} {
		r := a.do(tc.method, Prefix+tc.path, tc.body, as)
		require.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.short())
		require.True(t, strings.Contains(string(r.Body), tc.mention), "%s: %s", tc.name, r.short())
	}
	r := a.do(http.MethodGet, Prefix+"/channels", nil, as)
	require.Equal(t, "[]", strings.TrimSpace(string(r.Body)), "nothing was written")
}

func TestTemplatesAPIPreview(t *testing.T) {
	t.Parallel()
	a := newChannelsAPI(t)
	as := creds{Cookie: a.signup("ada@example.com", "Acme").Cookie}
	r := a.do(http.MethodPost, Prefix+"/templates", map[string]any{"channel": "email", "name": "welcome",
		"content": map[string]any{"subject": "Order {{ event.order }}", "html": "<b>{{ event.note }}</b>", "text": "{{ event.note }}"}}, as)
	require.Equal(t, http.StatusCreated, r.Status, r.short())
	var tpl TemplateDTO
	r.JSON(t, &tpl)
	r = a.do(http.MethodPost, Prefix+"/templates/"+tpl.ID.String()+"/preview", map[string]any{"event": map[string]any{"order": 7, "note": "<i>"}}, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	var out RenderedMessageDTO
	r.JSON(t, &out)
	require.Equal(t, "Order 7", out.Subject)
	require.Equal(t, "<b>&lt;i&gt;</b>", out.HTML)
	require.Equal(t, "<i>", out.Text)

	bob := a.signup("bob@example.com", "Bravo")
	r = a.do(http.MethodPost, Prefix+"/templates/"+tpl.ID.String()+"/preview", map[string]any{}, creds{Cookie: bob.Cookie})
	require.Equal(t, http.StatusNotFound, r.Status, r.short())
	r = a.do(http.MethodGet, Prefix+"/messages", nil, as)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	require.Contains(t, string(r.Body), `"items":[]`)
}
