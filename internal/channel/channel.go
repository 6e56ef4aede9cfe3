// Package channel manages a tenant's messaging channels: connections to
// providers (SMTP, the WhatsApp Cloud API, Messenger) with their secrets
// sealed by the process keyring, message templates in Liquid, and their
// previews. The senders (packages channel/email, channel/whatsapp,
// channel/messenger) open connections through Resolve; their probes are
// registered here as Probers for the "test connection" action.
package channel

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// Limits of a connection's fields.
const (
	MaxNameLen        = 100
	MaxSecretLen      = 4096
	maxFieldLen       = 320
	maxHostLen        = 253
	DefaultWARate     = 80
	maxWARate         = 1000
	DefaultSMTPPort   = 587
	implicitSMTPPort  = 465
	maxSMTPURLLen     = 2048
	maxStatusMsgBytes = 1000
)

// Secret names per channel kind.
const (
	SecretPassword    = "password"
	SecretAccessToken = "accessToken"
	SecretAppSecret   = "appSecret"
	SecretVerifyToken = "verifyToken"
	SecretPageToken   = "pageToken"
)

// SecretNames lists the secrets a connection of kind may hold.
func SecretNames(kind domain.ChannelKind) []string {
	switch kind {
	case domain.ChannelEmail:
		return []string{SecretPassword}
	case domain.ChannelWhatsApp:
		return []string{SecretAccessToken, SecretAppSecret, SecretVerifyToken}
	case domain.ChannelMessenger:
		return []string{SecretPageToken, SecretAppSecret, SecretVerifyToken}
	}
	return nil
}

// requiredSecrets are the secrets a connection cannot work without.
func requiredSecrets(kind domain.ChannelKind) []string {
	switch kind {
	case domain.ChannelWhatsApp:
		return []string{SecretAccessToken}
	case domain.ChannelMessenger:
		return []string{SecretPageToken}
	}
	return nil
}

// TLS modes of an email connection.
const (
	// TLSMandatory upgrades with STARTTLS and fails without it (default).
	TLSMandatory = "mandatory"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit = "implicit"
	// TLSOpportunistic upgrades when the server offers STARTTLS.
	TLSOpportunistic = "opportunistic"
	// TLSNone never encrypts; only when chosen explicitly.
	TLSNone = "none"
)

// TLSModes lists the TLS modes of an email connection.
var TLSModes = []string{TLSMandatory, TLSImplicit, TLSOpportunistic, TLSNone}

// Config is a connection's non-secret settings. Which fields apply depends
// on the kind; the others are empty.
type Config struct {
	// Email: the SMTP server, how it is protected, and the default sender.
	Host     string `json:"host,omitempty"`
	Port     int    `json:"port,omitempty"`
	Username string `json:"username,omitempty"`
	TLS      string `json:"tls,omitempty"`
	From     string `json:"from,omitempty"`
	FromName string `json:"fromName,omitempty"`
	ReplyTo  string `json:"replyTo,omitempty"`

	// WhatsApp: the Cloud API phone number, its business account
	// (optional) and the send rate (messages per second, default 80).
	PhoneNumberID     string `json:"phoneNumberId,omitempty"`
	BusinessAccountID string `json:"businessAccountId,omitempty"`
	MessagesPerSecond int    `json:"messagesPerSecond,omitempty"`

	// Messenger: the Facebook Page.
	PageID string `json:"pageId,omitempty"`
}

// InvalidError is bad input naming the field ("config.host",
// "secrets.accessToken", "name").
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, format string, args ...any) *InvalidError {
	return &InvalidError{Field: field, Message: fmt.Sprintf(format, args...)}
}

var digitsRe = regexp.MustCompile(`^[0-9]{1,32}$`)

// checkText refuses text that cannot be stored or shown safely.
func checkText(field, s string, maxLen int) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return invalid(field, "must be valid UTF-8 text without NUL")
	}
	if len(s) > maxLen {
		return invalid(field, "must be at most %d bytes", maxLen)
	}
	if strings.ContainsAny(s, "\r\n") {
		return invalid(field, "must be one line")
	}
	return nil
}

// ParseSMTPURL reads an SMTP URL into c and returns the password it
// carries, if any: smtp://user:pass@host:port (STARTTLS required),
// smtps://… (implicit TLS); ?tls=opportunistic|none|mandatory|implicit
// overrides the mode.
func ParseSMTPURL(raw string, c *Config) (password string, err error) {
	const field = "config.smtpUrl"
	if len(raw) > maxSMTPURLLen {
		return "", invalid(field, "must be at most %d bytes", maxSMTPURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", invalid(field, "is not a URL")
	}
	switch u.Scheme {
	case "smtp":
		c.TLS = TLSMandatory
	case "smtps":
		c.TLS = TLSImplicit
	default:
		return "", invalid(field, "must start with smtp:// or smtps://")
	}
	if mode := u.Query().Get("tls"); mode != "" {
		c.TLS = mode
	}
	c.Host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return "", invalid(field, "port must be a number")
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		password, _ = u.User.Password()
	}
	return password, nil
}

// normalize checks and completes a config of kind, clearing the fields of
// other kinds.
func normalize(kind domain.ChannelKind, c Config) (Config, error) {
	switch kind {
	case domain.ChannelEmail:
		out := Config{Host: strings.TrimSpace(c.Host), Port: c.Port, Username: c.Username, TLS: c.TLS,
			From: strings.TrimSpace(c.From), FromName: strings.TrimSpace(c.FromName), ReplyTo: strings.TrimSpace(c.ReplyTo)}
		if out.Host == "" {
			return out, invalid("config.host", "is required")
		}
		if err := checkText("config.host", out.Host, maxHostLen); err != nil {
			return out, err
		}
		if strings.ContainsAny(out.Host, " /?#@") {
			return out, invalid("config.host", "must be a host name or IP address")
		}
		if out.TLS == "" {
			out.TLS = TLSMandatory
		}
		if !slices.Contains(TLSModes, out.TLS) {
			return out, invalid("config.tls", "must be one of %s", strings.Join(TLSModes, ", "))
		}
		if out.Port == 0 {
			out.Port = DefaultSMTPPort
			if out.TLS == TLSImplicit {
				out.Port = implicitSMTPPort
			}
		}
		if out.Port < 1 || out.Port > 65535 {
			return out, invalid("config.port", "must be between 1 and 65535")
		}
		if err := checkText("config.username", out.Username, maxFieldLen); err != nil {
			return out, err
		}
		if out.From == "" {
			return out, invalid("config.from", "is required: the default sender address")
		}
		for field, v := range map[string]string{"config.from": out.From, "config.replyTo": out.ReplyTo} {
			if v == "" {
				continue
			}
			if err := checkText(field, v, maxFieldLen); err != nil {
				return out, err
			}
			a, err := mail.ParseAddress(v)
			if err != nil || a.Name != "" {
				return out, invalid(field, "must be an email address (the name goes in fromName)")
			}
		}
		if err := checkText("config.fromName", out.FromName, maxFieldLen); err != nil {
			return out, err
		}
		return out, nil
	case domain.ChannelWhatsApp:
		out := Config{PhoneNumberID: strings.TrimSpace(c.PhoneNumberID), BusinessAccountID: strings.TrimSpace(c.BusinessAccountID),
			MessagesPerSecond: c.MessagesPerSecond}
		if !digitsRe.MatchString(out.PhoneNumberID) {
			return out, invalid("config.phoneNumberId", "is required: the Cloud API phone number ID (digits)")
		}
		if out.BusinessAccountID != "" && !digitsRe.MatchString(out.BusinessAccountID) {
			return out, invalid("config.businessAccountId", "must be digits")
		}
		if out.MessagesPerSecond == 0 {
			out.MessagesPerSecond = DefaultWARate
		}
		if out.MessagesPerSecond < 1 || out.MessagesPerSecond > maxWARate {
			return out, invalid("config.messagesPerSecond", "must be between 1 and %d", maxWARate)
		}
		return out, nil
	case domain.ChannelMessenger:
		out := Config{PageID: strings.TrimSpace(c.PageID)}
		if !digitsRe.MatchString(out.PageID) {
			return out, invalid("config.pageId", "is required: the Facebook Page ID (digits)")
		}
		return out, nil
	}
	return c, invalid("kind", "must be one of email, whatsapp, messenger")
}

// checkSecrets refuses unknown secrets and bad values.
func checkSecrets(kind domain.ChannelKind, secrets map[string]string) error {
	allowed := SecretNames(kind)
	for name, v := range secrets {
		if !slices.Contains(allowed, name) {
			return invalid("secrets."+name, "is not a secret of a %s connection (%s)", kind, strings.Join(allowed, ", "))
		}
		if len(v) > MaxSecretLen {
			return invalid("secrets."+name, "must be at most %d bytes", MaxSecretLen)
		}
		if !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n") {
			return invalid("secrets."+name, "must be one line of text")
		}
	}
	return nil
}

// Resolved is a connection with its secrets opened, for the senders and
// probes. It never leaves the process except towards the provider.
type Resolved struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Kind     domain.ChannelKind
	Name     string
	Config   Config
	Secrets  map[string]string
}

// Secret returns a secret's value, "" when it is not set.
func (r *Resolved) Secret(name string) string { return r.Secrets[name] }

// Prober tests a connection with the provider ("test connection"). Its
// error's text is shown to the user as the reason the test failed, so it
// says what failed in words ("the SMTP server refused the password").
type Prober func(ctx context.Context, c *Resolved) error

// ErrNoProber: no probe is registered for the connection's kind.
var ErrNoProber = errors.New("no connection test for this channel")
