package storetest

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// messageCostCases are the guarantees a message's foreign keys gave,
// which the inserts and statement triggers keep on PostgreSQL since
// migration 00046: a message's contact and tenant exist when it is stored,
// an erased contact's messages lose it, a deleted tenant's go.
func messageCostCases() []exerciseCase {
	return []exerciseCase{
		{"MessageInsert/MissingContactStoresNothing", exerciseMessageInsertMissingContact},
		{"MessageInsertMany/ContactErasedMeanwhileClearsTheContact", exerciseMessageInsertContactErasedMeanwhile},
		{"TenantDelete/TakesItsMessages", exerciseTenantDeleteTakesMessages},
	}
}

func exerciseMessageInsertMissingContact(t *testing.T, f *fixture) {
	// A contact that is not there (SQLite's key names contacts by ID
	// alone, so another tenant's contact is refused on PostgreSQL only).
	other := &domain.Contact{ID: domain.NewID()}
	own, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, Email: strp("ada@example.com")})
	one := &store.MessageInsertParams{TenantID: f.tenantA.ID, Channel: domain.ChannelEmail, ContactID: &other.ID,
		Recipient: "eve@example.com"}
	err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
		_, _, err := tx.MessageInsert(f.ctx, one)
		return err
	})
	require.ErrorIs(t, err, store.ErrNotFound, "a contact that is not there")
	many := []*store.MessageInsertParams{
		{TenantID: f.tenantA.ID, Channel: domain.ChannelEmail, ContactID: &own.ID, Recipient: "ada@example.com"},
		{TenantID: f.tenantA.ID, ID: domain.NewID(), Channel: domain.ChannelEmail, Recipient: "x@example.com"},
		{TenantID: f.tenantA.ID, Channel: domain.ChannelEmail, ContactID: &other.ID, Recipient: "eve@example.com"},
	}
	err = f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error { return tx.MessageInsertMany(f.ctx, many) })
	require.ErrorIs(t, err, store.ErrNotFound, "one message of the batch has a contact that is not there")
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		list, err := tx.MessageList(f.ctx, &store.MessageListParams{TenantID: f.tenantA.ID})
		require.NoError(t, err)
		require.Empty(t, list, "nothing of the batch is stored")
	})
	// The same batch without the foreign contact is stored whole, the
	// message without a contact too.
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		require.NoError(t, tx.MessageInsertMany(f.ctx, many[:2]))
		list, err := tx.MessageList(f.ctx, &store.MessageListParams{TenantID: f.tenantA.ID})
		require.NoError(t, err)
		require.Len(t, list, 2)
		again, created, err := tx.MessageInsert(f.ctx, &store.MessageInsertParams{TenantID: f.tenantA.ID, ID: many[1].ID,
			Channel: domain.ChannelEmail, Recipient: "y@example.com"})
		require.NoError(t, err)
		require.False(t, created, "an ID stored already returns its message")
		require.Equal(t, "x@example.com", again.Recipient)
	})
}

// A contact erased while a transaction stores messages to it waits for
// that transaction, and its messages then lose it (address blanked): none
// is left naming a contact that is gone.
func exerciseMessageInsertContactErasedMeanwhile(t *testing.T, f *fixture) {
	c, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, Email: strp("ada@example.com")})
	id := domain.NewID()
	early := f.eraseWhileStoring(t, c.ID, func(tx store.Tx) error {
		return tx.MessageInsertMany(f.ctx, []*store.MessageInsertParams{{TenantID: f.tenantA.ID, ID: id, Channel: domain.ChannelEmail,
			ContactID: &c.ID, Recipient: "ada@example.com"}})
	})
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		m, err := tx.MessageGetByID(f.ctx, f.tenantA.ID, id)
		require.NoError(t, err)
		require.Nil(t, m.ContactID, "the erased contact's message keeps no contact")
		require.Empty(t, m.Recipient, "and no address")
	})
	require.False(t, early, "the erasure did not wait for the messages' transaction")
}

func exerciseTenantDeleteTakesMessages(t *testing.T, f *fixture) {
	c, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantB.ID, Email: strp("bob@example.com")})
	withContact := f.newMessage(t, f.tenantB.ID, func(p *store.MessageInsertParams) { p.ContactID = &c.ID })
	without := f.newMessage(t, f.tenantB.ID, nil)
	kept := f.newMessage(t, f.tenantA.ID, nil)
	f.in(t, f.tenantB.ID, func(tx store.Tx) {
		require.NoError(t, tx.MessageMarkSentMany(f.ctx, []*store.MessageMarkSentParams{
			{TenantID: f.tenantB.ID, ID: withContact.ID, ProviderMessageID: "wamid.B1"}}))
	})
	f.system(t, func(tx store.Tx) { require.NoError(t, tx.TenantDelete(f.ctx, f.tenantB.ID)) })
	f.in(t, f.tenantB.ID, func(tx store.Tx) {
		for _, id := range []uuid.UUID{withContact.ID, without.ID} {
			_, err := tx.MessageGetByID(f.ctx, f.tenantB.ID, id)
			require.ErrorIs(t, err, store.ErrNotFound, "a deleted tenant's message goes")
		}
		_, err := tx.MessageGetByProviderID(f.ctx, f.tenantB.ID, domain.ChannelWhatsApp, "wamid.B1")
		require.ErrorIs(t, err, store.ErrNotFound)
		// A message stored for the deleted tenant afterwards is refused.
		_, _, err = tx.MessageInsert(f.ctx, &store.MessageInsertParams{TenantID: f.tenantB.ID, Channel: domain.ChannelWhatsApp,
			Recipient: "4915112345678"})
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		_, err := tx.MessageGetByID(f.ctx, f.tenantA.ID, kept.ID)
		require.NoError(t, err, "another tenant's message stays")
	})
}
