package email_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/email"
	"github.com/nextflow-dev/nextflow/internal/channel/email/smtptest"
)

// bundle is what a sender test needs: a running server, a sender allowed
// to reach it, and a connection config pointing at it.
type bundle struct {
	srv    *smtptest.Server
	sender *email.Sender
	cfg    email.Config
}

// setup starts an in-process SMTP server with srvOpts and a sender that
// may reach loopback (and trusts the server's certificate).
func setup(t *testing.T, srvOpts smtptest.Options, opts email.Options) *bundle {
	t.Helper()
	srv, err := smtptest.Start(srvOpts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	if opts.Allow == nil {
		opts.Allow = []string{"127.0.0.1"}
	}
	if opts.TLSConfig == nil {
		opts.TLSConfig = srv.ClientTLS
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	sender, err := email.NewSender(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sender.Close() })
	cfg := email.Config{Host: srv.Host, Port: srv.Port, From: "Acme <hello@acme.test>", TLS: email.TLSNone,
		Username: srvOpts.Username, Password: srvOpts.Password}
	switch srvOpts.TLS {
	case smtptest.TLSStartTLS:
		cfg.TLS = email.TLSMandatory
	case smtptest.TLSImplicit:
		cfg.TLS = email.TLSImplicit
	}
	return &bundle{srv: srv, sender: sender, cfg: cfg}
}

// message is a valid message to to, with a Message-ID from key.
func message(to, key string) email.Message {
	return email.Message{
		To:        to,
		Subject:   "Welcome, Ada",
		Preheader: "Your account is ready",
		HTML:      `<html><body><h1>Hello Ada</h1><p>Visit <a href="https://acme.test/start?a=1&amp;b=2">your dashboard</a>.</p></body></html>`,
		Text:      "Hello Ada\n\nVisit your dashboard: https://acme.test/start?a=1&b=2\n",
		MessageID: email.MessageIDFor(key, "hello@acme.test"),
	}
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// sendErr asserts err is a *email.SendError and returns it.
func sendErr(t *testing.T, err error) *email.SendError {
	t.Helper()
	require.Error(t, err)
	var se *email.SendError
	require.ErrorAs(t, err, &se, "error %v", err)
	return se
}
