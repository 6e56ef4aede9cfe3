package auth

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// SMTPMailer sends invitation emails through the operator's SMTP server
// (the system mailer, not a workspace's email channel).
type SMTPMailer struct {
	host     string
	port     int
	user     string
	password string
	from     string
	ssl      bool
	tls      mail.TLSPolicy
	timeout  time.Duration
}

// NewSMTPMailer parses an SMTP URL:
//
//	smtp://user:pass@host:587?from=NextFlow%20<noreply@example.com>
//	smtps://user:pass@host:465?from=…           (implicit TLS)
//	smtp://localhost:1025?from=…&tls=none       (a local test server)
//
// STARTTLS is required unless tls=opportunistic or tls=none says otherwise.
func NewSMTPMailer(raw string) (*SMTPMailer, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("SMTP URL must look like smtp://user:pass@host:port?from=address")
	}
	m := &SMTPMailer{host: u.Hostname(), ssl: u.Scheme == "smtps", tls: mail.TLSMandatory, timeout: 15 * time.Second}
	m.port = 587
	if m.ssl {
		m.port = 465
	}
	if p := u.Port(); p != "" {
		if m.port, err = strconv.Atoi(p); err != nil || m.port < 1 || m.port > 65535 {
			return nil, fmt.Errorf("SMTP URL port %q is not valid", p)
		}
	}
	if u.User != nil {
		m.user = u.User.Username()
		m.password, _ = u.User.Password()
	}
	q := u.Query()
	m.from = q.Get("from")
	if m.from == "" {
		return nil, fmt.Errorf("SMTP URL needs ?from=sender address")
	}
	switch q.Get("tls") {
	case "", "mandatory":
	case "opportunistic":
		m.tls = mail.TLSOpportunistic
	case "none":
		m.tls = mail.NoTLS
	default:
		return nil, fmt.Errorf("SMTP URL tls must be mandatory, opportunistic or none")
	}
	return m, nil
}

var invitationHTML = template.Must(template.New("invitation").Parse(`<!doctype html>
<html><body style="font-family:sans-serif">
<p>{{if .InviterName}}{{.InviterName}} invited you{{else}}You are invited{{end}} to join <strong>{{.WorkspaceName}}</strong> on NextFlow as {{.Role}}.</p>
<p><a href="{{.AcceptURL}}">Accept the invitation</a></p>
<p style="color:#666">The link works until {{.ExpiresAt.Format "2 Jan 2006 15:04 MST"}}. If you did not expect it, ignore this email.</p>
</body></html>`))

// oneLine drops line breaks (header safety; names are validated already).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// SendInvitation implements Mailer.
func (m *SMTPMailer) SendInvitation(ctx context.Context, inv InvitationMessage) error {
	msg := mail.NewMsg()
	if err := msg.From(m.from); err != nil {
		return fmt.Errorf("invitation email from %q: %w", m.from, err)
	}
	if err := msg.To(inv.To); err != nil {
		return fmt.Errorf("invitation email to %q: %w", inv.To, err)
	}
	ws := oneLine(inv.WorkspaceName)
	subject, lead := fmt.Sprintf("You are invited to %s on NextFlow", ws), "You are invited"
	if name := oneLine(inv.InviterName); name != "" {
		subject, lead = fmt.Sprintf("%s invited you to %s on NextFlow", name, ws), name+" invited you"
	}
	msg.Subject(subject)
	msg.SetMessageID()
	msg.SetDate()
	text := fmt.Sprintf("%s to join %s on NextFlow as %s.\n\nAccept the invitation:\n%s\n\nThe link works until %s. If you did not expect it, ignore this email.\n",
		lead, ws, inv.Role, inv.AcceptURL, inv.ExpiresAt.UTC().Format("2 Jan 2006 15:04 MST"))
	msg.SetBodyString(mail.TypeTextPlain, text)
	var html bytes.Buffer
	if err := invitationHTML.Execute(&html, inv); err != nil {
		return fmt.Errorf("invitation email: %w", err)
	}
	msg.AddAlternativeString(mail.TypeTextHTML, html.String())

	opts := []mail.Option{mail.WithPort(m.port), mail.WithTimeout(m.timeout), mail.WithTLSPolicy(m.tls)}
	if m.ssl {
		opts = append(opts, mail.WithSSL())
	}
	if m.user != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(m.user), mail.WithPassword(m.password))
	}
	c, err := mail.NewClient(m.host, opts...)
	if err != nil {
		return fmt.Errorf("SMTP client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send invitation email via %s:%d: %w", m.host, m.port, err)
	}
	return nil
}
