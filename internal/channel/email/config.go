package email

import (
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// TLSMode is how a connection to the SMTP server is protected.
type TLSMode string

// TLS modes.
const (
	// TLSMandatory upgrades with STARTTLS and fails when the server does
	// not offer it: the default, for submission on port 587.
	TLSMandatory TLSMode = "mandatory"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit TLSMode = "implicit"
	// TLSOpportunistic upgrades with STARTTLS when the server offers it
	// and goes on in clear otherwise (credentials are still never sent in
	// clear).
	TLSOpportunistic TLSMode = "opportunistic"
	// TLSNone never encrypts: only when explicitly chosen, for local test
	// servers and relays on a private network.
	TLSNone TLSMode = "none"
)

// Default ports per mode.
const (
	DefaultPort         = 587
	DefaultImplicitPort = 465
)

// Field limits of a Config.
const (
	maxHostLen     = 253
	maxUserLen     = 256
	maxPasswordLen = 1024
	maxAddressLen  = 320
	maxURLLen      = 2048
)

// Config is an email connection's SMTP server and sender identity, as a
// tenant enters it: an SMTP URL (ParseURL) or the fields one by one.
// Password is a secret: it is never logged (LogValue) and the caller
// stores it encrypted.
type Config struct {
	Host     string  `json:"host"`
	Port     int     `json:"port,omitempty"`
	Username string  `json:"username,omitempty"`
	Password string  `json:"password,omitempty"`
	TLS      TLSMode `json:"tls,omitempty"`
	// From is the default sender, e.g. "Acme <hello@acme.com>".
	From string `json:"from"`
	// ReplyTo is the default Reply-To address (optional).
	ReplyTo string `json:"replyTo,omitempty"`
	// UnsubscribeMailto, when set, is offered in List-Unsubscribe beside
	// the one-click link: a mailbox the tenant reads unsubscribe requests
	// from (optional; RFC 8058 needs only the https link).
	UnsubscribeMailto string `json:"unsubscribeMailto,omitempty"`
}

// FieldError is invalid configuration or message input: the field and
// what is wrong with it.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ParseURL reads an SMTP URL:
//
//	smtp://user:pass@smtp.example.com:587?from=Acme%20<hello@acme.com>   STARTTLS required
//	smtps://user:pass@smtp.example.com?from=…                          implicit TLS, port 465
//	smtp://localhost:1025?tls=none&from=…                              a local test server
//
// Query parameters: tls (mandatory, implicit, opportunistic, none), from,
// replyTo, unsubscribeMailto. The user name and password are
// percent-decoded. The result is normalised and validated (Normalize).
func ParseURL(raw string) (Config, error) {
	if len(raw) > maxURLLen {
		return Config{}, fieldErr("url", "longer than %d bytes", maxURLLen)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return Config{}, fieldErr("url", "not a URL (smtp://user:password@host:587?from=address)")
	}
	var c Config
	switch strings.ToLower(u.Scheme) {
	case "smtp":
	case "smtps":
		c.TLS = TLSImplicit
	default:
		return Config{}, fieldErr("url", "scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return Config{}, fieldErr("url", "must be smtp://user:password@host:port?from=address, without a path")
	}
	c.Host = u.Hostname()
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil {
			return Config{}, fieldErr("port", "%q is not a number", p)
		}
		if c.Port < 1 || c.Port > 65535 {
			return Config{}, fieldErr("port", "must be 1-65535, not %d", c.Port)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return Config{}, fieldErr("port", "is empty")
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, fieldErr("url", "query is not valid: %v", err)
	}
	for k, v := range q {
		if len(v) != 1 {
			return Config{}, fieldErr(k, "given %d times", len(v))
		}
		switch k {
		case "tls":
			mode := TLSMode(strings.ToLower(v[0]))
			if c.TLS == TLSImplicit && mode != TLSImplicit {
				return Config{}, fieldErr("tls", "smtps:// is implicit TLS; use smtp:// for %q", v[0])
			}
			c.TLS = mode
		case "from":
			c.From = v[0]
		case "replyTo":
			c.ReplyTo = v[0]
		case "unsubscribeMailto":
			c.UnsubscribeMailto = v[0]
		default:
			return Config{}, fieldErr("url", "unknown parameter %q (tls, from, replyTo, unsubscribeMailto)", k)
		}
	}
	return c.Normalize()
}

// URL writes c as an SMTP URL that ParseURL reads back; the password is
// in it, so it is for storage, never for display (LogValue is).
func (c Config) URL() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.Port == 0 {
		u.Host = hostForURL(c.Host)
	}
	if c.Username != "" || c.Password != "" {
		u.User = url.UserPassword(c.Username, c.Password)
		if c.Password == "" {
			u.User = url.User(c.Username)
		}
	}
	q := url.Values{}
	if c.TLS == TLSImplicit {
		u.Scheme = "smtps"
	} else if c.TLS != "" {
		q.Set("tls", string(c.TLS))
	}
	for k, v := range map[string]string{"from": c.From, "replyTo": c.ReplyTo, "unsubscribeMailto": c.UnsubscribeMailto} {
		if v != "" {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func hostForURL(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// Normalize fills defaults (TLS mandatory; port 465 for implicit TLS, 587
// otherwise), trims the fields and validates them; the error is a
// *FieldError naming the first bad field.
func (c Config) Normalize() (Config, error) {
	c.Host = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(c.Host), "."))
	c.Host = strings.TrimSuffix(strings.TrimPrefix(c.Host, "["), "]")
	c.From, c.ReplyTo = strings.TrimSpace(c.From), strings.TrimSpace(c.ReplyTo)
	c.UnsubscribeMailto = strings.TrimSpace(c.UnsubscribeMailto)
	if c.TLS == "" {
		c.TLS = TLSMandatory
	}
	c.TLS = TLSMode(strings.ToLower(string(c.TLS)))
	switch c.TLS {
	case TLSMandatory, TLSImplicit, TLSOpportunistic, TLSNone:
	default:
		return c, fieldErr("tls", "must be mandatory (STARTTLS), implicit, opportunistic or none, not %q", c.TLS)
	}
	if c.Port == 0 {
		c.Port = DefaultPort
		if c.TLS == TLSImplicit {
			c.Port = DefaultImplicitPort
		}
	}
	if err := checkHost(c.Host); err != nil {
		return c, err
	}
	if c.Port < 1 || c.Port > 65535 {
		return c, fieldErr("port", "must be 1-65535, not %d", c.Port)
	}
	if len(c.Username) > maxUserLen || !printable(c.Username) {
		return c, fieldErr("username", "must be at most %d printable characters", maxUserLen)
	}
	if len(c.Password) > maxPasswordLen || strings.ContainsAny(c.Password, "\r\n\x00") {
		return c, fieldErr("password", "must be at most %d characters, without line breaks", maxPasswordLen)
	}
	if c.Password != "" && c.Username == "" {
		return c, fieldErr("username", "is required with a password")
	}
	if c.From == "" {
		return c, fieldErr("from", "is required: the default sender, e.g. Acme <hello@acme.com>")
	}
	if _, err := ParseAddress("from", c.From); err != nil {
		return c, err
	}
	if c.ReplyTo != "" {
		if _, err := ParseAddress("replyTo", c.ReplyTo); err != nil {
			return c, err
		}
	}
	if c.UnsubscribeMailto != "" {
		a, err := ParseAddress("unsubscribeMailto", strings.TrimPrefix(c.UnsubscribeMailto, "mailto:"))
		if err != nil {
			return c, err
		}
		c.UnsubscribeMailto = a.Address
	}
	return c, nil
}

// checkHost accepts a DNS name or an IP literal.
func checkHost(h string) error {
	if h == "" {
		return fieldErr("host", "is required")
	}
	if len(h) > maxHostLen {
		return fieldErr("host", "longer than %d characters", maxHostLen)
	}
	if net.ParseIP(h) != nil {
		return nil
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fieldErr("host", "%q is not a host name or IP address", h)
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' {
				return fieldErr("host", "%q is not a host name or IP address", h)
			}
		}
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// ParseAddress parses one RFC 5322 address ("Name <a@b.c>" or "a@b.c"),
// refusing line breaks (header injection) and group syntax; field names
// the input in the error.
func ParseAddress(field, s string) (*mail.Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fieldErr(field, "is empty")
	}
	if len(s) > maxAddressLen {
		return nil, fieldErr(field, "longer than %d characters", maxAddressLen)
	}
	if !printable(s) {
		return nil, fieldErr(field, "contains a line break or control character")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fieldErr(field, "%q is not an email address", s)
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 {
		return nil, fieldErr(field, "%q is not an email address", s)
	}
	return a, nil
}

// addrKey is the pool key part of the transport settings: a changed
// password or TLS mode gets connections of its own.
func (c Config) transport() transportKey {
	return transportKey{host: c.Host, port: c.Port, user: c.Username, pass: c.Password, tls: c.TLS}
}

// LogValue implements slog.LogValuer without the password.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", c.Host), slog.Int("port", c.Port), slog.String("tls", string(c.TLS)),
		slog.String("username", c.Username), slog.Bool("password", c.Password != ""),
	)
}

// Redacted returns c without its password, for responses.
func (c Config) Redacted() Config {
	c.Password = ""
	return c
}

// Addr is host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }
