package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func messageIDs(t *testing.T, a *testAPI, query string, c creds) []uuid.UUID {
	t.Helper()
	r := a.do(http.MethodGet, Prefix+"/messages"+query, nil, c)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	var page MessagePageDTO
	r.JSON(t, &page)
	ids := make([]uuid.UUID, 0, len(page.Items))
	for _, m := range page.Items {
		ids = append(ids, m.ID)
	}
	return ids
}

// TestMessagesAPIFilters checks the history the execution view and a
// journey node show: by execution, by workflow and node, newest first.
func TestMessagesAPIFilters(t *testing.T) {
	t.Parallel()
	a := newChannelsAPI(t)
	ada := a.signup("ada@example.com", "Acme")
	bob := a.signup("bob@example.com", "Bravo")
	as, bs := creds{Cookie: ada.Cookie}, creds{Cookie: bob.Cookie}
	tenant := ada.Me.ActiveTenant.ID

	wf1, wf2 := domain.NewID(), domain.NewID()
	ex1, ex2, ex3 := domain.NewID(), domain.NewID(), domain.NewID()
	insert := func(wf, ex uuid.UUID, node string, status domain.MessageStatus) uuid.UUID {
		var m *domain.Message
		require.NoError(t, a.st.InTx(context.Background(), tenant, func(tx store.Tx) error {
			var err error
			m, _, err = tx.MessageInsert(context.Background(), &store.MessageInsertParams{TenantID: tenant, Channel: domain.ChannelEmail,
				WorkflowID: &wf, WorkflowVersion: 1, ExecutionID: &ex, NodeID: node,
				Recipient: "grace@example.com", Status: status, ErrorCode: map[bool]string{true: "suppressed"}[status == domain.MessageSkipped]})
			return err
		}))
		return m.ID
	}
	m1 := insert(wf1, ex1, "welcome", "")
	m2 := insert(wf1, ex2, "welcome", "")
	m3 := insert(wf1, ex2, "reminder", domain.MessageSkipped)
	m4 := insert(wf2, ex3, "welcome", "")

	require.Equal(t, []uuid.UUID{m3, m2}, messageIDs(t, a, "?executionId="+ex2.String(), as), "an execution's messages, newest first")
	require.Equal(t, []uuid.UUID{m2, m1}, messageIDs(t, a, "?workflowId="+wf1.String()+"&nodeId=welcome", as), "a journey node's messages")
	require.Equal(t, []uuid.UUID{m4}, messageIDs(t, a, "?workflowId="+wf2.String(), as))
	require.Equal(t, []uuid.UUID{m2}, messageIDs(t, a, "?executionId="+ex2.String()+"&nodeId=welcome", as))
	require.Equal(t, []uuid.UUID{m3}, messageIDs(t, a, "?executionId="+ex2.String()+"&status=skipped", as))

	// Pages follow the cursor.
	r := a.do(http.MethodGet, Prefix+"/messages?workflowId="+wf1.String()+"&limit=2", nil, as)
	var page MessagePageDTO
	r.JSON(t, &page)
	require.Len(t, page.Items, 2)
	require.Equal(t, []uuid.UUID{m1}, messageIDs(t, a, "?workflowId="+wf1.String()+"&limit=2&cursor="+page.NextCursor, as))

	// A node ID alone names no node: node IDs repeat across journeys.
	r = a.do(http.MethodGet, Prefix+"/messages?nodeId=welcome", nil, as)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
	require.Contains(t, problemDetail(t, r), "nodeId needs workflowId")

	// Another workspace's filters find nothing of Ada's.
	require.Empty(t, messageIDs(t, a, "?executionId="+ex2.String(), bs))
	require.Empty(t, messageIDs(t, a, "?workflowId="+wf1.String()+"&nodeId=welcome", bs))
	r = a.do(http.MethodGet, Prefix+"/messages/"+m1.String(), nil, bs)
	require.Equal(t, http.StatusNotFound, r.Status, r.short())
}
