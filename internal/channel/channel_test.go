package channel_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

type fixture struct {
	ctx      context.Context
	st       store.Store
	svc      *channel.Service
	tenantA  uuid.UUID
	tenantB  uuid.UUID
	keyBytes []byte
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{ctx: context.Background(), st: storetest.SQLite(t), keyBytes: make([]byte, 32)}
	for i := range f.keyBytes {
		f.keyBytes[i] = byte(i + 1)
	}
	kr, err := secret.NewKeyring(f.keyBytes)
	require.NoError(t, err)
	f.svc = channel.New(f.st, kr, channel.Options{PublicURL: "https://nf.example.com/"})
	require.NoError(t, f.st.InTx(f.ctx, uuid.Nil, func(tx store.Tx) error {
		a, err := tx.TenantInsert(f.ctx, &store.TenantInsertParams{Name: "A", Slug: "a", Plan: domain.PlanFree})
		if err != nil {
			return err
		}
		b, err := tx.TenantInsert(f.ctx, &store.TenantInsertParams{Name: "B", Slug: "b", Plan: domain.PlanFree})
		f.tenantA, f.tenantB = a.ID, b.ID
		return err
	}))
	return f
}

func strp(s string) *string { return &s }

func (f *fixture) create(t *testing.T, in *channel.Input) (*channel.View, error) {
	t.Helper()
	var v *channel.View
	err := f.st.InTx(f.ctx, f.tenantA, func(tx store.Tx) error {
		var err error
		v, err = f.svc.CreateTx(f.ctx, tx, f.tenantA, in, nil)
		return err
	})
	return v, err
}

func TestConnectionSecretsAreWriteOnlyAndKept(t *testing.T) {
	t.Parallel()
	f := setup(t)
	v, err := f.create(t, &channel.Input{Kind: domain.ChannelWhatsApp, Name: strp("Support"),
		Config:  &channel.Config{PhoneNumberID: "106540352242922"},
		Secrets: map[string]string{channel.SecretAccessToken: "tok-1", channel.SecretAppSecret: "app-1"}})
	require.NoError(t, err)
	require.Equal(t, []string{channel.SecretAccessToken, channel.SecretAppSecret}, channel.SecretsSet(v.Connection))
	require.NotContains(t, string(v.Connection.Ciphertext), "tok-1")
	require.Equal(t, 80, v.Config.MessagesPerSecond, "the default rate")
	require.Equal(t, "https://nf.example.com/hooks/whatsapp/"+v.Connection.ID.String(), v.WebhookURL)
	require.Equal(t, domain.ChannelUntested, v.Connection.Status)

	// An update that omits the secrets keeps them; "" removes one.
	require.NoError(t, f.st.InTx(f.ctx, f.tenantA, func(tx store.Tx) error {
		_, err := f.svc.UpdateTx(f.ctx, tx, f.tenantA, v.Connection.ID, &channel.Input{Name: strp("Support 2"),
			Secrets: map[string]string{channel.SecretAppSecret: ""}})
		return err
	}))
	require.NoError(t, f.st.Read(f.ctx, f.tenantA, func(tx store.Tx) error {
		r, err := f.svc.Resolve(f.ctx, tx, f.tenantA, v.Connection.ID)
		require.NoError(t, err)
		require.Equal(t, "tok-1", r.Secret(channel.SecretAccessToken))
		require.Empty(t, r.Secret(channel.SecretAppSecret))
		require.Equal(t, "Support 2", r.Name)
		require.Equal(t, "106540352242922", r.Config.PhoneNumberID)
		_, err = f.svc.Resolve(f.ctx, tx, f.tenantB, v.Connection.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "another tenant's connection")
		return nil
	}))
}

func TestConnectionValidationNamesTheField(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, tc := range []struct {
		name  string
		in    *channel.Input
		field string
	}{
		{"unknown kind", &channel.Input{Kind: "sms", Name: strp("x")}, "kind"},
		{"no name", &channel.Input{Kind: domain.ChannelMessenger, Name: strp(" "), Config: &channel.Config{PageID: "1"}}, "name"},
		{"no page", &channel.Input{Kind: domain.ChannelMessenger, Name: strp("p"), Config: &channel.Config{}}, "config.pageId"},
		{"no token", &channel.Input{Kind: domain.ChannelMessenger, Name: strp("p"), Config: &channel.Config{PageID: "1"}}, "secrets.pageToken"},
		{"unknown secret", &channel.Input{Kind: domain.ChannelEmail, Name: strp("m"), Config: &channel.Config{Host: "smtp.example.com", From: "a@example.com"},
			Secrets: map[string]string{"apiKey": "x"}}, "secrets.apiKey"},
		{"no host", &channel.Input{Kind: domain.ChannelEmail, Name: strp("m"), Config: &channel.Config{From: "a@example.com"}}, "config.host"},
		{"bad tls", &channel.Input{Kind: domain.ChannelEmail, Name: strp("m"), Config: &channel.Config{Host: "h", TLS: "ssl", From: "a@example.com"}}, "config.tls"},
		{"password in clear", &channel.Input{Kind: domain.ChannelEmail, Name: strp("m"), Config: &channel.Config{Host: "h", TLS: channel.TLSNone, From: "a@example.com"},
			Secrets: map[string]string{channel.SecretPassword: "pw"}}, "config.tls"},
		{"bad from", &channel.Input{Kind: domain.ChannelEmail, Name: strp("m"), Config: &channel.Config{Host: "h", From: "nope"}}, "config.from"},
		{"bad rate", &channel.Input{Kind: domain.ChannelWhatsApp, Name: strp("w"), Config: &channel.Config{PhoneNumberID: "1", MessagesPerSecond: 5000},
			Secrets: map[string]string{channel.SecretAccessToken: "t"}}, "config.messagesPerSecond"},
		{"bad smtp url", &channel.Input{Kind: domain.ChannelEmail, Name: strp("m"), SMTPURL: strp("http://x"), Config: &channel.Config{}}, "config.smtpUrl"},
	} {
		_, err := f.create(t, tc.in)
		var ie *channel.InvalidError
		require.True(t, errors.As(err, &ie), "%s: %v", tc.name, err)
		require.Equal(t, tc.field, ie.Field, tc.name)
	}
	// Nothing was written.
	require.NoError(t, f.st.Read(f.ctx, f.tenantA, func(tx store.Tx) error {
		list, err := tx.ChannelList(f.ctx, f.tenantA, "")
		require.Empty(t, list)
		return err
	}))
}

func TestSMTPURLFillsConfigAndPassword(t *testing.T) {
	t.Parallel()
	f := setup(t)
	v, err := f.create(t, &channel.Input{Kind: domain.ChannelEmail, Name: strp("Mail"),
		SMTPURL: strp("smtps://ada:s3cret@smtp.example.com"), Config: &channel.Config{From: "hello@example.com", FromName: "Acme"}})
	require.NoError(t, err)
	require.Equal(t, "smtp.example.com", v.Config.Host)
	require.Equal(t, 465, v.Config.Port)
	require.Equal(t, channel.TLSImplicit, v.Config.TLS)
	require.Equal(t, "ada", v.Config.Username)
	require.Equal(t, []string{channel.SecretPassword}, channel.SecretsSet(v.Connection))
	require.Empty(t, v.WebhookURL)
}

func TestTestRecordsTheProbeResult(t *testing.T) {
	t.Parallel()
	f := setup(t)
	v, err := f.create(t, &channel.Input{Kind: domain.ChannelEmail, Name: strp("Mail"),
		Config: &channel.Config{Host: "smtp.example.com", From: "hello@example.com"}, Secrets: map[string]string{channel.SecretPassword: "pw"}})
	require.NoError(t, err)
	got, err := f.svc.Test(f.ctx, f.tenantA, v.Connection.ID)
	require.NoError(t, err)
	require.Equal(t, domain.ChannelFailing, got.Connection.Status, "no probe registered")

	var seen string
	f.svc.RegisterProber(domain.ChannelEmail, func(_ context.Context, r *channel.Resolved) error {
		seen = r.Secret(channel.SecretPassword)
		return errors.New("the SMTP server refused the password")
	})
	got, err = f.svc.Test(f.ctx, f.tenantA, v.Connection.ID)
	require.NoError(t, err)
	require.Equal(t, "pw", seen, "the probe sees the opened secrets")
	require.Equal(t, domain.ChannelFailing, got.Connection.Status)
	require.Equal(t, "the SMTP server refused the password", got.Connection.StatusMessage)
	require.NotNil(t, got.Connection.LastTestedAt)

	f.svc.RegisterProber(domain.ChannelEmail, func(context.Context, *channel.Resolved) error { return nil })
	got, err = f.svc.Test(f.ctx, f.tenantA, v.Connection.ID)
	require.NoError(t, err)
	require.Equal(t, domain.ChannelOK, got.Connection.Status)
	_, err = f.svc.Test(f.ctx, f.tenantB, v.Connection.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestRotateResealsUnderTheCurrentKey(t *testing.T) {
	t.Parallel()
	f := setup(t)
	v, err := f.create(t, &channel.Input{Kind: domain.ChannelMessenger, Name: strp("Page"),
		Config: &channel.Config{PageID: "123"}, Secrets: map[string]string{channel.SecretPageToken: "page-tok"}})
	require.NoError(t, err)
	newKey := make([]byte, 32)
	for i := range newKey {
		newKey[i] = byte(200 - i)
	}
	kr, err := secret.NewKeyring(newKey, f.keyBytes)
	require.NoError(t, err)
	svc := channel.New(f.st, kr, channel.Options{})
	n, skipped, err := svc.Rotate(f.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Zero(t, skipped)
	require.NoError(t, f.st.Read(f.ctx, f.tenantA, func(tx store.Tx) error {
		r, err := svc.Resolve(f.ctx, tx, f.tenantA, v.Connection.ID)
		require.NoError(t, err)
		require.Equal(t, "page-tok", r.Secret(channel.SecretPageToken))
		c, err := tx.ChannelGetByID(f.ctx, f.tenantA, v.Connection.ID)
		require.Equal(t, kr.CurrentKeyID(), c.KeyID)
		return err
	}))
	n, skipped, err = svc.Rotate(f.ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, 1, skipped)
}

func TestTemplatesParseAndPreview(t *testing.T) {
	t.Parallel()
	f := setup(t)
	err := f.st.InTx(f.ctx, f.tenantA, func(tx store.Tx) error {
		_, err := f.svc.TemplateCreateTx(f.ctx, tx, f.tenantA, &channel.TemplateInput{Channel: domain.ChannelEmail, Name: "bad",
			Content: channel.Content{Subject: "Hi", HTML: "<p>ok</p>\n<p>{% if x %}unclosed</p>"}}, nil)
		return err
	})
	var te *channel.TemplateError
	require.True(t, errors.As(err, &te), "%v", err)
	require.Equal(t, "content.html", te.Field)
	require.Equal(t, 2, te.Line)

	var c *domain.Contact
	var tplID uuid.UUID
	require.NoError(t, f.st.InTx(f.ctx, f.tenantA, func(tx store.Tx) error {
		var err error
		c, _, err = tx.ContactUpsert(f.ctx, &store.ContactUpsertParams{TenantID: f.tenantA, Email: strp("ada@example.com"),
			Name: strp("Ada <script>")})
		if err != nil {
			return err
		}
		tpl, err := f.svc.TemplateCreateTx(f.ctx, tx, f.tenantA, &channel.TemplateInput{Channel: domain.ChannelEmail, Name: "welcome",
			Content: channel.Content{Subject: "Hi {{ contact.name }}", Preheader: "Order {{ event.order }}",
				HTML: "<p>Hi {{ contact.name }}</p>", Text: "Hi {{ contact.name }}"}}, nil)
		if err != nil {
			return err
		}
		tplID = tpl.ID
		return nil
	}))
	out, err := f.svc.Preview(f.ctx, f.tenantA, &channel.PreviewInput{TemplateID: &tplID, ContactID: &c.ID, Event: []byte(`{"order": 42}`)})
	require.NoError(t, err)
	require.Equal(t, "Hi Ada <script>", out.Subject)
	require.Equal(t, "Order 42", out.Preheader)
	require.Equal(t, "<p>Hi Ada &lt;script&gt;</p>", out.HTML, "HTML outputs are escaped")
	require.Equal(t, "Hi Ada <script>", out.Text)

	_, err = f.svc.Preview(f.ctx, f.tenantB, &channel.PreviewInput{TemplateID: &tplID})
	require.ErrorIs(t, err, store.ErrNotFound, "another tenant's template")
	_, err = f.svc.Preview(f.ctx, f.tenantB, &channel.PreviewInput{Channel: domain.ChannelMessenger,
		Content: &channel.Content{Text: "hi"}, ContactID: &c.ID})
	require.ErrorIs(t, err, store.ErrNotFound, "another tenant's contact")

	wa, err := f.svc.Preview(f.ctx, f.tenantA, &channel.PreviewInput{Channel: domain.ChannelWhatsApp,
		Content: &channel.Content{TemplateName: "order_update", Language: "en_US", Parameters: []string{"{{ event.order }}", "x"}},
		Event:   []byte(`{"order": 7}`)})
	require.NoError(t, err)
	require.Equal(t, []string{"7", "x"}, wa.Parameters)
	_, err = f.svc.Preview(f.ctx, f.tenantA, &channel.PreviewInput{Channel: domain.ChannelWhatsApp,
		Content: &channel.Content{Text: "hi", TemplateName: "order_update", Language: "en"}})
	var ie *channel.InvalidError
	require.True(t, errors.As(err, &ie))
	require.Equal(t, "content.text", ie.Field)
	_, err = f.svc.Preview(f.ctx, f.tenantA, &channel.PreviewInput{Channel: domain.ChannelMessenger,
		Content: &channel.Content{Text: "hi"}, Event: []byte(`[1]`)})
	require.True(t, errors.As(err, &ie))
	require.Equal(t, "event", ie.Field)
}
