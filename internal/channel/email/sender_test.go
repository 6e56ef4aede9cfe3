package email_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/email"
	"github.com/nextflow-dev/nextflow/internal/channel/email/smtptest"
	"github.com/nextflow-dev/nextflow/internal/engine/netguard"
)

func TestSendBuildsMultipartWithHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{})
	b.cfg.ReplyTo = "support@acme.test"
	m := message("ada@example.test", "exec-1:3")
	m.NextFlowID = "0193f1c2-0000-7000-8000-000000000001"
	m.UnsubscribeURL = "https://app.nextflow.test/u/TOKEN123"
	m.UnsubscribeMailto = "unsubscribe@acme.test"
	res, err := b.sender.Send(ctx(t), b.cfg, m)
	require.NoError(t, err)
	require.Equal(t, m.MessageID, res.MessageID)

	msgs := b.srv.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, "hello@acme.test", msgs[0].From)
	require.Equal(t, []string{"ada@example.test"}, msgs[0].To)
	p, err := msgs[0].Parse()
	require.NoError(t, err)
	h := p.Header
	require.Equal(t, "<"+m.MessageID+">", h.Get("Message-ID"))
	require.Equal(t, `"Acme" <hello@acme.test>`, h.Get("From"))
	require.Equal(t, "<support@acme.test>", h.Get("Reply-To"))
	require.Equal(t, "Welcome, Ada", h.Get("Subject"))
	require.Equal(t, "<https://app.nextflow.test/u/TOKEN123>, <mailto:unsubscribe@acme.test?subject=unsubscribe>", h.Get("List-Unsubscribe"))
	require.Equal(t, "List-Unsubscribe=One-Click", h.Get("List-Unsubscribe-Post"))
	require.Equal(t, m.NextFlowID, h.Get(email.HeaderNextFlowMessageID))
	require.NotEmpty(t, h.Get("Date"))

	require.Equal(t, "multipart/alternative", p.ContentType)
	require.Len(t, p.Parts, 2)
	require.Equal(t, "text/plain", p.Parts[0].ContentType, "text/plain comes first")
	require.Equal(t, "text/html", p.Parts[1].ContentType, "text/html comes last")
	require.Contains(t, p.Parts[0].Body, "https://acme.test/start?a=1&b=2")
	html := p.Parts[1].Body
	require.True(t, strings.HasPrefix(html, `<html><body><div style="display:none;`), html)
	require.Less(t, strings.Index(html, "Your account is ready"), strings.Index(html, "Hello Ada"), "the preheader is first in the body")
}

func TestSendDerivesTextFromHTMLAndHTTPUnsubscribe(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{})
	m := message("ada@example.test", "k")
	m.Text = ""
	m.Preheader = `<b>"quoted"</b>`
	m.UnsubscribeURL = "http://localhost:8080/u/T"
	_, err := b.sender.Send(ctx(t), b.cfg, m)
	require.NoError(t, err)
	p, err := b.srv.Messages()[0].Parse()
	require.NoError(t, err)
	text, ok := p.Part("text/plain")
	require.True(t, ok)
	require.Equal(t, "Hello Ada\r\nVisit your dashboard (https://acme.test/start?a=1&b=2).\r\n", text)
	html, _ := p.Part("text/html")
	require.Contains(t, html, "&lt;b&gt;&#34;quoted&#34;&lt;/b&gt;", "the preheader is escaped")
	require.Equal(t, "<http://localhost:8080/u/T>", p.Header.Get("List-Unsubscribe"))
	require.Empty(t, p.Header.Get("List-Unsubscribe-Post"), "one-click is promised for https only")
}

func TestSendTextOnly(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{})
	m := message("ada@example.test", "k")
	m.HTML = ""
	_, err := b.sender.Send(ctx(t), b.cfg, m)
	require.NoError(t, err)
	p, err := b.srv.Messages()[0].Parse()
	require.NoError(t, err)
	require.Equal(t, "text/plain", p.ContentType)
	require.Len(t, p.Parts, 1)
}

func TestMessageIDStableAcrossRetry(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{})
	b.srv.Script("ada@example.test", smtptest.TryLater)
	key := "0193f1c2-aaaa-7000-8000-000000000001:4"
	// Each attempt builds the message again from the stored request, as
	// the engine's Perform does.
	_, err := b.sender.Send(ctx(t), b.cfg, message("ada@example.test", key))
	se := sendErr(t, err)
	require.True(t, se.Temporary)
	_, err = b.sender.Send(ctx(t), b.cfg, message("ada@example.test", key))
	require.NoError(t, err)
	msgs := b.srv.Messages()
	require.Len(t, msgs, 1)
	p, err := msgs[0].Parse()
	require.NoError(t, err)
	require.Equal(t, "<"+email.MessageIDFor(key, "Acme <hello@acme.test>")+">", p.Header.Get("Message-ID"))
	require.Equal(t, email.MessageIDFor(key, "x@acme.test"), email.MessageIDFor(key, "hello@ACME.test"))
	require.NotEqual(t, email.MessageIDFor(key, "x@acme.test"), email.MessageIDFor(key+"0", "x@acme.test"))
	require.True(t, strings.HasSuffix(email.MessageIDFor(key, "x@acme.test"), "@acme.test"))
}

func TestSendClassifiesReplies(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{})
	for _, tc := range []struct {
		name       string
		reply      smtptest.Reply
		temporary  bool
		suppress   bool
		stage      email.Stage
		words      string
		wantCode   int
		wantStatus string
	}{
		{"550 user unknown", smtptest.UserUnknown, false, true, email.StageRcpt, "recipient rejected (550 5.1.1): User unknown", 550, "5.1.1"},
		{"451 greylisted", smtptest.TryLater, true, false, email.StageRcpt, "recipient rejected (451 4.7.1): Greylisted", 451, "4.7.1"},
		{"550 relay denied", smtptest.Reply{Code: 550, Enhanced: [3]int{5, 7, 1}, Message: "Relaying denied"}, false, false, email.StageRcpt, "(550 5.7.1)", 550, "5.7.1"},
		{"552 mailbox full at rcpt", smtptest.Reply{Code: 552, Enhanced: [3]int{5, 2, 2}, Message: "Mailbox full"}, false, true, email.StageRcpt, "(552 5.2.2)", 552, "5.2.2"},
		{"550 5.1.1 at data", smtptest.Reply{Code: 550, Enhanced: [3]int{5, 1, 1}, Message: "No such user", AtData: true}, false, true, email.StageData, "message rejected (550 5.1.1)", 550, "5.1.1"},
		{"554 spam at data", smtptest.Reply{Code: 554, Enhanced: [3]int{5, 7, 1}, Message: "Looks like spam", AtData: true}, false, false, email.StageData, "message rejected (554 5.7.1): Looks like spam", 554, "5.7.1"},
		{"452 at data", smtptest.Reply{Code: 452, Enhanced: [3]int{4, 3, 1}, Message: "Insufficient storage", AtData: true}, true, false, email.StageData, "(452 4.3.1)", 452, "4.3.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			to := strings.ReplaceAll(tc.name, " ", "-") + "@example.test"
			b.srv.Script(to, tc.reply)
			_, err := b.sender.Send(ctx(t), b.cfg, message(to, tc.name))
			se := sendErr(t, err)
			require.Equal(t, tc.temporary, se.Temporary, "temporary")
			require.Equal(t, tc.suppress, se.Suppress, "suppress")
			require.False(t, se.ConnectionBroken)
			require.Equal(t, tc.stage, se.Stage)
			require.Equal(t, tc.wantCode, se.Code)
			require.Equal(t, tc.wantStatus, se.Enhanced)
			require.Contains(t, se.Error(), tc.words)
			// The connection goes on working after a refusal.
			_, err = b.sender.Send(ctx(t), b.cfg, message(to, tc.name+"again"))
			require.NoError(t, err)
		})
	}
}

func TestStartTLSMandatoryAgainstPlainServerFails(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{})
	b.cfg.TLS = email.TLSMandatory
	_, err := b.sender.Send(ctx(t), b.cfg, message("ada@example.test", "k"))
	se := sendErr(t, err)
	require.True(t, se.ConnectionBroken)
	require.False(t, se.Temporary)
	require.Equal(t, email.StageTLS, se.Stage)
	require.Contains(t, se.Error(), "TLS handshake failed: the server does not offer STARTTLS")
	require.Zero(t, b.srv.Count())

	err = b.sender.Probe(ctx(t), b.cfg)
	require.ErrorContains(t, err, "does not offer STARTTLS")
	// Opportunistic goes on in clear.
	b.cfg.TLS = email.TLSOpportunistic
	require.NoError(t, b.sender.Probe(ctx(t), b.cfg))
}

func TestTLSModesAndAuth(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{smtptest.TLSStartTLS, smtptest.TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			b := setup(t, smtptest.Options{TLS: mode, Username: "acme", Password: "s3cret"}, email.Options{})
			require.NoError(t, b.sender.Probe(ctx(t), b.cfg))
			_, err := b.sender.Send(ctx(t), b.cfg, message("ada@example.test", "k"))
			require.NoError(t, err)
			require.EqualValues(t, 1, b.srv.Count())

			bad := b.cfg
			bad.Password = "wrong"
			err = b.sender.Probe(ctx(t), bad)
			require.ErrorContains(t, err, "authentication rejected (535 5.7.8)")
			_, err = b.sender.Send(ctx(t), bad, message("ada@example.test", "k2"))
			se := sendErr(t, err)
			require.True(t, se.ConnectionBroken)
			require.False(t, se.Temporary)
			require.Equal(t, email.StageAuth, se.Stage)
			require.NotContains(t, se.Error(), "wrong", "the password is never in errors")
		})
	}
}

func TestTLSHandshakeFailureInWords(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{smtptest.TLSStartTLS, smtptest.TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			srv, err := smtptest.Start(smtptest.Options{TLS: mode})
			require.NoError(t, err)
			t.Cleanup(func() { _ = srv.Close() })
			// The default trust store does not know the test certificate.
			sender, err := email.NewSender(email.Options{Allow: []string{"127.0.0.1"}, Timeout: 5 * time.Second})
			require.NoError(t, err)
			t.Cleanup(func() { _ = sender.Close() })
			cfg := email.Config{Host: srv.Host, Port: srv.Port, From: "a@acme.test", TLS: email.TLSMandatory}
			if mode == smtptest.TLSImplicit {
				cfg.TLS = email.TLSImplicit
			}
			err = sender.Probe(ctx(t), cfg)
			se := sendErr(t, err)
			require.Equal(t, email.StageTLS, se.Stage)
			require.True(t, se.ConnectionBroken)
			require.True(t, strings.HasPrefix(err.Error(), "TLS handshake failed: "), err.Error())
			require.Contains(t, err.Error(), "certificate")
		})
	}
}

func TestPasswordNeverSentInClear(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{Username: "acme", Password: "s3cret"}, email.Options{})
	b.cfg.TLS = email.TLSOpportunistic
	err := b.sender.Probe(ctx(t), b.cfg)
	se := sendErr(t, err)
	require.Equal(t, email.StageAuth, se.Stage)
	require.Contains(t, err.Error(), "never sent in clear")
	b.cfg.TLS = email.TLSNone
	require.NoError(t, b.sender.Probe(ctx(t), b.cfg), "tls=none says clear is fine")
}

func TestSSRFGuardRefusesInternalHosts(t *testing.T) {
	t.Parallel()
	srv, err := smtptest.Start(smtptest.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	sender, err := email.NewSender(email.Options{AnyPort: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sender.Close() })
	for _, host := range []string{srv.Host, "localhost", "169.254.169.254", "10.0.0.1"} {
		cfg := email.Config{Host: host, Port: srv.Port, From: "a@acme.test", TLS: email.TLSNone}
		err := sender.Probe(ctx(t), cfg)
		se := sendErr(t, err)
		require.ErrorIs(t, err, netguard.ErrBlocked, host)
		require.True(t, se.ConnectionBroken, host)
		require.False(t, se.Temporary, host)
		require.Contains(t, err.Error(), "cannot connect to the SMTP server", host)
		require.Contains(t, err.Error(), "not allowed", host)
	}
	require.Zero(t, srv.Sessions(), "no connection was made")

	// Only SMTP ports by default, even to an allowed public address.
	strict, err := email.NewSender(email.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = strict.Close() })
	err = strict.Probe(ctx(t), email.Config{Host: "8.8.8.8", Port: 80, From: "a@acme.test"})
	require.ErrorIs(t, err, netguard.ErrBlocked)
	require.ErrorContains(t, err, "port 80")
}

func TestConnectionRefusedIsTemporary(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{})
	require.NoError(t, b.srv.Close())
	_, err := b.sender.Send(ctx(t), b.cfg, message("ada@example.test", "k"))
	se := sendErr(t, err)
	require.True(t, se.Temporary)
	require.False(t, se.ConnectionBroken)
	require.Equal(t, email.StageConnect, se.Stage)
}

func TestPoolReusesConnections(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{MaxConns: 3, MaxMsgsPerConn: 1000})
	for i := range 10 {
		_, err := b.sender.Send(ctx(t), b.cfg, message("ada@example.test", string(rune('a'+i))))
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, b.srv.Sessions(), "sequential sends share one connection")

	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := range 60 {
		wg.Go(func() {
			_, err := b.sender.Send(ctx(t), b.cfg, message("ada@example.test", "c"+string(rune('a'+i))))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.EqualValues(t, 70, b.srv.Count())
	require.LessOrEqual(t, b.srv.Sessions(), int64(3), "at most MaxConns connections")

	// A changed password is another pool.
	other := b.cfg
	other.Username, other.Password = "", ""
	other.From = "Other <x@other.test>"
	_, err := b.sender.Send(ctx(t), other, message("ada@example.test", "o"))
	require.NoError(t, err)
	require.LessOrEqual(t, b.srv.Sessions(), int64(3), "the sender identity is not part of the pool key")
}

func TestPoolLimitsMessagesPerConnection(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{MaxMsgsPerConn: 3})
	for i := range 7 {
		_, err := b.sender.Send(ctx(t), b.cfg, message("ada@example.test", string(rune('a'+i))))
		require.NoError(t, err)
	}
	require.EqualValues(t, 3, b.srv.Sessions())
}

func TestPoolClosesIdleConnections(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{IdleTimeout: 200 * time.Millisecond})
	_, err := b.sender.Send(ctx(t), b.cfg, message("ada@example.test", "k"))
	require.NoError(t, err)
	require.EqualValues(t, 1, b.srv.Open())
	require.Eventually(t, func() bool { return b.srv.Open() == 0 }, 5*time.Second, 20*time.Millisecond)
	// A send after the reap dials again.
	_, err = b.sender.Send(ctx(t), b.cfg, message("ada@example.test", "k2"))
	require.NoError(t, err)
	require.EqualValues(t, 2, b.srv.Sessions())
}

func TestCloseQuitsConnections(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{})
	_, err := b.sender.Send(ctx(t), b.cfg, message("ada@example.test", "k"))
	require.NoError(t, err)
	require.NoError(t, b.sender.Close())
	require.Eventually(t, func() bool { return b.srv.Open() == 0 }, 5*time.Second, 20*time.Millisecond)
	_, err = b.sender.Send(ctx(t), b.cfg, message("ada@example.test", "k"))
	require.ErrorContains(t, err, "closed")
}

func TestSendRefusesBadMessages(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{})
	for _, tc := range []struct {
		name  string
		edit  func(*email.Message)
		field string
	}{
		{"no recipient", func(m *email.Message) { m.To = "" }, "to"},
		{"bad recipient", func(m *email.Message) { m.To = "not an address" }, "to"},
		{"header injection in to", func(m *email.Message) { m.To = "a@b.test\r\nBcc: x@y.test" }, "to"},
		{"subject with a line break", func(m *email.Message) { m.Subject = "Hi\r\nBcc: x@y.test" }, "subject"},
		{"empty subject", func(m *email.Message) { m.Subject = " " }, "subject"},
		{"long subject", func(m *email.Message) { m.Subject = strings.Repeat("x", 999) }, "subject"},
		{"no body", func(m *email.Message) { m.HTML, m.Text = "", "" }, "html"},
		{"huge body", func(m *email.Message) { m.HTML = strings.Repeat("x", email.MaxBodyBytes+1) }, "html"},
		{"bad from", func(m *email.Message) { m.From = "Acme" }, "from"},
		{"no message id", func(m *email.Message) { m.MessageID = "" }, "messageId"},
		{"message id with brackets", func(m *email.Message) { m.MessageID = "<a@b>" }, "messageId"},
		{"unsubscribe url not absolute", func(m *email.Message) { m.UnsubscribeURL = "/u/x" }, "unsubscribeUrl"},
		{"unsubscribe url with brackets", func(m *email.Message) { m.UnsubscribeURL = "https://x.test/u/>,<https://evil" }, "unsubscribeUrl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := message("ada@example.test", "k")
			tc.edit(&m)
			_, err := b.sender.Send(ctx(t), b.cfg, m)
			var fe *email.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tc.field, fe.Field, err.Error())
		})
	}
	require.Zero(t, b.srv.Sessions(), "nothing was sent")
}

func TestSendGivesUpWhenContextEnds(t *testing.T) {
	t.Parallel()
	b := setup(t, smtptest.Options{}, email.Options{MaxConns: 1})
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	_, err := b.sender.Send(c, b.cfg, message("ada@example.test", "k"))
	se := sendErr(t, err)
	require.True(t, se.Temporary)
}
