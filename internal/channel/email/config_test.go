package email_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/email"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	c, err := email.ParseURL("smtp://ada%40acme.test:p%40ss%3Aword@SMTP.Example.com:587?from=Acme%20%3Chello%40acme.test%3E&replyTo=help%40acme.test")
	require.NoError(t, err)
	require.Equal(t, email.Config{Host: "smtp.example.com", Port: 587, Username: "ada@acme.test", Password: "p@ss:word",
		TLS: email.TLSMandatory, From: "Acme <hello@acme.test>", ReplyTo: "help@acme.test"}, c)

	c, err = email.ParseURL("smtps://u:p@mail.example.com?from=a@acme.test")
	require.NoError(t, err)
	require.Equal(t, email.TLSImplicit, c.TLS)
	require.Equal(t, 465, c.Port)

	c, err = email.ParseURL("smtp://127.0.0.1:1025?tls=none&from=a@acme.test&unsubscribeMailto=mailto:unsub@acme.test")
	require.NoError(t, err)
	require.Equal(t, email.TLSNone, c.TLS)
	require.Equal(t, "unsub@acme.test", c.UnsubscribeMailto)

	c, err = email.ParseURL("smtp://[::1]:2525?from=a@acme.test&tls=opportunistic")
	require.NoError(t, err)
	require.Equal(t, "::1", c.Host)
	require.Equal(t, "[::1]:2525", c.Addr())
}

func TestParseURLErrorsNameTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, field, words string }{
		{"http://host?from=a@acme.test", "url", "scheme must be smtp or smtps"},
		{"smtp://?from=a@acme.test", "host", "is required"},
		{"smtp://bad_host!:25?from=a@acme.test", "host", "not a host name"},
		{"smtp://ho st?from=a@acme.test", "url", "not a URL"},
		{"smtp://-host?from=a@acme.test", "host", "not a host name"},
		{"smtp://host:0?from=a@acme.test", "port", "1-65535"},
		{"smtp://host:70000?from=a@acme.test", "port", "1-65535"},
		{"smtp://host:?from=a@acme.test", "port", "is empty"},
		{"smtp://host", "from", "is required"},
		{"smtp://host?from=nobody", "from", "not an email address"},
		{"smtp://host?from=a@acme.test&replyTo=x", "replyTo", "not an email address"},
		{"smtp://host?from=a@acme.test&tls=maybe", "tls", "must be mandatory"},
		{"smtps://host?from=a@acme.test&tls=none", "tls", "smtps:// is implicit TLS"},
		{"smtp://host?from=a@acme.test&from=b@acme.test", "from", "given 2 times"},
		{"smtp://host?from=a@acme.test&bogus=1", "url", `unknown parameter "bogus"`},
		{"smtp://host/path?from=a@acme.test", "url", "without a path"},
		{"smtp://:pw@host?from=a@acme.test", "username", "required with a password"},
		{"smtp://host?from=a@acme.test%0d%0aBcc:x@y.test", "from", "line break"},
		{"smtp://" + strings.Repeat("a", 2050), "url", "longer than"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, err := email.ParseURL(tc.url)
			var fe *email.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			require.Equal(t, tc.field, fe.Field, err.Error())
			require.Contains(t, fe.Message, tc.words)
		})
	}
}

func TestConfigNeverShowsThePassword(t *testing.T) {
	t.Parallel()
	c, err := email.ParseURL("smtp://u:hunter2hunter2@host?from=a@acme.test")
	require.NoError(t, err)
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("connect", "config", c)
	require.NotContains(t, b.String(), "hunter2")
	require.Contains(t, b.String(), "password=true")
	require.Empty(t, c.Redacted().Password)
	require.NotContains(t, fmt.Sprint(c.LogValue()), "hunter2")
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"smtp://u:p@host:587?from=a@acme.test", "smtps://host?from=A%20<a@b.c>", "smtp://[::1]:25?tls=none&from=a@b.c",
		"smtp://u@h?from=a@b.c&replyTo=r@b.c&unsubscribeMailto=x@b.c", "smtp://%zz", "smtp://h:1?tls=opportunistic&from=a@b.c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := email.ParseURL(raw)
		if err != nil {
			var fe *email.FieldError
			require.ErrorAs(t, err, &fe)
			return
		}
		// What parses writes back to a URL that parses to the same.
		again, err := email.ParseURL(c.URL())
		require.NoError(t, err, "URL %q of %q", c.URL(), raw)
		require.Equal(t, c, again)
		n, err := c.Normalize()
		require.NoError(t, err)
		require.Equal(t, c, n, "normalised once is normalised")
	})
}
