package api

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/unsubscribe"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

func TestUnsubscribeOneClick(t *testing.T) {
	t.Parallel()
	st := storetest.SQLite(t)
	ctx := context.Background()
	var tenant, contactID uuid.UUID
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], Plan: domain.PlanFree})
		tenant = tn.ID
		return err
	}))
	addr := "ada@example.test"
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		c, _, err := tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: tenant, Email: &addr})
		contactID = c.ID
		return err
	}))
	key, err := secret.DeriveKey(bytes.Repeat([]byte{5}, 32), unsubscribe.Purpose)
	require.NoError(t, err)
	signer, err := unsubscribe.New(key)
	require.NoError(t, err)
	token, err := signer.Sign(unsubscribe.Token{TenantID: tenant, ContactID: contactID, Channel: "email", MessageID: uuid.New()})
	require.NoError(t, err)
	otherKey, err := secret.DeriveKey(bytes.Repeat([]byte{6}, 32), unsubscribe.Purpose)
	require.NoError(t, err)
	otherSigner, err := unsubscribe.New(otherKey)
	require.NoError(t, err)
	forged, err := otherSigner.Sign(unsubscribe.Token{TenantID: tenant, ContactID: contactID, Channel: "email"})
	require.NoError(t, err)

	srv := New(Deps{Store: st})
	srv.MountUnsubscribe(unsubscribe.NewService(st, signer, nil))
	h := srv.Handler()
	state := func() string {
		var c *domain.Contact
		require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
			var err error
			c, err = tx.ContactGetByID(ctx, tenant, contactID)
			return err
		}))
		return c.Subscriptions["email"].State + "/" + c.Subscriptions["email"].Source
	}
	do := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}

	// Bad requests first: nothing is written.
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"forged token", http.MethodPost, "/u/" + forged, "List-Unsubscribe=One-Click", http.StatusNotFound},
		{"altered token", http.MethodPost, "/u/" + token[:len(token)-1] + "B", "List-Unsubscribe=One-Click", http.StatusNotFound},
		{"garbage", http.MethodPost, "/u/!!", "", http.StatusNotFound},
		{"wrong form value", http.MethodPost, "/u/" + token, "List-Unsubscribe=Yes", http.StatusBadRequest},
		{"page of a long token", http.MethodGet, "/u/" + strings.Repeat("A", 300), "", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(tc.method, tc.path, tc.body)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			require.Equal(t, "/", state(), "nothing written")
		})
	}

	// GET shows a page whose button posts; it unsubscribes nobody.
	w := do(http.MethodGet, "/u/"+token, "")
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Body.String(), `<form method="post">`)
	require.Contains(t, w.Body.String(), `name="List-Unsubscribe" value="One-Click"`)
	require.Equal(t, "/", state())

	// RFC 8058 one-click POST: no session, no CSRF token.
	w = do(http.MethodPost, "/u/"+token, "List-Unsubscribe=One-Click")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Contains(t, w.Body.String(), "Unsubscribed")
	require.Equal(t, "unsubscribed/one-click", state())
	// Idempotent.
	w = do(http.MethodPost, "/u/"+token, "List-Unsubscribe=One-Click")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "unsubscribed/one-click", state())
}
