package sendprep_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/sendprep"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// memTx holds the rows Run touches; other methods panic (the embedded nil
// interface). It counts the statements Run makes.
type memTx struct {
	store.Tx
	suppressed map[string]bool
	messages   []*store.MessageInsertParams
	reads      int
	inserts    int
}

func (m *memTx) SuppressionGetMany(_ context.Context, _ uuid.UUID, _ domain.ChannelKind, addresses []string) ([]*domain.Suppression, error) {
	m.reads++
	var out []*domain.Suppression
	for _, a := range addresses {
		if m.suppressed[a] {
			out = append(out, &domain.Suppression{Address: a})
		}
	}
	return out, nil
}

func (m *memTx) MessageInsertMany(_ context.Context, ps []*store.MessageInsertParams) error {
	m.inserts++
	m.messages = append(m.messages, ps...)
	return nil
}

// quota allows left messages, all or nothing per take, and notes the
// takes.
type quota struct {
	left  int
	takes []int
}

func (q *quota) take(_ context.Context, _ store.Tx, _ uuid.UUID, n int) error {
	q.takes = append(q.takes, n)
	if n > q.left {
		return &plan.LimitError{Plan: domain.PlanFree, Limit: plan.LimitMessagesPerMonth, Value: 3, Usage: int64(3 - q.left), Requested: int64(n)}
	}
	q.left -= n
	return nil
}

func send(tenant uuid.UUID, address string) *sendprep.Send {
	insert := &store.MessageInsertParams{TenantID: tenant, ID: domain.NewID(), Channel: domain.ChannelEmail, Recipient: address}
	return &sendprep.Send{
		Item: &engine.PrepareItem{}, Insert: insert, SkipOutput: func() json.RawMessage { return json.RawMessage(`{"to": "` + address + `"}`) },
		SuppressedText: address + " is suppressed",
		Request: func() (json.RawMessage, any, error) {
			raw, err := json.Marshal(map[string]string{"to": address})
			return raw, address, err
		},
	}
}

func skipReason(t *testing.T, s *sendprep.Send) string {
	t.Helper()
	require.Error(t, s.Item.Err)
	require.Nil(t, s.Item.Request)
	return s.Item.Err.Error()
}

// TestRun: one suppression read and one insert for the batch; skipped
// sends are recorded skipped with their reason, refused ones (Ready) have
// no row; the quota is taken at once, and one by one when the plan cannot
// take the whole batch (the sends past the limit skipped).
func TestRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tenant := domain.NewID()
	tx := &memTx{suppressed: map[string]bool{"sup@example.com": true}}
	q := &quota{left: 3}
	sends := []*sendprep.Send{
		send(tenant, "a@example.com"), send(tenant, "sup@example.com"), send(tenant, "unsub@example.com"),
		send(tenant, "bad@example.com"), send(tenant, "b@example.com"), send(tenant, "c@example.com"), send(tenant, "d@example.com"),
		send(tenant, "e@example.com"),
	}
	sends[2].SkipCode, sends[2].SkipText = sendprep.ReasonUnsubscribed, "unsubscribed from email"
	sends[3].Ready = func(context.Context, store.Tx) error { return errors.New("the message does not validate") }
	require.NoError(t, sendprep.Run(ctx, tx, domain.ChannelEmail, q.take, sends))

	require.Equal(t, 1, tx.reads)
	require.Equal(t, 1, tx.inserts)
	require.Equal(t, []int{5, 1, 1, 1, 1, 1}, q.takes, "five at once refused, then one by one")
	for _, i := range []int{0, 4, 5} {
		require.NoError(t, sends[i].Item.Err, "send %d", i)
		require.JSONEq(t, fmt.Sprintf(`{"to": %q}`, sends[i].Insert.Recipient), string(sends[i].Item.Request))
		require.Equal(t, domain.MessageStatus(""), sends[i].Insert.Status, "queued")
	}
	require.Contains(t, skipReason(t, sends[1]), "sup@example.com is suppressed")
	require.Equal(t, sendprep.ReasonSuppressed, sends[1].Insert.ErrorCode)
	require.Contains(t, skipReason(t, sends[2]), "unsubscribed from email")
	require.Equal(t, sendprep.ReasonUnsubscribed, sends[2].Insert.ErrorCode)
	require.Contains(t, skipReason(t, sends[3]), "does not validate")
	require.Contains(t, skipReason(t, sends[6]), "messagesPerMonth")
	require.Equal(t, sendprep.ReasonPlanLimit, sends[6].Insert.ErrorCode)
	require.Equal(t, sendprep.ReasonPlanLimit, sends[7].Insert.ErrorCode)
	for _, i := range []int{1, 2, 6, 7} {
		require.Equal(t, domain.MessageSkipped, sends[i].Insert.Status, "send %d", i)
	}
	var rows []string
	for _, m := range tx.messages {
		rows = append(rows, m.Recipient)
	}
	require.ElementsMatch(t, []string{"a@example.com", "sup@example.com", "unsub@example.com", "b@example.com",
		"c@example.com", "d@example.com", "e@example.com"}, rows, "every send but the refused one has its row")
}

// TestRunQuotaError: a quota error other than the limit fails the sends it
// was taken for, which get no row.
func TestRunQuotaError(t *testing.T) {
	t.Parallel()
	tx := &memTx{}
	tenant := domain.NewID()
	sends := []*sendprep.Send{send(tenant, "a@example.com"), send(tenant, "b@example.com")}
	boom := errors.New("usage table unreachable")
	require.NoError(t, sendprep.Run(context.Background(), tx, domain.ChannelEmail,
		func(context.Context, store.Tx, uuid.UUID, int) error { return boom }, sends))
	for _, s := range sends {
		require.ErrorIs(t, s.Item.Err, boom)
	}
	require.Empty(t, tx.messages)
}
