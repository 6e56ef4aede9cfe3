package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func channelCases() []exerciseCase {
	return []exerciseCase{
		{"Channel/InsertGetListUpdateDelete", exerciseChannelCRUD},
		{"Channel/TenantIsolation", exerciseChannelIsolation},
		{"ChannelListAfter/ResealOnlyUnderExpectedKey", exerciseChannelReseal},
		{"MessageTemplate/InsertGetListUpdateDelete", exerciseMessageTemplateCRUD},
		{"MessageTemplate/TenantIsolation", exerciseMessageTemplateIsolation},
		{"MessageInsert/IDReturnsExisting", exerciseMessageInsertIdempotent},
		{"MessageList/FiltersAndPages", exerciseMessageList},
		{"MessageAdvance/ForwardOnly", exerciseMessageAdvance},
		{"MessageMarkSentMany/AsMarkSentEach", exerciseMessageMarkSentMany},
		{"MessageInsertMany/AsInsertEach", exerciseMessageInsertMany},
		{"MessageAdvanceByProviderID/DuplicatesAndReordering", exerciseMessageAdvanceByProviderID},
		{"MessageGetByProviderID/FollowsTheMessagesID", exerciseMessageProviderIDFollows},
		{"Message/TenantIsolation", exerciseMessageIsolation},
		{"Message/ContactErasureBlanksAddressKeepsRow", exerciseMessageContactErasure},
		{"Suppression/UpsertGetListDelete", exerciseSuppression},
		{"SuppressionGetMany/OnlyTheSuppressedOfTheChannelAndTenant", exerciseSuppressionGetMany},
		{"MessagingWindow/TouchMovesForwardOnly", exerciseMessagingWindow},
	}
}

// newChannel inserts a connection of the tenant.
func (f *fixture) newChannel(t *testing.T, tenantID uuid.UUID, kind domain.ChannelKind, name string) *domain.ChannelConnection {
	t.Helper()
	var c *domain.ChannelConnection
	f.in(t, tenantID, func(tx store.Tx) {
		var err error
		c, err = tx.ChannelInsert(f.ctx, &store.ChannelInsertParams{
			TenantID: tenantID, ID: domain.NewID(), Kind: kind, Name: name, Config: []byte(`{"phoneNumberId":"123"}`),
			SecretNames: []string{"accessToken"}, Ciphertext: []byte{1}, KeyID: "k1",
		})
		require.NoError(t, err)
	})
	return c
}

// newMessage records a queued message of the tenant.
func (f *fixture) newMessage(t *testing.T, tenantID uuid.UUID, mod func(p *store.MessageInsertParams)) *domain.Message {
	t.Helper()
	p := &store.MessageInsertParams{
		TenantID: tenantID, Channel: domain.ChannelWhatsApp, Recipient: "4915112345678",
	}
	if mod != nil {
		mod(p)
	}
	var m *domain.Message
	f.in(t, tenantID, func(tx store.Tx) {
		var created bool
		var err error
		m, created, err = tx.MessageInsert(f.ctx, p)
		require.NoError(t, err)
		require.True(t, created)
	})
	return m
}

func exerciseChannelCRUD(t *testing.T, f *fixture) {
	id := domain.NewID()
	var c *domain.ChannelConnection
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		c, err = tx.ChannelInsert(f.ctx, &store.ChannelInsertParams{
			TenantID: f.tenantA.ID, ID: id, Kind: domain.ChannelEmail, Name: "Transactional",
			Config: []byte(`{"host": "smtp.example.com", "port": 587}`), SecretNames: []string{"password"},
			Ciphertext: []byte{1, 2, 3}, KeyID: "k1", CreatedBy: &f.user.ID,
		})
		require.NoError(t, err)
		require.Equal(t, id, c.ID)
		require.Equal(t, domain.ChannelEmail, c.Kind)
		require.Equal(t, "Transactional", c.Name)
		requireJSON(t, `{"host": "smtp.example.com", "port": 587}`, c.Config)
		require.Equal(t, []string{"password"}, c.SecretNames)
		require.Equal(t, []byte{1, 2, 3}, c.Ciphertext)
		require.Equal(t, "k1", c.KeyID)
		require.Equal(t, domain.ChannelUntested, c.Status)
		require.Nil(t, c.LastTestedAt)
		require.Equal(t, &f.user.ID, c.CreatedBy)

		got, err := tx.ChannelGetByID(f.ctx, f.tenantA.ID, id)
		require.NoError(t, err)
		require.Equal(t, c, got)
	})
	err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
		_, err := tx.ChannelInsert(f.ctx, &store.ChannelInsertParams{TenantID: f.tenantA.ID, ID: domain.NewID(),
			Kind: domain.ChannelWhatsApp, Name: "Transactional", Ciphertext: []byte{9}, KeyID: "k1"})
		return err
	})
	require.ErrorIs(t, err, store.ErrConflict, "names are unique per tenant across kinds")
	wa := f.newChannel(t, f.tenantA.ID, domain.ChannelWhatsApp, "Support number")

	tested := ts()
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		list, err := tx.ChannelList(f.ctx, f.tenantA.ID, "")
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "Support number", list[0].Name, "listed by name")
		list, err = tx.ChannelList(f.ctx, f.tenantA.ID, domain.ChannelEmail)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, id, list[0].ID)

		st, err := tx.ChannelSetStatus(f.ctx, &store.ChannelSetStatusParams{TenantID: f.tenantA.ID, ID: id,
			Status: domain.ChannelFailing, Message: "authentication failed", TestedAt: tested})
		require.NoError(t, err)
		require.Equal(t, domain.ChannelFailing, st.Status)
		require.Equal(t, "authentication failed", st.StatusMessage)
		require.NotNil(t, st.LastTestedAt)
		require.True(t, tested.Equal(*st.LastTestedAt))

		upd, err := tx.ChannelUpdate(f.ctx, &store.ChannelUpdateParams{TenantID: f.tenantA.ID, ID: id, Name: "Marketing",
			Config: []byte(`{"host": "smtp2.example.com"}`), SecretNames: nil, Ciphertext: []byte{4}, KeyID: "k2"})
		require.NoError(t, err)
		require.Equal(t, "Marketing", upd.Name)
		requireJSON(t, `{"host": "smtp2.example.com"}`, upd.Config)
		require.Empty(t, upd.SecretNames)
		require.Equal(t, []byte{4}, upd.Ciphertext)
		require.Equal(t, "k2", upd.KeyID)
		require.Equal(t, domain.ChannelUntested, upd.Status, "a changed connection is untested")
		require.Empty(t, upd.StatusMessage)
		require.Equal(t, c.CreatedAt, upd.CreatedAt)
		require.False(t, upd.UpdatedAt.Before(c.UpdatedAt))
	})
	err = f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
		_, err := tx.ChannelUpdate(f.ctx, &store.ChannelUpdateParams{TenantID: f.tenantA.ID, ID: id, Name: wa.Name,
			Config: []byte(`{}`), Ciphertext: []byte{4}, KeyID: "k2"})
		return err
	})
	require.ErrorIs(t, err, store.ErrConflict, "renaming onto another connection's name")
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		require.NoError(t, tx.ChannelDelete(f.ctx, f.tenantA.ID, id))
		_, err := tx.ChannelGetByID(f.ctx, f.tenantA.ID, id)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, tx.ChannelDelete(f.ctx, f.tenantA.ID, id), store.ErrNotFound)
	})
}

func exerciseChannelIsolation(t *testing.T, f *fixture) {
	a := f.newChannel(t, f.tenantA.ID, domain.ChannelEmail, "Mail")
	b := f.newChannel(t, f.tenantB.ID, domain.ChannelEmail, "Mail") // the same name in another tenant
	f.in(t, f.tenantB.ID, func(tx store.Tx) {
		_, err := tx.ChannelGetByID(f.ctx, f.tenantB.ID, a.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = tx.ChannelUpdate(f.ctx, &store.ChannelUpdateParams{TenantID: f.tenantB.ID, ID: a.ID, Name: "x",
			Config: []byte(`{}`), Ciphertext: []byte{1}, KeyID: "k"})
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = tx.ChannelSetStatus(f.ctx, &store.ChannelSetStatusParams{TenantID: f.tenantB.ID, ID: a.ID, Status: domain.ChannelOK, TestedAt: ts()})
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, tx.ChannelDelete(f.ctx, f.tenantB.ID, a.ID), store.ErrNotFound)
		list, err := tx.ChannelList(f.ctx, f.tenantB.ID, "")
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, b.ID, list[0].ID)
	})
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		got, err := tx.ChannelGetByID(f.ctx, f.tenantA.ID, a.ID)
		require.NoError(t, err)
		require.Equal(t, "Mail", got.Name)
	})
}

func exerciseChannelReseal(t *testing.T, f *fixture) {
	a := f.newChannel(t, f.tenantA.ID, domain.ChannelWhatsApp, "One")
	b := f.newChannel(t, f.tenantB.ID, domain.ChannelMessenger, "Two")
	f.system(t, func(tx store.Tx) {
		rows, err := tx.ChannelListAfter(f.ctx, uuid.Nil, 10)
		require.NoError(t, err)
		require.Len(t, rows, 2, "every tenant's connections")
		first, err := tx.ChannelListAfter(f.ctx, uuid.Nil, 1)
		require.NoError(t, err)
		require.Len(t, first, 1)
		rest, err := tx.ChannelListAfter(f.ctx, first[0].ID, 10)
		require.NoError(t, err)
		require.Len(t, rest, 1)
		require.ElementsMatch(t, []uuid.UUID{a.ID, b.ID}, []uuid.UUID{first[0].ID, rest[0].ID})

		done, err := tx.ChannelReseal(f.ctx, &store.ChannelResealParams{TenantID: a.TenantID, ID: a.ID, ExpectedKeyID: "k1", Ciphertext: []byte{7}, KeyID: "k2"})
		require.NoError(t, err)
		require.True(t, done)
		done, err = tx.ChannelReseal(f.ctx, &store.ChannelResealParams{TenantID: a.TenantID, ID: a.ID, ExpectedKeyID: "k1", Ciphertext: []byte{8}, KeyID: "k3"})
		require.NoError(t, err)
		require.False(t, done, "sealed under another key meanwhile")
		got, err := tx.ChannelGetByID(f.ctx, a.TenantID, a.ID)
		require.NoError(t, err)
		require.Equal(t, []byte{7}, got.Ciphertext)
		require.Equal(t, "k2", got.KeyID)
	})
}

func exerciseMessageTemplateCRUD(t *testing.T, f *fixture) {
	var tpl *domain.MessageTemplate
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		tpl, err = tx.MessageTemplateInsert(f.ctx, &store.MessageTemplateInsertParams{TenantID: f.tenantA.ID,
			Channel: domain.ChannelEmail, Name: "welcome", Description: "first mail",
			Content: []byte(`{"subject": "Hi {{ contact.name }}", "html": "<p>Hi</p>"}`), CreatedBy: &f.user.ID})
		require.NoError(t, err)
		require.Equal(t, domain.ChannelEmail, tpl.Channel)
		require.Equal(t, "welcome", tpl.Name)
		require.Equal(t, "first mail", tpl.Description)
		requireJSON(t, `{"subject": "Hi {{ contact.name }}", "html": "<p>Hi</p>"}`, tpl.Content)

		got, err := tx.MessageTemplateGetByID(f.ctx, f.tenantA.ID, tpl.ID)
		require.NoError(t, err)
		require.Equal(t, tpl, got)
		got, err = tx.MessageTemplateGetByName(f.ctx, f.tenantA.ID, domain.ChannelEmail, "welcome")
		require.NoError(t, err)
		require.Equal(t, tpl.ID, got.ID)
		_, err = tx.MessageTemplateGetByName(f.ctx, f.tenantA.ID, domain.ChannelWhatsApp, "welcome")
		require.ErrorIs(t, err, store.ErrNotFound)

		// The same name on another channel is another template.
		_, err = tx.MessageTemplateInsert(f.ctx, &store.MessageTemplateInsertParams{TenantID: f.tenantA.ID,
			Channel: domain.ChannelWhatsApp, Name: "welcome", Content: []byte(`{"text": "Hi"}`)})
		require.NoError(t, err)
		_, err = tx.MessageTemplateInsert(f.ctx, &store.MessageTemplateInsertParams{TenantID: f.tenantA.ID,
			Channel: domain.ChannelEmail, Name: "another", Content: []byte(`{"subject": "x"}`)})
		require.NoError(t, err)
	})
	err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
		_, err := tx.MessageTemplateInsert(f.ctx, &store.MessageTemplateInsertParams{TenantID: f.tenantA.ID,
			Channel: domain.ChannelEmail, Name: "welcome", Content: []byte(`{}`)})
		return err
	})
	require.ErrorIs(t, err, store.ErrConflict)
	err = f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
		_, err := tx.MessageTemplateUpdate(f.ctx, &store.MessageTemplateUpdateParams{TenantID: f.tenantA.ID, ID: tpl.ID,
			Name: "another", Content: []byte(`{}`)})
		return err
	})
	require.ErrorIs(t, err, store.ErrConflict, "renaming onto another template of the channel")
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		list, err := tx.MessageTemplateList(f.ctx, f.tenantA.ID, "")
		require.NoError(t, err)
		require.Len(t, list, 3)
		require.Equal(t, []string{"another", "welcome", "welcome"}, []string{list[0].Name, list[1].Name, list[2].Name})
		require.Equal(t, domain.ChannelWhatsApp, list[2].Channel, "by channel, then name")
		list, err = tx.MessageTemplateList(f.ctx, f.tenantA.ID, domain.ChannelWhatsApp)
		require.NoError(t, err)
		require.Len(t, list, 1)

		upd, err := tx.MessageTemplateUpdate(f.ctx, &store.MessageTemplateUpdateParams{TenantID: f.tenantA.ID, ID: tpl.ID,
			Name: "welcome-2", Description: "", Content: []byte(`{"subject": "Hello"}`)})
		require.NoError(t, err)
		require.Equal(t, "welcome-2", upd.Name)
		require.Equal(t, domain.ChannelEmail, upd.Channel)
		requireJSON(t, `{"subject": "Hello"}`, upd.Content)
		require.Equal(t, tpl.CreatedAt, upd.CreatedAt)

		require.NoError(t, tx.MessageTemplateDelete(f.ctx, f.tenantA.ID, tpl.ID))
		require.ErrorIs(t, tx.MessageTemplateDelete(f.ctx, f.tenantA.ID, tpl.ID), store.ErrNotFound)
	})
}

func exerciseMessageTemplateIsolation(t *testing.T, f *fixture) {
	var tpl *domain.MessageTemplate
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		tpl, err = tx.MessageTemplateInsert(f.ctx, &store.MessageTemplateInsertParams{TenantID: f.tenantA.ID,
			Channel: domain.ChannelMessenger, Name: "hello", Content: []byte(`{"text": "Hi"}`)})
		require.NoError(t, err)
	})
	f.in(t, f.tenantB.ID, func(tx store.Tx) {
		_, err := tx.MessageTemplateGetByID(f.ctx, f.tenantB.ID, tpl.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = tx.MessageTemplateGetByName(f.ctx, f.tenantB.ID, domain.ChannelMessenger, "hello")
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = tx.MessageTemplateUpdate(f.ctx, &store.MessageTemplateUpdateParams{TenantID: f.tenantB.ID, ID: tpl.ID, Name: "x", Content: []byte(`{}`)})
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, tx.MessageTemplateDelete(f.ctx, f.tenantB.ID, tpl.ID), store.ErrNotFound)
		list, err := tx.MessageTemplateList(f.ctx, f.tenantB.ID, "")
		require.NoError(t, err)
		require.Empty(t, list)
		// Tenant B may use the name.
		_, err = tx.MessageTemplateInsert(f.ctx, &store.MessageTemplateInsertParams{TenantID: f.tenantB.ID,
			Channel: domain.ChannelMessenger, Name: "hello", Content: []byte(`{"text": "Yo"}`)})
		require.NoError(t, err)
	})
}

func exerciseMessageInsertIdempotent(t *testing.T, f *fixture) {
	conn := f.newChannel(t, f.tenantA.ID, domain.ChannelWhatsApp, "WA")
	wf := f.newWorkflow(t, f.tenantA.ID, "journey")
	v := f.newVersion(t, wf)
	e := f.newExecution(t, v, nil)
	stepID := domain.NewID()
	tplID := domain.NewID()
	queued := ts().Add(-time.Minute)
	p := &store.MessageInsertParams{
		TenantID: f.tenantA.ID, Channel: domain.ChannelWhatsApp, ConnectionID: &conn.ID, WorkflowID: &wf.ID,
		WorkflowVersion: v.Version, ExecutionID: &e.ID, StepID: &stepID, NodeID: "send", TemplateID: &tplID,
		ID: domain.NewID(), Recipient: "4915112345678", At: queued,
	}
	var m *domain.Message
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var created bool
		var err error
		m, created, err = tx.MessageInsert(f.ctx, p)
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, domain.MessageQueued, m.Status)
		require.Equal(t, domain.ChannelWhatsApp, m.Channel)
		require.Equal(t, &conn.ID, m.ConnectionID)
		require.Equal(t, &wf.ID, m.WorkflowID)
		require.Equal(t, v.Version, m.WorkflowVersion)
		require.Equal(t, &e.ID, m.ExecutionID)
		require.Equal(t, &stepID, m.StepID)
		require.Equal(t, "send", m.NodeID)
		require.Equal(t, &tplID, m.TemplateID)
		require.Equal(t, "4915112345678", m.Recipient)
		require.Nil(t, m.ProviderMessageID)
		require.Nil(t, m.ContactID)
		require.True(t, queued.Equal(m.QueuedAt), "queued at the given time")
		require.Nil(t, m.SentAt)

		require.Equal(t, p.ID, m.ID)

		again, created, err := tx.MessageInsert(f.ctx, &store.MessageInsertParams{TenantID: f.tenantA.ID,
			ID: p.ID, Channel: domain.ChannelWhatsApp, Recipient: "other"})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, m, again, "the existing message, unchanged")

		byID, err := tx.MessageGetByID(f.ctx, f.tenantA.ID, m.ID)
		require.NoError(t, err)
		require.Equal(t, m, byID)

		skipped, created, err := tx.MessageInsert(f.ctx, &store.MessageInsertParams{TenantID: f.tenantA.ID,
			Channel: domain.ChannelEmail, Recipient: "ada@example.com",
			Status: domain.MessageSkipped, ErrorCode: "suppressed", ErrorText: "address suppressed: hard_bounce"})
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, domain.MessageSkipped, skipped.Status)
		require.NotNil(t, skipped.SkippedAt)
		require.Equal(t, "suppressed", skipped.ErrorCode)
		require.Equal(t, "address suppressed: hard_bounce", skipped.ErrorText)
	})
	// Another tenant's insert under the ID never returns this message: it
	// stores its own (PostgreSQL keys messages by tenant and ID) or is
	// refused (SQLite keys them by ID alone).
	err := f.s.InTx(f.ctx, f.tenantB.ID, func(tx store.Tx) error {
		other, _, err := tx.MessageInsert(f.ctx, &store.MessageInsertParams{TenantID: f.tenantB.ID, ID: p.ID,
			Channel: domain.ChannelWhatsApp, Recipient: "4900000000000"})
		if err == nil {
			require.Equal(t, f.tenantB.ID, other.TenantID)
			require.Equal(t, "4900000000000", other.Recipient)
		}
		return err
	})
	if err != nil {
		require.ErrorIs(t, err, store.ErrNotFound)
	}
}

func exerciseMessageList(t *testing.T, f *fixture) {
	c, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, Email: strp("ada@example.com")})
	wf := f.newWorkflow(t, f.tenantA.ID, "journey")
	v := f.newVersion(t, wf)
	e := f.newExecution(t, v, nil)
	m1 := f.newMessage(t, f.tenantA.ID, func(p *store.MessageInsertParams) {
		p.Channel, p.ContactID, p.WorkflowID, p.ExecutionID, p.NodeID = domain.ChannelEmail, &c.ID, &wf.ID, &e.ID, "mail"
	})
	m2 := f.newMessage(t, f.tenantA.ID, func(p *store.MessageInsertParams) {
		p.ContactID, p.WorkflowID, p.NodeID = &c.ID, &wf.ID, "wa"
	})
	m3 := f.newMessage(t, f.tenantA.ID, nil)
	f.newMessage(t, f.tenantB.ID, nil)
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, _, err := tx.MessageAdvance(f.ctx, &store.MessageAdvanceParams{TenantID: f.tenantA.ID, ID: m3.ID, Status: domain.MessageFailed})
		require.NoError(t, err)
	})
	ids := func(p store.MessageListParams) []uuid.UUID {
		p.TenantID = f.tenantA.ID
		var out []uuid.UUID
		f.read(t, f.tenantA.ID, func(tx store.Tx) {
			ms, err := tx.MessageList(f.ctx, &p)
			require.NoError(t, err)
			for _, m := range ms {
				out = append(out, m.ID)
			}
		})
		return out
	}
	require.Equal(t, []uuid.UUID{m3.ID, m2.ID, m1.ID}, ids(store.MessageListParams{}), "newest first, own tenant only")
	require.Equal(t, []uuid.UUID{m2.ID, m1.ID}, ids(store.MessageListParams{ContactID: &c.ID}))
	require.Equal(t, []uuid.UUID{m2.ID, m1.ID}, ids(store.MessageListParams{WorkflowID: &wf.ID}))
	require.Equal(t, []uuid.UUID{m2.ID}, ids(store.MessageListParams{WorkflowID: &wf.ID, NodeID: "wa"}))
	require.Equal(t, []uuid.UUID{m1.ID}, ids(store.MessageListParams{ExecutionID: &e.ID}))
	require.Equal(t, []uuid.UUID{m1.ID}, ids(store.MessageListParams{Channel: domain.ChannelEmail}))
	require.Equal(t, []uuid.UUID{m3.ID}, ids(store.MessageListParams{Status: domain.MessageFailed}))
	require.Equal(t, []uuid.UUID{m3.ID}, ids(store.MessageListParams{Limit: 1}))
	require.Equal(t, []uuid.UUID{m2.ID, m1.ID}, ids(store.MessageListParams{Before: m3.ID}), "the next page")
	other := domain.NewID()
	require.Empty(t, ids(store.MessageListParams{ContactID: &other}))
}

func exerciseMessageAdvance(t *testing.T, f *fixture) {
	m := f.newMessage(t, f.tenantA.ID, nil)
	at := ts()
	move := func(id uuid.UUID, s domain.MessageStatus, code, text string) (*domain.Message, bool) {
		var out *domain.Message
		var moved bool
		f.in(t, f.tenantA.ID, func(tx store.Tx) {
			var err error
			out, moved, err = tx.MessageAdvance(f.ctx, &store.MessageAdvanceParams{TenantID: f.tenantA.ID, ID: id,
				Status: s, At: at, ErrorCode: code, ErrorText: text})
			require.NoError(t, err)
		})
		return out, moved
	}
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		sent, err := tx.MessageMarkSent(f.ctx, &store.MessageMarkSentParams{TenantID: f.tenantA.ID, ID: m.ID, ProviderMessageID: "wamid.1", At: at})
		require.NoError(t, err)
		require.Equal(t, domain.MessageSent, sent.Status)
		require.Equal(t, "wamid.1", *sent.ProviderMessageID)
		require.True(t, at.Equal(*sent.SentAt))
	})
	got, moved := move(m.ID, domain.MessageQueued, "", "")
	require.False(t, moved, "never back to queued")
	require.Equal(t, domain.MessageSent, got.Status)
	got, moved = move(m.ID, domain.MessageSkipped, "x", "y")
	require.False(t, moved, "only a queued message is skipped")
	got, moved = move(m.ID, domain.MessageDelivered, "", "")
	require.True(t, moved)
	require.Equal(t, domain.MessageDelivered, got.Status)
	require.NotNil(t, got.DeliveredAt)
	got, moved = move(m.ID, domain.MessageFailed, "131026", "undeliverable")
	require.True(t, moved, "failed after delivered is allowed")
	require.Equal(t, domain.MessageFailed, got.Status)
	require.Equal(t, "131026", got.ErrorCode)
	require.Equal(t, "undeliverable", got.ErrorText)
	require.NotNil(t, got.FailedAt)
	got, moved = move(m.ID, domain.MessageRead, "", "")
	require.False(t, moved, "failed is final")
	require.Equal(t, domain.MessageFailed, got.Status)

	r := f.newMessage(t, f.tenantA.ID, nil)
	got, moved = move(r.ID, domain.MessageRead, "", "")
	require.True(t, moved, "read straight from queued")
	require.NotNil(t, got.SentAt, "the skipped steps are stamped")
	require.NotNil(t, got.DeliveredAt)
	require.NotNil(t, got.ReadAt)
	_, moved = move(r.ID, domain.MessageBounced, "550", "no such user")
	require.False(t, moved, "a read message does not bounce")

	q := f.newMessage(t, f.tenantA.ID, nil)
	got, moved = move(q.ID, domain.MessageSkipped, "window_closed", "outside the 24-hour window")
	require.True(t, moved)
	require.Equal(t, domain.MessageSkipped, got.Status)
	require.Equal(t, "window_closed", got.ErrorCode)

	// A status callback that came before the send recorded the sent
	// state: the send keeps the further status.
	d := f.newMessage(t, f.tenantA.ID, nil)
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, _, err := tx.MessageAdvance(f.ctx, &store.MessageAdvanceParams{TenantID: f.tenantA.ID, ID: domain.NewID(), Status: domain.MessageSent})
		require.ErrorIs(t, err, store.ErrNotFound)
		_, _, err = tx.MessageAdvance(f.ctx, &store.MessageAdvanceParams{TenantID: f.tenantA.ID, ID: d.ID, Status: domain.MessageDelivered})
		require.NoError(t, err)
		sent, err := tx.MessageMarkSent(f.ctx, &store.MessageMarkSentParams{TenantID: f.tenantA.ID, ID: d.ID, ProviderMessageID: "wamid.d"})
		require.NoError(t, err)
		require.Equal(t, domain.MessageDelivered, sent.Status)
		require.Equal(t, "wamid.d", *sent.ProviderMessageID)
	})
}

// exerciseMessageMarkSentMany: several messages marked sent at once each
// get their provider ID and sent time; one moved further keeps its status;
// another tenant's message and a missing one are left out.
func exerciseMessageMarkSentMany(t *testing.T, f *fixture) {
	a, b, d := f.newMessage(t, f.tenantA.ID, nil), f.newMessage(t, f.tenantA.ID, nil), f.newMessage(t, f.tenantA.ID, nil)
	otherB := f.newMessage(t, f.tenantB.ID, nil)
	at := ts()
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, _, err := tx.MessageAdvance(f.ctx, &store.MessageAdvanceParams{TenantID: f.tenantA.ID, ID: d.ID, Status: domain.MessageDelivered})
		require.NoError(t, err)
		require.NoError(t, tx.MessageMarkSentMany(f.ctx, []*store.MessageMarkSentParams{
			{TenantID: f.tenantA.ID, ID: a.ID, ProviderMessageID: "many.a", At: at},
			{TenantID: f.tenantA.ID, ID: b.ID, ProviderMessageID: "many.b", At: at},
			{TenantID: f.tenantA.ID, ID: d.ID, ProviderMessageID: "many.d", At: at},
			{TenantID: f.tenantA.ID, ID: otherB.ID, ProviderMessageID: "many.x", At: at},
			{TenantID: f.tenantA.ID, ID: domain.NewID(), ProviderMessageID: "many.y", At: at},
		}))
	})
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		for id, want := range map[uuid.UUID]string{a.ID: "many.a", b.ID: "many.b"} {
			m, err := tx.MessageGetByID(f.ctx, f.tenantA.ID, id)
			require.NoError(t, err)
			require.Equal(t, domain.MessageSent, m.Status)
			require.Equal(t, want, *m.ProviderMessageID)
			require.True(t, at.Equal(*m.SentAt))
		}
		m, err := tx.MessageGetByID(f.ctx, f.tenantA.ID, d.ID)
		require.NoError(t, err)
		require.Equal(t, domain.MessageDelivered, m.Status, "a further status stays")
		require.Equal(t, "many.d", *m.ProviderMessageID)
	})
	f.read(t, f.tenantB.ID, func(tx store.Tx) {
		m, err := tx.MessageGetByID(f.ctx, f.tenantB.ID, otherB.ID)
		require.NoError(t, err)
		require.Equal(t, domain.MessageQueued, m.Status, "another tenant's message is not touched")
		require.Nil(t, m.ProviderMessageID)
	})
}

func exerciseMessageAdvanceByProviderID(t *testing.T, f *fixture) {
	m := f.newMessage(t, f.tenantA.ID, nil)
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, err := tx.MessageMarkSent(f.ctx, &store.MessageMarkSentParams{TenantID: f.tenantA.ID, ID: m.ID, ProviderMessageID: "wamid.X"})
		require.NoError(t, err)
	})
	// The provider ID is unique per tenant and channel.
	other := f.newMessage(t, f.tenantA.ID, nil)
	err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
		_, err := tx.MessageMarkSent(f.ctx, &store.MessageMarkSentParams{TenantID: f.tenantA.ID, ID: other.ID, ProviderMessageID: "wamid.X"})
		return err
	})
	require.ErrorIs(t, err, store.ErrConflict)
	f.newMessage(t, f.tenantA.ID, func(p *store.MessageInsertParams) {
		p.Channel, p.ProviderMessageID = domain.ChannelMessenger, strp("wamid.X") // another channel may
	})

	callback := func(s domain.MessageStatus) (domain.MessageStatus, bool) {
		var got *domain.Message
		var moved bool
		f.in(t, f.tenantA.ID, func(tx store.Tx) {
			var err error
			got, moved, err = tx.MessageAdvanceByProviderID(f.ctx, &store.MessageAdvanceParams{TenantID: f.tenantA.ID,
				Channel: domain.ChannelWhatsApp, ProviderMessageID: "wamid.X", Status: s, At: ts()})
			require.NoError(t, err)
			require.Equal(t, m.ID, got.ID)
		})
		return got.Status, moved
	}
	st, moved := callback(domain.MessageRead) // read overtook delivered
	require.True(t, moved)
	require.Equal(t, domain.MessageRead, st)
	st, moved = callback(domain.MessageDelivered)
	require.False(t, moved, "a late delivered does not move read back")
	require.Equal(t, domain.MessageRead, st)
	_, moved = callback(domain.MessageRead)
	require.False(t, moved, "a duplicate changes nothing")
	_, moved = callback(domain.MessageSent)
	require.False(t, moved)

	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, _, err := tx.MessageAdvanceByProviderID(f.ctx, &store.MessageAdvanceParams{TenantID: f.tenantA.ID,
			Channel: domain.ChannelWhatsApp, ProviderMessageID: "wamid.unknown", Status: domain.MessageDelivered})
		require.ErrorIs(t, err, store.ErrNotFound)
		got, err := tx.MessageGetByProviderID(f.ctx, f.tenantA.ID, domain.ChannelWhatsApp, "wamid.X")
		require.NoError(t, err)
		require.Equal(t, m.ID, got.ID)
	})
}

// exerciseMessageProviderIDFollows: a message is found by the provider ID
// it shows, whether given with its row (one insert or many) or when marked
// sent; marked sent again under another ID it is found by the new one only,
// and the old one is free; a pruned message frees its ID.
func exerciseMessageProviderIDFollows(t *testing.T, f *fixture) {
	found := func(providerID string) uuid.UUID {
		t.Helper()
		var id uuid.UUID
		f.read(t, f.tenantA.ID, func(tx store.Tx) {
			m, err := tx.MessageGetByProviderID(f.ctx, f.tenantA.ID, domain.ChannelEmail, providerID)
			if errors.Is(err, store.ErrNotFound) {
				return
			}
			require.NoError(t, err)
			require.Equal(t, providerID, *m.ProviderMessageID)
			id = m.ID
		})
		return id
	}
	markSent := func(id uuid.UUID, providerID string) error {
		return f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
			return tx.MessageMarkSentMany(f.ctx, []*store.MessageMarkSentParams{{TenantID: f.tenantA.ID, ID: id, ProviderMessageID: providerID}})
		})
	}
	email := func(providerID string) func(*store.MessageInsertParams) {
		return func(p *store.MessageInsertParams) {
			p.Channel, p.ProviderMessageID = domain.ChannelEmail, strp(providerID)
		}
	}
	a := f.newMessage(t, f.tenantA.ID, email("<a@example.com>"))
	require.Equal(t, a.ID, found("<a@example.com>"))
	require.NoError(t, markSent(a.ID, "<a@example.com>"), "marked sent under the ID it was inserted with")
	require.Equal(t, a.ID, found("<a@example.com>"))

	batch := []*store.MessageInsertParams{
		{TenantID: f.tenantA.ID, ID: domain.NewID(), Channel: domain.ChannelEmail,
			Recipient: "b@example.com", ProviderMessageID: strp("<b@example.com>")},
		{TenantID: f.tenantA.ID, ID: domain.NewID(), Channel: domain.ChannelEmail,
			Recipient: "c@example.com"},
	}
	f.in(t, f.tenantA.ID, func(tx store.Tx) { require.NoError(t, tx.MessageInsertMany(f.ctx, batch)) })
	require.Equal(t, batch[0].ID, found("<b@example.com>"))
	err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
		return tx.MessageInsertMany(f.ctx, []*store.MessageInsertParams{{TenantID: f.tenantA.ID, ID: domain.NewID(),
			Channel: domain.ChannelEmail, Recipient: "d@example.com",
			ProviderMessageID: strp("<b@example.com>")}})
	})
	require.ErrorIs(t, err, store.ErrConflict, "another message's ID")

	require.NoError(t, markSent(a.ID, "<a2@example.com>"), "a repeated call answered under a new ID")
	require.Equal(t, a.ID, found("<a2@example.com>"))
	require.Equal(t, uuid.Nil, found("<a@example.com>"), "the old ID no longer finds it")
	require.NoError(t, markSent(batch[1].ID, "<a@example.com>"), "and is free")
	require.Equal(t, batch[1].ID, found("<a@example.com>"))
	require.ErrorIs(t, markSent(batch[0].ID, "<a2@example.com>"), store.ErrConflict)

	wf := f.newWorkflow(t, f.tenantA.ID, "Pruned")
	old := ts().Add(-48 * time.Hour)
	p := f.newPrunable(t, chain{wf: wf, v: f.newVersion(t, wf)}, domain.ExecutionCompleted, &old)
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, err := tx.MessageMarkSent(f.ctx, &store.MessageMarkSentParams{TenantID: f.tenantA.ID, ID: p.message, ProviderMessageID: "<p@example.com>"})
		require.NoError(t, err)
		_, _, err = tx.MessageAdvance(f.ctx, &store.MessageAdvanceParams{TenantID: f.tenantA.ID, ID: p.message, Status: domain.MessageDelivered})
		require.NoError(t, err)
	})
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		m, err := tx.MessageGetByProviderID(f.ctx, f.tenantA.ID, domain.ChannelWhatsApp, "<p@example.com>")
		require.NoError(t, err)
		require.Equal(t, domain.MessageDelivered, m.Status)
		got, err := tx.ExecutionPrune(f.ctx, f.tenantA.ID, ts().Add(-24*time.Hour), 100)
		require.NoError(t, err)
		require.EqualValues(t, 1, got.Messages)
		_, err = tx.MessageGetByProviderID(f.ctx, f.tenantA.ID, domain.ChannelWhatsApp, "<p@example.com>")
		require.ErrorIs(t, err, store.ErrNotFound, "pruned with its message")
	})
	f.newMessage(t, f.tenantA.ID, func(p *store.MessageInsertParams) { p.ProviderMessageID = strp("<p@example.com>") })
}

func exerciseMessageIsolation(t *testing.T, f *fixture) {
	m := f.newMessage(t, f.tenantA.ID, func(p *store.MessageInsertParams) { p.ProviderMessageID = strp("wamid.A") })
	f.in(t, f.tenantB.ID, func(tx store.Tx) {
		_, err := tx.MessageGetByID(f.ctx, f.tenantB.ID, m.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = tx.MessageGetByProviderID(f.ctx, f.tenantB.ID, domain.ChannelWhatsApp, "wamid.A")
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = tx.MessageMarkSent(f.ctx, &store.MessageMarkSentParams{TenantID: f.tenantB.ID, ID: m.ID, ProviderMessageID: "wamid.B"})
		require.ErrorIs(t, err, store.ErrNotFound)
		_, _, err = tx.MessageAdvance(f.ctx, &store.MessageAdvanceParams{TenantID: f.tenantB.ID, ID: m.ID, Status: domain.MessageSent})
		require.ErrorIs(t, err, store.ErrNotFound)
		_, _, err = tx.MessageAdvanceByProviderID(f.ctx, &store.MessageAdvanceParams{TenantID: f.tenantB.ID,
			Channel: domain.ChannelWhatsApp, ProviderMessageID: "wamid.A", Status: domain.MessageDelivered})
		require.ErrorIs(t, err, store.ErrNotFound)
		list, err := tx.MessageList(f.ctx, &store.MessageListParams{TenantID: f.tenantB.ID})
		require.NoError(t, err)
		require.Empty(t, list)
	})
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		got, err := tx.MessageGetByID(f.ctx, f.tenantA.ID, m.ID)
		require.NoError(t, err)
		require.Equal(t, domain.MessageQueued, got.Status)
	})
}

func exerciseMessageContactErasure(t *testing.T, f *fixture) {
	c, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, Email: strp("ada@example.com")})
	keep, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, Email: strp("bob@example.com")})
	conn := f.newChannel(t, f.tenantA.ID, domain.ChannelWhatsApp, "WA")
	m := f.newMessage(t, f.tenantA.ID, func(p *store.MessageInsertParams) {
		p.Channel, p.ContactID, p.Recipient = domain.ChannelEmail, &c.ID, "ada@example.com"
	})
	kept := f.newMessage(t, f.tenantA.ID, func(p *store.MessageInsertParams) { p.ContactID = &keep.ID })
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, _, err := tx.MessageAdvance(f.ctx, &store.MessageAdvanceParams{TenantID: f.tenantA.ID, ID: m.ID,
			Status: domain.MessageBounced, ErrorCode: "550", ErrorText: "550 5.1.1 ada@example.com: no such user"})
		require.NoError(t, err)
		_, err = tx.MessagingWindowTouch(f.ctx, &store.MessagingWindowTouchParams{TenantID: f.tenantA.ID, ConnectionID: conn.ID,
			Channel: domain.ChannelWhatsApp, Address: "4915112345678", ContactID: &c.ID, At: ts()})
		require.NoError(t, err)
		_, err = tx.ContactErase(f.ctx, f.tenantA.ID, c.ID, ts())
		require.NoError(t, err)
	})
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		got, err := tx.MessageGetByID(f.ctx, f.tenantA.ID, m.ID)
		require.NoError(t, err)
		require.Nil(t, got.ContactID)
		require.Empty(t, got.Recipient, "the address is blanked")
		require.Empty(t, got.ErrorText, "the error text may name the address")
		require.Equal(t, "550", got.ErrorCode)
		require.Equal(t, domain.MessageBounced, got.Status, "the status, and so the counts, stay")
		other, err := tx.MessageGetByID(f.ctx, f.tenantA.ID, kept.ID)
		require.NoError(t, err)
		require.Equal(t, &keep.ID, other.ContactID)
		require.Equal(t, kept.Recipient, other.Recipient)
		_, err = tx.MessagingWindowGet(f.ctx, f.tenantA.ID, conn.ID, "4915112345678")
		require.ErrorIs(t, err, store.ErrNotFound, "the contact's window goes with it")
	})
}

func exerciseSuppression(t *testing.T, f *fixture) {
	m := f.newMessage(t, f.tenantA.ID, func(p *store.MessageInsertParams) { p.Channel = domain.ChannelEmail })
	var first *domain.Suppression
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		first, err = tx.SuppressionUpsert(f.ctx, &store.SuppressionUpsertParams{TenantID: f.tenantA.ID, Channel: domain.ChannelEmail,
			Address: "ada@example.com", Reason: domain.SuppressionHardBounce, SourceMessageID: &m.ID})
		require.NoError(t, err)
		require.Equal(t, domain.SuppressionHardBounce, first.Reason)
		require.Equal(t, &m.ID, first.SourceMessageID)
		again, err := tx.SuppressionUpsert(f.ctx, &store.SuppressionUpsertParams{TenantID: f.tenantA.ID, Channel: domain.ChannelEmail,
			Address: "ada@example.com", Reason: domain.SuppressionUnsubscribed})
		require.NoError(t, err)
		require.Equal(t, domain.SuppressionUnsubscribed, again.Reason)
		require.Nil(t, again.SourceMessageID)
		require.Equal(t, first.CreatedAt, again.CreatedAt, "the created time stays")
		for _, a := range []string{"bob@example.com", "cy@example.com"} {
			_, err = tx.SuppressionUpsert(f.ctx, &store.SuppressionUpsertParams{TenantID: f.tenantA.ID, Channel: domain.ChannelEmail,
				Address: a, Reason: domain.SuppressionManual})
			require.NoError(t, err)
		}
		_, err = tx.SuppressionUpsert(f.ctx, &store.SuppressionUpsertParams{TenantID: f.tenantA.ID, Channel: domain.ChannelWhatsApp,
			Address: "4915112345678", Reason: domain.SuppressionManual})
		require.NoError(t, err)

		got, err := tx.SuppressionGet(f.ctx, f.tenantA.ID, domain.ChannelEmail, "ada@example.com")
		require.NoError(t, err)
		require.Equal(t, domain.SuppressionUnsubscribed, got.Reason)
		_, err = tx.SuppressionGet(f.ctx, f.tenantA.ID, domain.ChannelWhatsApp, "ada@example.com")
		require.ErrorIs(t, err, store.ErrNotFound, "per channel")

		page, err := tx.SuppressionList(f.ctx, &store.SuppressionListParams{TenantID: f.tenantA.ID, Channel: domain.ChannelEmail, Limit: 2})
		require.NoError(t, err)
		require.Len(t, page, 2)
		require.Equal(t, "ada@example.com", page[0].Address)
		require.Equal(t, "bob@example.com", page[1].Address)
		page, err = tx.SuppressionList(f.ctx, &store.SuppressionListParams{TenantID: f.tenantA.ID, Channel: domain.ChannelEmail,
			AfterChannel: page[1].Channel, AfterAddress: page[1].Address})
		require.NoError(t, err)
		require.Len(t, page, 1)
		require.Equal(t, "cy@example.com", page[0].Address)
		all, err := tx.SuppressionList(f.ctx, &store.SuppressionListParams{TenantID: f.tenantA.ID})
		require.NoError(t, err)
		require.Len(t, all, 4)
		require.Equal(t, domain.ChannelWhatsApp, all[3].Channel, "by channel, then address")
		found, err := tx.SuppressionList(f.ctx, &store.SuppressionListParams{TenantID: f.tenantA.ID, Search: "b@ex"})
		require.NoError(t, err)
		require.Len(t, found, 1, "search keeps addresses that contain the text")
		require.Equal(t, "bob@example.com", found[0].Address)
		found, err = tx.SuppressionList(f.ctx, &store.SuppressionListParams{TenantID: f.tenantA.ID, Search: "%"})
		require.NoError(t, err)
		require.Empty(t, found, "search text is literal, not a pattern")
		found, err = tx.SuppressionList(f.ctx, &store.SuppressionListParams{TenantID: f.tenantA.ID, Search: "example.com",
			AfterChannel: domain.ChannelEmail, AfterAddress: "ada@example.com", Limit: 1})
		require.NoError(t, err)
		require.Len(t, found, 1)
		require.Equal(t, "bob@example.com", found[0].Address, "search pages like the list")

		require.NoError(t, tx.SuppressionDelete(f.ctx, f.tenantA.ID, domain.ChannelEmail, "bob@example.com"))
		require.ErrorIs(t, tx.SuppressionDelete(f.ctx, f.tenantA.ID, domain.ChannelEmail, "bob@example.com"), store.ErrNotFound)
	})
	f.in(t, f.tenantB.ID, func(tx store.Tx) {
		_, err := tx.SuppressionGet(f.ctx, f.tenantB.ID, domain.ChannelEmail, "ada@example.com")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, tx.SuppressionDelete(f.ctx, f.tenantB.ID, domain.ChannelEmail, "ada@example.com"), store.ErrNotFound)
		list, err := tx.SuppressionList(f.ctx, &store.SuppressionListParams{TenantID: f.tenantB.ID})
		require.NoError(t, err)
		require.Empty(t, list)
	})
}

func exerciseMessagingWindow(t *testing.T, f *fixture) {
	conn := f.newChannel(t, f.tenantA.ID, domain.ChannelWhatsApp, "WA")
	conn2 := f.newChannel(t, f.tenantA.ID, domain.ChannelWhatsApp, "WA 2")
	c, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, Phone: strp("+4915112345678")})
	t1 := ts().Add(-time.Hour)
	t2 := t1.Add(30 * time.Minute)
	touch := func(at time.Time, contactID *uuid.UUID) *domain.MessagingWindow {
		var w *domain.MessagingWindow
		f.in(t, f.tenantA.ID, func(tx store.Tx) {
			var err error
			w, err = tx.MessagingWindowTouch(f.ctx, &store.MessagingWindowTouchParams{TenantID: f.tenantA.ID, ConnectionID: conn.ID,
				Channel: domain.ChannelWhatsApp, Address: "4915112345678", ContactID: contactID, At: at})
			require.NoError(t, err)
		})
		return w
	}
	w := touch(t2, &c.ID)
	require.True(t, t2.Equal(w.LastInboundAt))
	require.Equal(t, &c.ID, w.ContactID)
	w = touch(t1, nil)
	require.True(t, t2.Equal(w.LastInboundAt), "an older inbound message does not move the window back")
	require.Equal(t, &c.ID, w.ContactID, "the contact is kept")
	t3 := t2.Add(time.Minute)
	w = touch(t3, nil)
	require.True(t, t3.Equal(w.LastInboundAt))
	require.True(t, w.Open(t3.Add(23*time.Hour), 24*time.Hour))
	require.False(t, w.Open(t3.Add(25*time.Hour), 24*time.Hour))

	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		got, err := tx.MessagingWindowGet(f.ctx, f.tenantA.ID, conn.ID, "4915112345678")
		require.NoError(t, err)
		require.Equal(t, w, got)
		_, err = tx.MessagingWindowGet(f.ctx, f.tenantA.ID, conn2.ID, "4915112345678")
		require.ErrorIs(t, err, store.ErrNotFound, "a window is per connection")
	})
	f.read(t, f.tenantB.ID, func(tx store.Tx) {
		_, err := tx.MessagingWindowGet(f.ctx, f.tenantB.ID, conn.ID, "4915112345678")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		require.NoError(t, tx.ChannelDelete(f.ctx, f.tenantA.ID, conn.ID))
		_, err := tx.MessagingWindowGet(f.ctx, f.tenantA.ID, conn.ID, "4915112345678")
		require.ErrorIs(t, err, store.ErrNotFound, "windows go with their connection")
	})
}

// exerciseMessageInsertMany: several messages inserted at once are each
// as MessageInsert writes them (queued, or skipped with the reason and
// time); an ID stored already leaves the existing message as it is.
func exerciseMessageInsertMany(t *testing.T, f *fixture) {
	old := f.newMessage(t, f.tenantA.ID, nil)
	exec := domain.NewID()
	at := ts()
	queued := &store.MessageInsertParams{TenantID: f.tenantA.ID, ID: domain.NewID(), Channel: domain.ChannelEmail,
		Recipient: "ada@example.com", ProviderMessageID: strp("<many-q@example.com>"),
		ExecutionID: &exec, NodeID: "send", WorkflowVersion: 3, At: at}
	skipped := &store.MessageInsertParams{TenantID: f.tenantA.ID, ID: domain.NewID(), Channel: domain.ChannelWhatsApp,
		Recipient: "4915112345678", Status: domain.MessageSkipped, ErrorCode: "suppressed",
		ErrorText: "the number is suppressed", At: at}
	again := &store.MessageInsertParams{TenantID: f.tenantA.ID, ID: old.ID, Channel: domain.ChannelWhatsApp,
		Recipient: "4900000000000", At: at}
	repeat := &store.MessageInsertParams{TenantID: f.tenantA.ID, ID: queued.ID, Channel: domain.ChannelEmail,
		Recipient: "repeat@example.com", At: at}
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		require.NoError(t, tx.MessageInsertMany(f.ctx, []*store.MessageInsertParams{queued, skipped, again, repeat}))
		require.NoError(t, tx.MessageInsertMany(f.ctx, nil))
	})
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		q, err := tx.MessageGetByID(f.ctx, f.tenantA.ID, queued.ID)
		require.NoError(t, err)
		require.Equal(t, domain.MessageQueued, q.Status)
		require.Equal(t, domain.ChannelEmail, q.Channel)
		require.Equal(t, "ada@example.com", q.Recipient, "the first of an ID repeated in the batch")
		require.Equal(t, "<many-q@example.com>", *q.ProviderMessageID)
		require.Equal(t, &exec, q.ExecutionID)
		require.Equal(t, "send", q.NodeID)
		require.Equal(t, 3, q.WorkflowVersion)
		require.True(t, at.Equal(q.QueuedAt))
		require.Nil(t, q.SkippedAt)
		s, err := tx.MessageGetByID(f.ctx, f.tenantA.ID, skipped.ID)
		require.NoError(t, err)
		require.Equal(t, domain.MessageSkipped, s.Status)
		require.Equal(t, "suppressed", s.ErrorCode)
		require.Equal(t, "the number is suppressed", s.ErrorText)
		require.NotNil(t, s.SkippedAt)
		require.True(t, at.Equal(*s.SkippedAt))
		o, err := tx.MessageGetByID(f.ctx, f.tenantA.ID, old.ID)
		require.NoError(t, err)
		require.Equal(t, old.Recipient, o.Recipient, "the ID was stored already: left as it was")
		require.Equal(t, old.QueuedAt, o.QueuedAt)
	})
}

// exerciseSuppressionGetMany: of the addresses asked, only those
// suppressed on that channel in that tenant are returned.
func exerciseSuppressionGetMany(t *testing.T, f *fixture) {
	for _, s := range []struct {
		tenant  uuid.UUID
		channel domain.ChannelKind
		address string
	}{
		{f.tenantA.ID, domain.ChannelEmail, "ada@example.com"},
		{f.tenantA.ID, domain.ChannelEmail, "bob@example.com"},
		{f.tenantA.ID, domain.ChannelWhatsApp, "cy@example.com"},
		{f.tenantB.ID, domain.ChannelEmail, "dee@example.com"},
	} {
		f.in(t, s.tenant, func(tx store.Tx) {
			_, err := tx.SuppressionUpsert(f.ctx, &store.SuppressionUpsertParams{TenantID: s.tenant, Channel: s.channel,
				Address: s.address, Reason: domain.SuppressionManual})
			require.NoError(t, err)
		})
	}
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		got, err := tx.SuppressionGetMany(f.ctx, f.tenantA.ID, domain.ChannelEmail,
			[]string{"ada@example.com", "cy@example.com", "dee@example.com", "eve@example.com", "bob@example.com", "ada@example.com"})
		require.NoError(t, err)
		var addresses []string
		for _, s := range got {
			require.Equal(t, domain.ChannelEmail, s.Channel)
			require.Equal(t, domain.SuppressionManual, s.Reason)
			addresses = append(addresses, s.Address)
		}
		require.ElementsMatch(t, []string{"ada@example.com", "bob@example.com"}, addresses)
		none, err := tx.SuppressionGetMany(f.ctx, f.tenantA.ID, domain.ChannelEmail, nil)
		require.NoError(t, err)
		require.Empty(t, none)
	})
}
