package api

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel"
)

// suppressionPage lists suppressions with a query string.
func suppressionPage(t *testing.T, a *testAPI, query string, c creds) SuppressionPageDTO {
	t.Helper()
	r := a.do(http.MethodGet, Prefix+"/suppressions"+query, nil, c)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	var page SuppressionPageDTO
	r.JSON(t, &page)
	return page
}

func auditActions(t *testing.T, a *testAPI, c creds) []AuditEntryDTO {
	t.Helper()
	r := a.do(http.MethodGet, Prefix+"/audit-log?limit=200", nil, c)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	var page AuditListDTO
	r.JSON(t, &page)
	var out []AuditEntryDTO
	for _, e := range page.Items {
		if e.TargetType == "suppression" {
			out = append(out, e)
		}
	}
	return out
}

func TestSuppressionsAPI(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			creds_ := testCredentials(t, st)
			routes := &ChannelRoutes{Store: st, Channels: channel.New(st, creds_.Keyring(), channel.Options{})}
			a := newTestAPIDeps(t, st, Deps{Credentials: creds_, Hooks: []func(huma.API){routes.Register}})
			ada := a.signup("ada@example.com", "Acme")
			as := creds{Cookie: ada.Cookie}

			// Added addresses are stored as sends look them up.
			for _, in := range []map[string]any{
				{"channel": "email", "address": "  Grace@Example.COM "},
				{"channel": "email", "address": "alan@example.com", "reason": "complaint"},
				{"channel": "email", "address": "ada.lovelace@example.com"},
				{"channel": "whatsapp", "address": "+49 151 1234-5678"},
				{"channel": "messenger", "address": "24012345678901234"},
			} {
				r := a.do(http.MethodPost, Prefix+"/suppressions", in, as)
				require.Equal(t, http.StatusCreated, r.Status, r.short())
			}
			var s SuppressionDTO
			r := a.do(http.MethodPost, Prefix+"/suppressions", map[string]any{"channel": "email", "address": "GRACE@example.com", "reason": "hard_bounce"}, as)
			require.Equal(t, http.StatusConflict, r.Status, "already suppressed: %s", r.short())
			require.Contains(t, problemDetail(t, r), "already suppressed on email (manual)")

			all := suppressionPage(t, a, "", as)
			require.Len(t, all.Items, 5)
			require.Empty(t, all.NextCursor)
			s = all.Items[2]
			require.Equal(t, "grace@example.com", s.Address, "by channel, then address; lowercase")
			require.Equal(t, "manual", s.Reason, "manual by default")
			require.Equal(t, "complaint", all.Items[1].Reason)
			require.Equal(t, "messenger", all.Items[3].Channel)
			require.Equal(t, "4915112345678", all.Items[4].Address, "a WhatsApp number as digits")

			// Pages follow the cursor; search finds by part of an address.
			page := suppressionPage(t, a, "?limit=2", as)
			require.Len(t, page.Items, 2)
			require.NotEmpty(t, page.NextCursor)
			page = suppressionPage(t, a, "?limit=2&cursor="+page.NextCursor, as)
			require.Equal(t, "grace@example.com", page.Items[0].Address)
			require.Equal(t, "24012345678901234", page.Items[1].Address)
			require.Len(t, suppressionPage(t, a, "?search=LOVELACE", as).Items, 1)
			found := suppressionPage(t, a, "?search="+url.QueryEscape("+49 151"), as).Items
			require.Len(t, found, 1, "a phone number's spaces and + are ignored")
			require.Equal(t, "whatsapp", found[0].Channel)
			require.Len(t, suppressionPage(t, a, "?channel=email&search=example", as).Items, 3)
			require.Empty(t, suppressionPage(t, a, "?search=_", as).Items, "search text is literal")

			// Bad input: a clear problem, nothing written.
			for _, tc := range []struct {
				method, path string
				body         any
				status       int
			}{
				{http.MethodPost, "/suppressions", map[string]any{"channel": "email", "address": "not an address"}, http.StatusUnprocessableEntity},
				{http.MethodPost, "/suppressions", map[string]any{"channel": "whatsapp", "address": "12"}, http.StatusUnprocessableEntity},
				{http.MethodPost, "/suppressions", map[string]any{"channel": "messenger", "address": "psid-abc"}, http.StatusUnprocessableEntity},
				{http.MethodPost, "/suppressions", map[string]any{"channel": "sms", "address": "+4915112345678"}, http.StatusUnprocessableEntity},
				{http.MethodPost, "/suppressions", map[string]any{"channel": "email", "address": "x@example.com", "reason": "bored"}, http.StatusUnprocessableEntity},
				{http.MethodGet, "/suppressions?cursor=nope", nil, http.StatusBadRequest},
				{http.MethodDelete, "/suppressions/not-an-email?channel=email", nil, http.StatusUnprocessableEntity},
				{http.MethodDelete, "/suppressions/nobody@example.com", nil, http.StatusNotFound},
			} {
				r := a.do(tc.method, Prefix+tc.path, tc.body, as)
				require.Equal(t, tc.status, r.Status, "%s %s: %s", tc.method, tc.path, r.short())
				require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
			}
			require.Len(t, suppressionPage(t, a, "", as).Items, 5, "nothing was written")

			// Roles: an operator adds but does not lift; a viewer only reads.
			op := a.accept(a.invite(ada, "op@example.com", "OPERATOR"), "Op")
			viewer := a.accept(a.invite(ada, "viewer@example.com", "VIEWER"), "Viewer")
			r = a.do(http.MethodPost, Prefix+"/suppressions", map[string]any{"channel": "email", "address": "op-added@example.com"}, creds{Cookie: op.Cookie})
			require.Equal(t, http.StatusCreated, r.Status, r.short())
			r = a.do(http.MethodDelete, Prefix+"/suppressions/op-added@example.com", nil, creds{Cookie: op.Cookie})
			require.Equal(t, http.StatusForbidden, r.Status, r.short())
			r = a.do(http.MethodPost, Prefix+"/suppressions", map[string]any{"channel": "email", "address": "v@example.com"}, creds{Cookie: viewer.Cookie})
			require.Equal(t, http.StatusForbidden, r.Status, r.short())
			require.Len(t, suppressionPage(t, a, "", creds{Cookie: viewer.Cookie}).Items, 6)

			// Another workspace sees none of them and cannot lift them.
			bob := a.signup("bob@example.com", "Bravo")
			bs := creds{Cookie: bob.Cookie}
			require.Empty(t, suppressionPage(t, a, "", bs).Items)
			r = a.do(http.MethodDelete, Prefix+"/suppressions/grace@example.com", nil, bs)
			require.Equal(t, http.StatusNotFound, r.Status, r.short())
			require.Empty(t, auditActions(t, a, bs))

			// Lifting: as entered, on one channel or on all.
			r = a.do(http.MethodDelete, Prefix+"/suppressions/"+url.PathEscape("+49 151 12345678")+"?channel=whatsapp", nil, as)
			require.Equal(t, http.StatusNoContent, r.Status, r.short())
			r = a.do(http.MethodDelete, Prefix+"/suppressions/Grace@example.com", nil, as)
			require.Equal(t, http.StatusNoContent, r.Status, r.short())
			r = a.do(http.MethodDelete, Prefix+"/suppressions/grace@example.com", nil, as)
			require.Equal(t, http.StatusNotFound, r.Status, "already lifted: %s", r.short())
			require.Len(t, suppressionPage(t, a, "", as).Items, 4)

			// Each change is in the audit log, newest first, with who did it.
			entries := auditActions(t, a, as)
			require.Len(t, entries, 8)
			require.Equal(t, "suppression.removed", entries[0].Action)
			require.Equal(t, "email:grace@example.com", entries[0].TargetID)
			require.Equal(t, "suppression.removed", entries[1].Action)
			require.Equal(t, "whatsapp:4915112345678", entries[1].TargetID)
			require.Equal(t, "suppression.added", entries[2].Action)
			require.Equal(t, "email:op-added@example.com", entries[2].TargetID)
			require.Equal(t, op.Me.User.ID, *entries[2].ActorID)
			require.JSONEq(t, `{"channel":"email","address":"op-added@example.com","reason":"manual"}`, string(entries[2].Data))
		})
	}
}
