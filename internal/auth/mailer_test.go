package auth

import (
	"bufio"
	"context"
	"io"
	"mime/quotedprintable"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// smtpSink is a minimal SMTP server that records what it is sent.
type smtpSink struct {
	ln   net.Listener
	mu   sync.Mutex
	rcpt []string
	data []string
}

func newSMTPSink(t *testing.T) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &smtpSink{ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	write := func(line string) { _, _ = c.Write([]byte(line + "\r\n")) }
	write("220 sink ready")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			write("250-sink")
			write("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			write("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO"):
			s.mu.Lock()
			s.rcpt = append(s.rcpt, strings.TrimSpace(line))
			s.mu.Unlock()
			write("250 OK")
		case cmd == "DATA":
			write("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.data = append(s.data, b.String())
			s.mu.Unlock()
			write("250 queued")
		case cmd == "QUIT":
			write("221 bye")
			return
		default:
			write("502 not implemented")
		}
	}
}

func TestSMTPMailer(t *testing.T) {
	t.Parallel()
	sink := newSMTPSink(t)
	m, err := NewSMTPMailer("smtp://" + sink.ln.Addr().String() + "?from=NextFlow%20%3Cnoreply@example.com%3E&tls=none")
	require.NoError(t, err)
	err = m.SendInvitation(context.Background(), InvitationMessage{
		To: "bob@example.com", WorkspaceName: "Acme <Corp>", InviterName: "Ada", Role: domain.RoleAdmin,
		AcceptURL: "https://app.example.com/invite?token=abc", ExpiresAt: time.Date(2026, 1, 8, 12, 0, 0, 0, time.UTC),
	})
	require.NoError(t, err)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	require.Len(t, sink.data, 1)
	require.Contains(t, sink.rcpt[0], "bob@example.com")
	decoded, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(sink.data[0])))
	require.NoError(t, err)
	body := string(decoded)
	require.Contains(t, body, "Subject: Ada invited you to Acme <Corp> on NextFlow")
	require.Contains(t, body, "https://app.example.com/invite?token=abc")
	require.Contains(t, body, "Acme &lt;Corp&gt;", "HTML is escaped")
	require.Contains(t, body, "as ADMIN")
}

func TestNewSMTPMailer(t *testing.T) {
	t.Parallel()
	m, err := NewSMTPMailer("smtps://u:p%40ss@mail.example.com?from=a@example.com")
	require.NoError(t, err)
	require.Equal(t, 465, m.port)
	require.True(t, m.ssl)
	require.Equal(t, "p@ss", m.password)
	for _, bad := range []string{"", "http://x", "smtp://host", "smtp://host:99999?from=a@b.c", "smtp://host?from=a@b.c&tls=maybe"} {
		_, err := NewSMTPMailer(bad)
		require.Error(t, err, bad)
	}
}
