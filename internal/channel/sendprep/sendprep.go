// Package sendprep is the part of a send's Prepare the senders share
// (email.send, whatsapp.send, messenger.send), done for many sends at
// once: the suppression check, the monthly messages quota and the
// messages rows. The engine's advance group commit hands a sender the
// sends of a transaction together (engine.EffectBatchPreparer), so that
// these cost one statement each for the batch instead of one per send; a
// send prepared on its own goes the same way as a batch of one. The
// senders' calls share ConnCache, the connections they opened, kept for a
// few seconds.
package sendprep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Reasons recorded on messages skipped here.
const (
	ReasonUnsubscribed = "unsubscribed"
	ReasonSuppressed   = "suppressed"
	// ReasonPlanLimit: the tenant's plan allows no more messages this
	// month.
	ReasonPlanLimit = "plan_limit"
)

// Quota takes n messages of the tenant's monthly quota in tx
// (usage.Meter.Messages): a *plan.LimitError refuses them all.
type Quota func(ctx context.Context, tx store.Tx, tenantID uuid.UUID, n int) error

// Send is one step's send, rendered and addressed, on its way through
// Run.
type Send struct {
	// Item is the engine's step; Run sets its Request or Err.
	Item *engine.PrepareItem
	// Insert is the message's row (queued; Run marks it skipped when the
	// send is not made).
	Insert *store.MessageInsertParams
	// SkipCode and SkipText, when set, skip the send before any check
	// (the contact unsubscribed from the channel, has no address on it):
	// the message is recorded skipped with them.
	SkipCode, SkipText string
	// SuppressedText is the reason recorded when the address is
	// suppressed.
	SuppressedText string
	// SkipOutput builds the step's output when the send is skipped (only
	// then: most sends are not).
	SkipOutput func() json.RawMessage
	// Ready, when set, is called once the address is known not to be
	// suppressed, before the quota is taken: an error fails the step (no
	// message row is written for it by Run).
	Ready func(ctx context.Context, tx store.Tx) error
	// Request builds the outbox request once the send is admitted: its
	// encoding and the value encoded (PrepareItem.Value, which the engine
	// hands back with the call: see Decode).
	Request func() (raw json.RawMessage, value any, err error)
}

// One is a sender's Prepare: its PrepareMany (many) for the one step in,
// in the step's transaction.
func One(ctx context.Context, channel domain.ChannelKind, in engine.PrepareInput,
	many func(context.Context, store.Tx, []*engine.PrepareItem) error) (json.RawMessage, error) {
	if in.Tx == nil {
		return nil, needsTx(channel)
	}
	items := []*engine.PrepareItem{{Ctx: ctx, In: in}}
	if err := many(ctx, in.Tx, items); err != nil {
		return nil, err
	}
	return items[0].Request, items[0].Err
}

// Draft is the body of a sender's PrepareMany: draft readies each item's
// send (an error is that item's alone), then Run takes the drafted sends.
func Draft(ctx context.Context, tx store.Tx, channel domain.ChannelKind, quota Quota, items []*engine.PrepareItem,
	draft func(*engine.PrepareItem) (*Send, error)) error {
	if tx == nil {
		return needsTx(channel)
	}
	var sends []*Send
	for _, it := range items {
		send, err := draft(it)
		if err != nil {
			it.Err = err
			continue
		}
		sends = append(sends, send)
	}
	return Run(ctx, tx, channel, quota, sends)
}

// needsTx is the error of a send prepared outside a step's transaction.
func needsTx(channel domain.ChannelKind) error {
	return fmt.Errorf("%s.send needs the step's transaction", channel)
}

// Run checks consent, suppression (one read for all), the quota (one
// take for all, or one by one when the plan cannot take them all) and
// writes the messages rows (one insert), setting each item's Request, or
// its Err: engine.Skip with the reason, or the failure Ready or Request
// returned. sends must all be of one tenant and channel. An error
// returned by Run itself (a database error) is the whole batch's.
func Run(ctx context.Context, tx store.Tx, channel domain.ChannelKind, quota Quota, sends []*Send) error {
	if len(sends) == 0 {
		return nil
	}
	tenantID := sends[0].Insert.TenantID
	inserts := make([]*store.MessageInsertParams, 0, len(sends))
	skip := func(s *Send, code, reason string) {
		s.Insert.Status, s.Insert.ErrorCode, s.Insert.ErrorText = domain.MessageSkipped, code, reason
		var out json.RawMessage
		if s.SkipOutput != nil {
			out = s.SkipOutput()
		}
		s.Item.Err = engine.Skip(reason, out)
		inserts = append(inserts, s.Insert)
	}
	var open []*Send
	var addresses []string
	for _, s := range sends {
		if s.Insert.TenantID != tenantID {
			return fmt.Errorf("prepare sends of tenants %s and %s together", tenantID, s.Insert.TenantID)
		}
		if s.SkipCode != "" {
			skip(s, s.SkipCode, s.SkipText)
			continue
		}
		open = append(open, s)
		addresses = append(addresses, s.Insert.Recipient)
	}
	suppressed := map[string]bool{}
	if len(addresses) > 0 {
		sup, err := tx.SuppressionGetMany(ctx, tenantID, channel, addresses)
		if err != nil {
			return fmt.Errorf("read suppressions: %w", err)
		}
		for _, x := range sup {
			suppressed[x.Address] = true
		}
	}
	ready := open[:0]
	for _, s := range open {
		if suppressed[s.Insert.Recipient] {
			skip(s, ReasonSuppressed, s.SuppressedText)
			continue
		}
		if s.Ready != nil {
			if err := s.Ready(ctx, tx); err != nil {
				s.Item.Err = err
				continue
			}
		}
		ready = append(ready, s)
	}
	admitted, err := take(ctx, tx, quota, tenantID, ready, skip)
	if err != nil {
		return err
	}
	for _, s := range admitted {
		req, value, err := s.Request()
		if err != nil {
			s.Item.Err = err
			continue
		}
		s.Item.Request, s.Item.Value = req, value
		inserts = append(inserts, s.Insert)
	}
	if err := tx.MessageInsertMany(ctx, inserts); err != nil {
		return fmt.Errorf("record %d messages: %w", len(inserts), err)
	}
	return nil
}

// take takes the quota of sends, all at once when the plan allows them
// all, else one by one (those past the limit skipped with
// ReasonPlanLimit), and returns the sends admitted. A quota error other
// than the limit fails the sends it was taken for.
func take(ctx context.Context, tx store.Tx, quota Quota, tenantID uuid.UUID, sends []*Send, skip func(*Send, string, string)) ([]*Send, error) {
	if quota == nil || len(sends) == 0 {
		return sends, nil
	}
	err := quota(ctx, tx, tenantID, len(sends))
	if err == nil {
		return sends, nil
	}
	var le *plan.LimitError
	if !errors.As(err, &le) {
		for _, s := range sends {
			s.Item.Err = fmt.Errorf("messages quota: %w", err)
		}
		return nil, nil
	}
	if len(sends) == 1 {
		skip(sends[0], ReasonPlanLimit, le.Error())
		return nil, nil
	}
	var admitted []*Send
	for _, s := range sends {
		err := quota(ctx, tx, tenantID, 1)
		switch {
		case err == nil:
			admitted = append(admitted, s)
		case errors.As(err, &le):
			skip(s, ReasonPlanLimit, le.Error())
		default:
			s.Item.Err = fmt.Errorf("messages quota: %w", err)
		}
	}
	return admitted, nil
}
