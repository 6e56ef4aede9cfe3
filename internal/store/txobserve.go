package store

import (
	"context"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// WrapTx returns tx reporting, once it commits, the message status changes
// and AI usage written through it to ObserveMessage and ObserveAITokens
// (metrics); tx itself when neither is set. Both backends wrap their
// read-write transactions (not Read ones). m may be nil.
func (m *QueryMonitor) WrapTx(tx Tx) Tx {
	if m == nil || (m.ObserveMessage == nil && m.ObserveAITokens == nil) {
		return tx
	}
	return &observedTx{Tx: tx, m: m}
}

// observedTx is a Tx whose message and AI usage writes are counted after
// commit.
type observedTx struct {
	Tx
	m *QueryMonitor
}

func (t *observedTx) message(msg *domain.Message) {
	if msg == nil || t.m.ObserveMessage == nil {
		return
	}
	channel, status := string(msg.Channel), string(msg.Status)
	t.AfterCommit(func(context.Context) { t.m.ObserveMessage(channel, status) })
}

// MessageInsert counts a new message in its first status.
func (t *observedTx) MessageInsert(ctx context.Context, p *MessageInsertParams) (*domain.Message, bool, error) {
	msg, created, err := t.Tx.MessageInsert(ctx, p)
	if err == nil && created {
		t.message(msg)
	}
	return msg, created, err
}

// MessageMarkSent counts a message the provider accepted.
func (t *observedTx) MessageMarkSent(ctx context.Context, p *MessageMarkSentParams) (*domain.Message, error) {
	msg, err := t.Tx.MessageMarkSent(ctx, p)
	if err == nil {
		t.message(msg)
	}
	return msg, err
}

// MessageAdvance counts a message that moved forward.
func (t *observedTx) MessageAdvance(ctx context.Context, p *MessageAdvanceParams) (*domain.Message, bool, error) {
	msg, moved, err := t.Tx.MessageAdvance(ctx, p)
	if err == nil && moved {
		t.message(msg)
	}
	return msg, moved, err
}

// MessageAdvanceByProviderID counts a message that moved forward.
func (t *observedTx) MessageAdvanceByProviderID(ctx context.Context, p *MessageAdvanceParams) (*domain.Message, bool, error) {
	msg, moved, err := t.Tx.MessageAdvanceByProviderID(ctx, p)
	if err == nil && moved {
		t.message(msg)
	}
	return msg, moved, err
}

// AIUsageInsert counts the tokens of a usage row written.
func (t *observedTx) AIUsageInsert(ctx context.Context, p *AIUsageInsertParams) (bool, error) {
	inserted, err := t.Tx.AIUsageInsert(ctx, p)
	if err == nil && inserted && t.m.ObserveAITokens != nil {
		in, out := p.TokensIn, p.TokensOut
		t.AfterCommit(func(context.Context) { t.m.ObserveAITokens(in, out) })
	}
	return inserted, err
}
