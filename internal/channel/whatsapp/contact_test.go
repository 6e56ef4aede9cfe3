package whatsapp_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// TestInboundMessageFindsContactByPhone: a contact the events API created
// with a phone (ContactUpsertMany, as the events batch does) receives a
// WhatsApp message; the message's event lands on that contact and no
// second contact is made.
func TestInboundMessageFindsContactByPhone(t *testing.T) {
	t.Parallel()
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h := newInboundHarness(t, b.open(t))
			ctx := context.Background()
			var known *domain.Contact
			require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
				ext, phone := "user-42", "+16505551234"
				rs, err := tx.ContactUpsertMany(ctx, []*store.ContactUpsertParams{{TenantID: h.tenant, ExternalID: &ext, Phone: &phone}})
				if err != nil {
					return err
				}
				known = rs[0].Contact
				return nil
			}))

			require.Equal(t, 1, h.process(t, inboundBody("wamid.k1", "16505551234", "Sheena", "Hello", h.now)).Messages)

			h.rec.mu.Lock()
			evs := h.rec.evs
			h.rec.mu.Unlock()
			require.Len(t, evs, 1)
			require.Equal(t, known.ID, evs[0].Contact.ID)
			require.Equal(t, known.ID, evs[0].Event.ContactID)
			requireContacts(t, h, "+16505551234", known.ID)
		})
	}
}

// TestInboundFirstMessagesAtOnceMakeOneContact: two deliveries from a new
// number processed at the same moment create one contact, and both
// events land on it.
func TestInboundFirstMessagesAtOnceMakeOneContact(t *testing.T) {
	t.Parallel()
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h := newInboundHarness(t, b.open(t))
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Go(func() {
					_, errs[i] = h.in.Process(context.Background(), whatsapp.InboundArgs{TenantID: h.tenant, ConnectionID: h.conn.ID,
						Body: inboundBody(fmt.Sprintf("wamid.race%d", i), "4915112345678", "", "hi", h.now), ReceivedAt: h.now})
				})
			}
			wg.Wait()
			require.NoError(t, errs[0])
			require.NoError(t, errs[1])

			h.rec.mu.Lock()
			evs := h.rec.evs
			h.rec.mu.Unlock()
			require.Len(t, evs, 2)
			require.Equal(t, evs[0].Contact.ID, evs[1].Contact.ID)
			requireContacts(t, h, "+4915112345678", evs[0].Contact.ID)
		})
	}
}

// requireContacts checks that the tenant has exactly the contact want
// with the phone, and that its events are on it.
func requireContacts(t *testing.T, h *inboundHarness, phone string, want uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
		cs, err := tx.ContactList(ctx, &store.ContactListParams{TenantID: h.tenant, Limit: 100})
		require.NoError(t, err)
		require.Len(t, cs, 1, "one contact")
		require.Equal(t, want, cs[0].ID)
		require.Equal(t, phone, *cs[0].Phone)
		evs, err := tx.EventList(ctx, &store.EventListParams{TenantID: h.tenant, Limit: 100})
		require.NoError(t, err)
		require.NotEmpty(t, evs)
		for _, ev := range evs {
			require.Equal(t, want, ev.ContactID)
		}
		return nil
	}))
}
