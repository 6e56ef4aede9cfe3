package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func (a *testAPI) upsertContact(acc *account, body map[string]any) (int, ContactDTO) {
	a.t.Helper()
	r := a.do(http.MethodPost, Prefix+"/contacts", body, creds{Cookie: acc.Cookie})
	require.Contains(a.t, []int{http.StatusOK, http.StatusCreated}, r.Status, r.short())
	var c ContactDTO
	r.JSON(a.t, &c)
	return r.Status, c
}

func (a *testAPI) contactNames(acc *account, query string) []string {
	a.t.Helper()
	r := a.do(http.MethodGet, Prefix+"/contacts?"+query, nil, creds{Cookie: acc.Cookie})
	require.Equal(a.t, http.StatusOK, r.Status, r.short())
	var page ContactListDTO
	r.JSON(a.t, &page)
	names := []string{}
	for _, c := range page.Items {
		names = append(names, c.Name)
	}
	return names
}

func TestContactUpsertGetList(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newTestAPI(t, b.open(t))
			acc := a.signup("owner@example.com", "Acme")
			status, c := a.upsertContact(acc, map[string]any{
				"externalId": "u-1", "email": "  Ada@Example.COM ", "phone": "+49 151 1234-5678", "name": "Ada",
				"timezone": "Europe/Berlin", "locale": "de_de", "attributes": map[string]any{"plan": "pro", "seats": 3},
				"subscriptions": map[string]any{"email": map[string]any{"state": "subscribed"}},
			})
			require.Equal(t, http.StatusCreated, status)
			require.Equal(t, "ada@example.com", *c.Email)
			require.Equal(t, "+4915112345678", *c.Phone)
			require.Equal(t, "de-DE", c.Locale)
			require.Equal(t, "subscribed", c.Subscriptions["email"].State)
			require.Equal(t, "api", c.Subscriptions["email"].Source)
			require.EqualValues(t, 3, c.Attributes["seats"])

			status, u := a.upsertContact(acc, map[string]any{"externalId": "u-1", "attributes": map[string]any{"plan": nil, "vip": true}})
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, c.ID, u.ID)
			require.Equal(t, map[string]any{"seats": 3.0, "vip": true}, u.Attributes)
			require.Equal(t, "Ada", u.Name)

			r := a.do(http.MethodGet, Prefix+"/contacts/"+c.ID.String(), nil, creds{Cookie: acc.Cookie})
			require.Equal(t, http.StatusOK, r.Status, r.short())
			var got ContactDTO
			r.JSON(t, &got)
			require.Equal(t, u.Attributes, got.Attributes)

			a.upsertContact(acc, map[string]any{"email": "bob@example.com", "name": "Bob", "attributes": map[string]any{"plan": "free", "seats": 1},
				"subscriptions": map[string]any{"email": map[string]any{"state": "unsubscribed"}}})
			a.upsertContact(acc, map[string]any{"externalId": "cid", "name": "Cid", "attributes": map[string]any{"plan": "pro", "seats": "3"}})

			require.Equal(t, []string{"Cid", "Bob", "Ada"}, a.contactNames(acc, ""))
			require.Equal(t, []string{"Cid"}, a.contactNames(acc, "attr=plan:eq:pro"))
			require.Equal(t, []string{"Ada"}, a.contactNames(acc, "attr=seats:gte:2"))
			require.Equal(t, []string{"Cid"}, a.contactNames(acc, "attr="+url.QueryEscape(`seats:eq:"3"`)))
			require.Equal(t, []string{"Bob", "Ada"}, a.contactNames(acc, "attr=seats:exists&attr=seats:lt:10"))
			require.Equal(t, []string{"Ada"}, a.contactNames(acc, "attr=vip:eq:true"))
			require.Equal(t, []string{"Ada"}, a.contactNames(acc, "subscription=email:subscribed"))
			require.Equal(t, []string{"Cid"}, a.contactNames(acc, "subscription=email:never"))
			require.Equal(t, []string{"Bob"}, a.contactNames(acc, "q=BOB"))
			require.Equal(t, []string{"Cid", "Bob", "Ada"}, a.contactNames(acc, "createdAfter="+url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339))))
			require.Empty(t, a.contactNames(acc, "lastSeenAfter="+url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339))))

			// Cursor pagination.
			var all []string
			cursor := ""
			for range 5 {
				r := a.do(http.MethodGet, Prefix+"/contacts?limit=2&cursor="+cursor, nil, creds{Cookie: acc.Cookie})
				require.Equal(t, http.StatusOK, r.Status, r.short())
				var page ContactListDTO
				r.JSON(t, &page)
				for _, c := range page.Items {
					all = append(all, c.Name)
				}
				if page.NextCursor == "" {
					break
				}
				cursor = page.NextCursor
			}
			require.Equal(t, []string{"Cid", "Bob", "Ada"}, all)

			// Another workspace sees none of it.
			other := a.signup("other@example.com", "Other")
			require.Empty(t, a.contactNames(other, ""))
			require.Equal(t, http.StatusNotFound, a.do(http.MethodGet, Prefix+"/contacts/"+c.ID.String(), nil, creds{Cookie: other.Cookie}).Status)
		})
	}
}

func TestContactBadInput(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, backends[0].open(t))
	acc := a.signup("owner@example.com", "Acme")
	a.upsertContact(acc, map[string]any{"externalId": "taken", "email": "taken@example.com"})
	big := map[string]any{"blob": strings.Repeat("x", 33<<10)}
	cases := []struct {
		name   string
		body   any
		status int
		says   string
	}{
		{"neither externalId nor email", map[string]any{"name": "Nobody"}, 422, "externalId or an email"},
		{"empty externalId", map[string]any{"externalId": "  "}, 422, "externalId"},
		{"bad email", map[string]any{"email": "not-an-email"}, 422, "email"},
		{"display-name email", map[string]any{"email": "Ada <ada@example.com>"}, 422, "email"},
		{"bad phone", map[string]any{"externalId": "x", "phone": "0151-123"}, 422, "E.164"},
		{"bad timezone", map[string]any{"externalId": "x", "timezone": "Mars/Olympus"}, 422, "timezone"},
		{"bad locale", map[string]any{"externalId": "x", "locale": "not a locale!"}, 422, "locale"},
		{"bad subscription state", map[string]any{"externalId": "x", "subscriptions": map[string]any{"email": map[string]any{"state": "maybe"}}}, 422, "subscribed, unsubscribed or never"},
		{"bad channel", map[string]any{"externalId": "x", "subscriptions": map[string]any{"E Mail": map[string]any{"state": "never"}}}, 422, "channel"},
		{"attributes not an object", `{"externalId":"x","attributes":[1,2]}`, 422, "attributes"},
		{"attributes over the limit", map[string]any{"externalId": "x", "attributes": big}, 422, "limit 32768"},
		{"body over the limit", map[string]any{"externalId": "x", "attributes": map[string]any{"blob": strings.Repeat("x", 70<<10)}}, 413, ""},
		{"unknown field", map[string]any{"externalId": "x", "colour": "red"}, 422, "colour"},
		{"email of another contact", map[string]any{"externalId": "other", "email": "taken@example.com"}, 409, "another contact"},
	}
	for _, tc := range cases {
		r := a.do(http.MethodPost, Prefix+"/contacts", tc.body, creds{Cookie: acc.Cookie})
		require.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.short())
		require.Contains(t, string(r.Body), tc.says, tc.name)
	}
	require.Equal(t, []string{""}, a.contactNames(acc, ""), "nothing was written")

	for _, q := range []string{"attr=plan", "attr=plan:like:x", "attr=plan:eq", "attr=" + url.QueryEscape(`a"b:eq:x`), "attr=vip:lt:true",
		"subscription=email", "subscription=email:maybe", "cursor=nope", "limit=0", "createdAfter=yesterday"} {
		r := a.do(http.MethodGet, Prefix+"/contacts?"+q, nil, creds{Cookie: acc.Cookie})
		require.Contains(t, []int{400, 422}, r.Status, "%s: %s", q, r.short())
	}
	r := a.do(http.MethodGet, Prefix+"/contacts/not-a-uuid", nil, creds{Cookie: acc.Cookie})
	require.Contains(t, []int{400, 422}, r.Status, r.short())
}

func TestContactEraseAnonymisesAndAudits(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newTestAPI(t, b.open(t))
			acc := a.signup("owner@example.com", "Acme")
			_, c := a.upsertContact(acc, map[string]any{"externalId": "gone-1", "email": "gone@example.com"})
			tenantID := acc.Me.ActiveTenant.ID
			ctx := context.Background()
			var execID = domain.NewID()
			require.NoError(t, a.st.InTx(ctx, tenantID, func(tx store.Tx) error {
				wf, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenantID, Name: "W",
					Definition: json.RawMessage(`{"nodes":[{"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}}],"edges":[]}`)})
				if err != nil {
					return err
				}
				v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: tenantID, WorkflowID: wf.ID, Version: 1, Definition: wf.Definition})
				if err != nil {
					return err
				}
				_, err = tx.ExecutionInsert(ctx, &store.ExecutionInsertParams{TenantID: tenantID, ID: execID, WorkflowID: wf.ID, VersionID: v.ID, Version: 1,
					Status: domain.ExecutionWaiting, ContactID: &c.ID, TriggerType: "trigger.manual",
					Context: json.RawMessage(`{"contact":{"email":"gone@example.com"}}`), CurrentNodeID: "start"})
				return err
			}))

			viewer := a.accept(a.invite(acc, "viewer@example.com", "VIEWER"), "Viewer")
			require.Equal(t, http.StatusForbidden, a.do(http.MethodDelete, Prefix+"/contacts/"+c.ID.String(), nil, creds{Cookie: viewer.Cookie}).Status)

			r := a.do(http.MethodDelete, Prefix+"/contacts/"+c.ID.String(), nil, creds{Cookie: acc.Cookie})
			require.Equal(t, http.StatusNoContent, r.Status, r.short())
			require.Equal(t, http.StatusNotFound, a.do(http.MethodGet, Prefix+"/contacts/"+c.ID.String(), nil, creds{Cookie: acc.Cookie}).Status)
			require.Equal(t, http.StatusNotFound, a.do(http.MethodDelete, Prefix+"/contacts/"+c.ID.String(), nil, creds{Cookie: acc.Cookie}).Status)

			require.NoError(t, a.st.Read(ctx, tenantID, func(tx store.Tx) error {
				e, err := tx.ExecutionGetByID(ctx, tenantID, execID)
				require.NoError(t, err)
				require.Equal(t, domain.ExecutionCancelled, e.Status)
				require.Nil(t, e.ContactID)
				require.NotContains(t, string(e.Context), "gone@")
				entries, err := tx.AuditListByTenant(ctx, &store.AuditListParams{TenantID: tenantID, Limit: 50})
				require.NoError(t, err)
				var found bool
				for _, en := range entries {
					if en.Action != "contact.erased" {
						continue
					}
					found = true
					require.Equal(t, c.ID.String(), en.TargetID)
					require.Equal(t, acc.Me.User.ID, *en.ActorID)
					require.Contains(t, string(en.Data), "gone-1")
					require.NotContains(t, string(en.Data), "gone@")
				}
				require.True(t, found, "contact.erased is audited")
				return nil
			}))
		})
	}
}

func TestContactAttributeSetByJourneyIsVisible(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		ctx := context.Background()
		require.NoError(t, a.st.Queue().Start(ctx))
		t.Cleanup(func() { _ = a.st.Queue().Stop(context.Background()) })
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		_, ct := a.upsertContact(acc, map[string]any{"externalId": "u-7", "email": "ada@example.com", "attributes": map[string]any{"plan": "free"}})
		w := a.createWorkflow(acc, "Upgrade", `{"nodes":[
 {"id":"start","type":"trigger.manual","position":{"x":0,"y":0}},
 {"id":"tag","type":"set_attribute","config":{"target":"contact","attributes":{"plan":"'pro'","greeting":"'hi ' + contact.email"}},"position":{"x":0,"y":100}},
 {"id":"done","type":"end","position":{"x":0,"y":200}}],
 "edges":[{"id":"e1","source":"start","target":"tag"},{"id":"e2","source":"tag","target":"done"}]}`)
		id := w.ID.String()
		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c).Status)
		r := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/executions", map[string]any{"contactId": ct.ID}, c)
		require.Equal(t, http.StatusAccepted, r.Status, r.short())
		require.Eventually(t, func() bool {
			var got ContactDTO
			a.do(http.MethodGet, Prefix+"/contacts/"+ct.ID.String(), nil, c).JSON(t, &got)
			return got.Attributes["plan"] == "pro" && got.Attributes["greeting"] == "hi ada@example.com"
		}, 10*time.Second, 50*time.Millisecond)

		var kinds []string
		require.Eventually(t, func() bool {
			var tl ContactTimelineDTO
			a.do(http.MethodGet, Prefix+"/contacts/"+ct.ID.String()+"/timeline", nil, c).JSON(t, &tl)
			kinds = kinds[:0]
			for _, it := range tl.Items {
				kinds = append(kinds, it.Kind)
			}
			return len(tl.Items) == 5 && tl.Items[0].Kind == "journey.exited" && tl.Items[0].Name == "Upgrade"
		}, 10*time.Second, 50*time.Millisecond)
		require.Equal(t, []string{"journey.exited", "step", "step", "step", "journey.entered"}, kinds)
		r = a.do(http.MethodGet, Prefix+"/contacts/"+ct.ID.String()+"/timeline?limit=2", nil, c)
		var page ContactTimelineDTO
		r.JSON(t, &page)
		require.Len(t, page.Items, 2)
		require.NotEmpty(t, page.NextCursor)
		r = a.do(http.MethodGet, Prefix+"/contacts/"+ct.ID.String()+"/timeline?limit=5&cursor="+page.NextCursor, nil, c)
		var rest ContactTimelineDTO
		r.JSON(t, &rest)
		require.Len(t, rest.Items, 3)
		require.Equal(t, http.StatusNotFound, a.do(http.MethodGet, Prefix+"/contacts/"+domain.NewID().String()+"/timeline", nil, c).Status)
	})
}
