package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

func TestSignupCookieAndMe(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, storetest.SQLite(t))
	r := a.do(http.MethodPost, Prefix+"/auth/signup", map[string]string{
		"email": "ada@example.com", "password": testPassword, "name": "Ada", "workspaceName": "Acme",
	}, creds{})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	c := r.cookie(SessionCookie)
	require.NotNil(t, c)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, c.SameSite)
	require.Equal(t, "/", c.Path)
	require.False(t, c.Secure, "plain HTTP without a trusted proxy")
	require.Greater(t, c.MaxAge, 0)
	require.NotContains(t, string(r.Body), c.Value, "the token is never in a body")

	r = a.do(http.MethodGet, Prefix+"/auth/me", nil, creds{Cookie: c.Value})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var me MeDTO
	r.JSON(t, &me)
	require.Equal(t, "ada@example.com", me.User.Email)
	require.Len(t, me.Memberships, 1)
	require.Equal(t, "OWNER", string(me.Role))
	require.Equal(t, "acme", me.ActiveTenant.Slug)
	require.Equal(t, "FREE", string(me.ActiveTenant.Plan))
	require.Contains(t, me.Permissions, auth.PermWorkspaceDelete)

	// Bad input: 422 naming the field, nothing written.
	r = a.do(http.MethodPost, Prefix+"/auth/signup", map[string]string{
		"email": "bob@example.com", "password": "short", "name": "Bob", "workspaceName": "B",
	}, creds{})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), "password")
	r = a.do(http.MethodPost, Prefix+"/auth/login", map[string]string{"email": "bob@example.com", "password": testPassword}, creds{})
	require.Equal(t, http.StatusUnauthorized, r.Status)
	r = a.do(http.MethodPost, Prefix+"/auth/signup", map[string]string{
		"email": "ADA@example.com", "password": testPassword, "name": "Ada", "workspaceName": "Acme",
	}, creds{})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
}

func TestSecureCookie(t *testing.T) {
	t.Parallel()
	st := storetest.SQLite(t)
	body := func(email string) map[string]string {
		return map[string]string{"email": email, "password": testPassword, "name": "A", "workspaceName": "W"}
	}
	// Behind a trusted proxy, X-Forwarded-Proto decides.
	a := newTestAPI(t, st, func(o *AccountsOptions, _ *auth.Options) { o.TrustProxy = true })
	r := a.do(http.MethodPost, Prefix+"/auth/signup", body("a@example.com"), creds{}, "X-Forwarded-Proto", "https")
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.True(t, r.cookie(SessionCookie).Secure)
	// Without trust, the header is ignored.
	b := newTestAPI(t, st)
	r = b.do(http.MethodPost, Prefix+"/auth/signup", body("b@example.com"), creds{}, "X-Forwarded-Proto", "https")
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.False(t, r.cookie(SessionCookie).Secure)
	// An https base URL means https.
	c := newTestAPI(t, st, func(o *AccountsOptions, _ *auth.Options) { o.BaseURL = "https://app.example.com" })
	r = c.do(http.MethodPost, Prefix+"/auth/signup", body("c@example.com"), creds{})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.True(t, r.cookie(SessionCookie).Secure)
}

func TestInviteAcceptSwitchHTTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		a := newTestAPI(t, st)
		ada := a.signup("ada@example.com", "Acme")
		inv := a.invite(ada, "bob@example.com", "VIEWER")
		require.Equal(t, "pending", inv.Status)
		require.True(t, strings.HasPrefix(inv.AcceptURL, testOrigin+"/invite?token="), inv.AcceptURL)
		require.False(t, inv.Emailed)

		r := a.do(http.MethodGet, Prefix+"/invitations", nil, creds{Cookie: ada.Cookie})
		require.Equal(t, http.StatusOK, r.Status)
		require.NotContains(t, string(r.Body), tokenOf(inv.AcceptURL), "tokens are shown once")

		bob := a.accept(inv, "Bob")
		require.Equal(t, "VIEWER", string(bob.Me.Role))
		require.Equal(t, ada.Me.ActiveTenant.ID, bob.Me.ActiveTenant.ID)

		// Bob's own workspace, then switch back and forth.
		r = a.do(http.MethodPost, Prefix+"/auth/login", map[string]string{"email": "bob@example.com", "password": testPassword}, creds{})
		require.Equal(t, http.StatusOK, r.Status)
		bobWS, err := a.svc.CreateTenant(context.Background(), "Bob's", "", "", "bob@example.com")
		require.NoError(t, err)
		r = a.do(http.MethodPost, Prefix+"/auth/switch-tenant", map[string]any{"tenantId": bobWS.ID}, creds{Cookie: bob.Cookie})
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		var me MeDTO
		r.JSON(t, &me)
		require.Equal(t, bobWS.ID, me.ActiveTenant.ID)
		require.Equal(t, "OWNER", string(me.Role))
		require.Len(t, me.Memberships, 2)
		r = a.do(http.MethodGet, Prefix+"/auth/me", nil, creds{Cookie: bob.Cookie})
		r.JSON(t, &me)
		require.Equal(t, bobWS.ID, me.ActiveTenant.ID, "the switch sticks to the session")
		r = a.do(http.MethodPost, Prefix+"/auth/switch-tenant", map[string]any{"tenantId": ada.Me.ActiveTenant.ID}, creds{Cookie: bob.Cookie})
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))

		// Members list shows both.
		r = a.do(http.MethodGet, Prefix+"/members", nil, creds{Cookie: bob.Cookie})
		require.Equal(t, http.StatusOK, r.Status)
		var members []MemberDTO
		r.JSON(t, &members)
		require.Len(t, members, 2)

		// A used token is refused.
		r = a.do(http.MethodPost, Prefix+"/invitations/accept", map[string]any{"token": tokenOf(inv.AcceptURL), "name": "Eve", "password": testPassword}, creds{})
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Body))
	})
}

func TestViewerWriteRefused(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, storetest.SQLite(t))
	ada := a.signup("ada@example.com", "Acme")
	viewer := a.accept(a.invite(ada, "vic@example.com", "VIEWER"), "Vic")

	r := a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Cookie: viewer.Cookie})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	r = a.do(http.MethodPost, Prefix+"/workflows", map[string]any{"name": "x"}, creds{Cookie: viewer.Cookie})
	require.Equal(t, http.StatusForbidden, r.Status, string(r.Body))
	require.Contains(t, problemDetail(t, r), `"workflows:write"`)
	r = a.do(http.MethodPost, Prefix+"/invitations", map[string]any{"email": "x@example.com", "role": "ADMIN"}, creds{Cookie: viewer.Cookie})
	require.Equal(t, http.StatusForbidden, r.Status, string(r.Body))
	require.Contains(t, problemDetail(t, r), `"members:manage"`)
	r = a.do(http.MethodGet, Prefix+"/audit-log", nil, creds{Cookie: viewer.Cookie})
	require.Equal(t, http.StatusForbidden, r.Status, string(r.Body))
	require.Contains(t, problemDetail(t, r), `"audit:read"`)
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))

	// An ADMIN cannot make an OWNER; the last OWNER cannot step down.
	admin := a.accept(a.invite(ada, "adm@example.com", "ADMIN"), "Adm")
	r = a.do(http.MethodPatch, Prefix+"/members/"+admin.Me.User.ID.String(), map[string]any{"role": "OWNER"}, creds{Cookie: admin.Cookie})
	require.Equal(t, http.StatusForbidden, r.Status, string(r.Body))
	require.Contains(t, problemDetail(t, r), `"owners:manage"`)
	r = a.do(http.MethodPatch, Prefix+"/members/"+ada.Me.User.ID.String(), map[string]any{"role": "ADMIN"}, creds{Cookie: ada.Cookie})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	r = a.do(http.MethodDelete, Prefix+"/members/"+ada.Me.User.ID.String(), nil, creds{Cookie: ada.Cookie})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	r = a.do(http.MethodPatch, Prefix+"/members/"+viewer.Me.User.ID.String(), map[string]any{"role": "OPERATOR"}, creds{Cookie: admin.Cookie})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	// The promotion applies to the viewer's next request.
	r = a.do(http.MethodPost, Prefix+"/workflows", map[string]any{"name": "x"}, creds{Cookie: viewer.Cookie})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))

	// Audit log, paged by cursor.
	r = a.do(http.MethodGet, Prefix+"/audit-log?limit=2", nil, creds{Cookie: ada.Cookie})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var page struct {
		Items      []AuditEntryDTO `json:"items"`
		NextCursor string          `json:"nextCursor"`
	}
	r.JSON(t, &page)
	require.Len(t, page.Items, 2)
	require.NotEmpty(t, page.NextCursor)
	// The newest entries: the viewer's workflow, then the promotion before it.
	require.Equal(t, []string{"workflow.created", "member.role_changed"}, []string{page.Items[0].Action, page.Items[1].Action})
	r = a.do(http.MethodGet, Prefix+"/audit-log?limit=200&cursor="+page.NextCursor, nil, creds{Cookie: ada.Cookie})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var rest struct {
		Items []AuditEntryDTO `json:"items"`
	}
	r.JSON(t, &rest)
	seen := map[string]bool{}
	for _, e := range append(page.Items, rest.Items...) {
		require.False(t, seen[e.ID.String()], "no entry twice")
		seen[e.ID.String()] = true
		seen[e.Action] = true
	}
	for _, want := range []string{"auth.signup", "invitation.created", "invitation.accepted", "member.added", "member.role_changed"} {
		require.True(t, seen[want], want)
	}
}

func TestUnauthenticatedAndAPIKeys(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, storetest.SQLite(t))
	ada := a.signup("ada@example.com", "Acme")
	r := a.do(http.MethodGet, Prefix+"/workflows", nil, creds{})
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	r = a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Cookie: "forged"})
	require.Equal(t, http.StatusUnauthorized, r.Status)
	r = a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Key: "nf_000000000000_" + strings.Repeat("A", 43)})
	require.Equal(t, http.StatusUnauthorized, r.Status)
	r = a.do(http.MethodGet, Prefix+"/workflows", nil, creds{}, "Authorization", "Basic YTpi")
	require.Equal(t, http.StatusUnauthorized, r.Status)

	key := a.apiKey(ada, "full")
	r = a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Key: key})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	// Keys need no Origin, and cannot manage keys or members.
	r = a.do(http.MethodPost, Prefix+"/workflows", map[string]any{"name": "by key"}, creds{Key: key, NoOrigin: true})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	r = a.do(http.MethodPost, Prefix+"/api-keys", map[string]any{"name": "more", "scopes": []string{"full"}}, creds{Key: key})
	require.Equal(t, http.StatusForbidden, r.Status, string(r.Body))
	require.Contains(t, problemDetail(t, r), `"apikeys:manage"`)
	r = a.do(http.MethodGet, Prefix+"/auth/me", nil, creds{Key: key})
	require.Equal(t, http.StatusForbidden, r.Status, string(r.Body))

	ev := a.apiKey(ada, "events:write")
	r = a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Key: ev})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Contains(t, problemDetail(t, r), `"workflows:read"`)

	// List shows last use, never the secret; revoking stops the key.
	r = a.do(http.MethodGet, Prefix+"/api-keys", nil, creds{Cookie: ada.Cookie})
	require.Equal(t, http.StatusOK, r.Status)
	require.NotContains(t, string(r.Body), key[len(key)-20:])
	var keys []APIKeyDTO
	r.JSON(t, &keys)
	require.Len(t, keys, 2)
	var fullID string
	for _, k := range keys {
		if k.Name == "key" && len(k.Scopes) == 1 && k.Scopes[0] == "full" {
			require.NotNil(t, k.LastUsedAt)
			require.True(t, strings.HasPrefix(key, "nf_"+k.Prefix+"_"))
			fullID = k.ID.String()
		}
	}
	r = a.do(http.MethodDelete, Prefix+"/api-keys/"+fullID, nil, creds{Cookie: ada.Cookie})
	require.Equal(t, http.StatusNoContent, r.Status, string(r.Body))
	r = a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Key: key})
	require.Equal(t, http.StatusUnauthorized, r.Status)
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, storetest.SQLite(t), func(o *AccountsOptions, _ *auth.Options) { o.BaseURL = "https://app.example.com" })
	ada := a.signup("ada@example.com", "Acme")
	post := func(c creds) int {
		return a.do(http.MethodPost, Prefix+"/workflows", map[string]any{"name": "x"}, c).Status
	}
	require.Equal(t, http.StatusForbidden, post(creds{Cookie: ada.Cookie, NoOrigin: true}))
	require.Equal(t, http.StatusForbidden, post(creds{Cookie: ada.Cookie, Origin: "https://evil.example"}))
	require.Equal(t, http.StatusForbidden, post(creds{Cookie: ada.Cookie, Origin: "null"}))
	require.Equal(t, http.StatusForbidden, post(creds{Cookie: ada.Cookie, NoOrigin: true}))
	require.Equal(t, http.StatusCreated, post(creds{Cookie: ada.Cookie}))
	require.Equal(t, http.StatusCreated, post(creds{Cookie: ada.Cookie, Origin: "https://app.example.com"}))
	r := a.do(http.MethodPost, Prefix+"/workflows", map[string]any{"name": "x"}, creds{Cookie: ada.Cookie, NoOrigin: true}, "Referer", testOrigin+"/workflows")
	require.Equal(t, http.StatusCreated, r.Status, "a same-origin Referer will do")
	r = a.do(http.MethodPost, Prefix+"/workflows", map[string]any{"name": "x"}, creds{Cookie: ada.Cookie, NoOrigin: true}, "Referer", "https://evil.example/x")
	require.Equal(t, http.StatusForbidden, r.Status)
	// Reads need no Origin.
	require.Equal(t, http.StatusOK, a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Cookie: ada.Cookie}).Status)
	// Login CSRF: a foreign page cannot sign the browser in.
	r = a.do(http.MethodPost, Prefix+"/auth/login", map[string]string{"email": "ada@example.com", "password": testPassword}, creds{Origin: "https://evil.example"})
	require.Equal(t, http.StatusForbidden, r.Status)
	r = a.do(http.MethodPost, Prefix+"/invitations/accept", map[string]string{"token": strings.Repeat("A", 43), "name": "x", "password": testPassword}, creds{Origin: "https://evil.example"})
	require.Equal(t, http.StatusForbidden, r.Status)
	// Logout is a write too.
	r = a.do(http.MethodPost, Prefix+"/auth/logout", nil, creds{Cookie: ada.Cookie, Origin: "https://evil.example"})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Equal(t, http.StatusOK, a.do(http.MethodGet, Prefix+"/auth/me", nil, creds{Cookie: ada.Cookie}).Status)
}

func TestCSRFSparesWebhooks(t *testing.T) {
	t.Parallel()
	a := newFullAPI(t, backends[0].open)
	ada := a.signup("ada@example.com", "Acme")
	// A landing page on the customer's site may post to a webhook, with
	// or without the visitor's NextFlow cookie: not our session's write.
	for _, c := range []creds{{Origin: "https://shop.example"}, {Cookie: ada.Cookie, Origin: "https://shop.example"}} {
		r := a.do(http.MethodPost, "/webhooks/"+ada.Me.ActiveTenant.ID.String()+"/"+ada.Me.User.ID.String(), map[string]any{}, c)
		require.NotEqual(t, http.StatusForbidden, r.Status, r.short())
		require.NotContains(t, string(r.Body), "cross-site")
	}
}

func TestLogoutAndThrottleHTTP(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, storetest.SQLite(t), func(_ *AccountsOptions, o *auth.Options) {
		o.LoginPolicy = auth.DefaultLoginPolicy
		o.LoginPolicy.Client.Free = 3
	})
	ada := a.signup("ada@example.com", "Acme")
	login := func(pw string) *response {
		return a.do(http.MethodPost, Prefix+"/auth/login", map[string]string{"email": "ada@example.com", "password": pw}, creds{})
	}
	r := login(testPassword)
	require.Equal(t, http.StatusOK, r.Status)
	second := r.cookie(SessionCookie).Value

	r = a.do(http.MethodPost, Prefix+"/auth/logout", nil, creds{Cookie: ada.Cookie})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, -1, r.cookie(SessionCookie).MaxAge)
	require.Equal(t, http.StatusUnauthorized, a.do(http.MethodGet, Prefix+"/auth/me", nil, creds{Cookie: ada.Cookie}).Status)
	require.Equal(t, http.StatusOK, a.do(http.MethodGet, Prefix+"/auth/me", nil, creds{Cookie: second}).Status)

	third := login(testPassword).cookie(SessionCookie).Value
	r = a.do(http.MethodPost, Prefix+"/auth/logout-all", nil, creds{Cookie: second})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, http.StatusUnauthorized, a.do(http.MethodGet, Prefix+"/auth/me", nil, creds{Cookie: second}).Status)
	require.Equal(t, http.StatusUnauthorized, a.do(http.MethodGet, Prefix+"/auth/me", nil, creds{Cookie: third}).Status)

	for i := 0; i < 3; i++ {
		r = login("wrong password!")
		require.Equal(t, http.StatusUnauthorized, r.Status)
		require.Contains(t, problemDetail(t, r), "invalid email or password")
	}
	r = login(testPassword)
	require.Equal(t, http.StatusTooManyRequests, r.Status, string(r.Body))
	require.NotEmpty(t, r.Header.Get("Retry-After"))
	r = a.do(http.MethodPost, Prefix+"/auth/login", map[string]string{"email": "nobody@example.com", "password": "wrong password!"}, creds{})
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Contains(t, problemDetail(t, r), "invalid email or password")
}
