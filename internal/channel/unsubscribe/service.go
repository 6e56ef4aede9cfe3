package unsubscribe

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// SourceOneClick is the subscription source recorded by a one-click link.
const SourceOneClick = "one-click"

// Service applies unsubscribe links.
type Service struct {
	store  store.Store
	signer *Signer
	now    func() time.Time
}

// NewService builds the service; now is the clock (nil: time.Now).
func NewService(st store.Store, signer *Signer, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, signer: signer, now: now}
}

// Result is what an unsubscribe did.
type Result struct {
	Token Token
	// Already is true when the contact was unsubscribed before (nothing
	// was written), or is gone.
	Already bool
}

// Unsubscribe verifies text and marks the contact it names unsubscribed
// from its channel (source one-click, now), in one transaction of the
// token's tenant. It is idempotent: a contact already unsubscribed keeps
// its first time. ErrInvalid for a forged or altered token, with nothing
// written.
func (s *Service) Unsubscribe(ctx context.Context, text string) (*Result, error) {
	t, err := s.signer.Verify(text)
	if err != nil {
		return nil, err
	}
	res := &Result{Token: t}
	err = s.store.InTx(ctx, t.TenantID, func(tx store.Tx) error {
		c, err := tx.ContactGetByID(ctx, t.TenantID, t.ContactID)
		if errors.Is(err, store.ErrNotFound) {
			// Erased: nothing is sent to it any more.
			res.Already = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("read contact %s: %w", t.ContactID, err)
		}
		if sub, ok := c.Subscriptions[t.Channel]; ok && sub.State == domain.SubscriptionUnsubscribed {
			res.Already = true
			return nil
		}
		p := &store.ContactUpsertParams{TenantID: t.TenantID, ExternalID: c.ExternalID, Email: c.Email,
			Subscriptions: map[string]domain.Subscription{t.Channel: {
				State: domain.SubscriptionUnsubscribed, Source: SourceOneClick, At: s.now().UTC(),
			}}}
		if c.ExternalID != nil {
			// Matched by external ID; the email stays as stored.
			p.Email = nil
		}
		got, _, err := tx.ContactUpsert(ctx, p)
		if err != nil {
			return fmt.Errorf("unsubscribe contact %s: %w", t.ContactID, err)
		}
		if got.ID != t.ContactID {
			return fmt.Errorf("unsubscribe contact %s: matched contact %s instead", t.ContactID, got.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
