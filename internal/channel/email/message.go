package email

import (
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wneessen/go-mail"
)

// Message limits.
const (
	// MaxSubjectLen is RFC 5322's line limit.
	MaxSubjectLen = 998
	// MaxPreheaderLen bounds the preview text (inboxes show ~100-150
	// characters).
	MaxPreheaderLen = 1000
	// MaxBodyBytes bounds each body part.
	MaxBodyBytes = 2 << 20
)

// HeaderNextFlowMessageID carries NextFlow's own ID of the message (the
// messages row), so bounces and replies that quote headers can be matched.
const HeaderNextFlowMessageID = "X-NextFlow-Message-ID"

// Message is one email as the sender builds it.
type Message struct {
	// From and ReplyTo default to the connection's; To is required.
	From    string
	ReplyTo string
	To      string
	Subject string
	// Preheader is plain text shown as the preview after the subject; it
	// goes, hidden, at the top of the HTML part.
	Preheader string
	// HTML and Text are the two alternatives; at least one is required.
	// Without Text, a plain-text version is derived from HTML.
	HTML string
	Text string
	// MessageID is the Message-ID without angle brackets (MessageIDFor):
	// the same on every attempt of one logical send.
	MessageID string
	// NextFlowID goes in X-NextFlow-Message-ID (optional).
	NextFlowID string
	// UnsubscribeURL is the one-click link (RFC 8058); when it is https,
	// List-Unsubscribe-Post is added. UnsubscribeMailto (an address) is
	// offered beside it.
	UnsubscribeURL    string
	UnsubscribeMailto string
	// Date defaults to the time of the build.
	Date time.Time
}

// MessageIDFor derives the Message-ID of one logical send from its outbox
// idempotency key (the same on every retry) and the sender's domain:
// 32 hex digits of SHA-256, then @domain.
func MessageIDFor(idempotencyKey, from string) string {
	sum := sha256.Sum256([]byte("nextflow message-id\x00" + idempotencyKey))
	domain := "nextflow.invalid"
	if a, err := ParseAddress("from", from); err == nil {
		domain = strings.ToLower(a.Address[strings.LastIndexByte(a.Address, '@')+1:])
	}
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

var messageIDRe = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_{|}~.-]+@[A-Za-z0-9!#$%&'*+/=?^_{|}~.\[\]:-]+$`)

// Validate checks the message (with defaults applied) field by field.
func (m *Message) Validate() error {
	if _, err := ParseAddress("from", m.From); err != nil {
		return err
	}
	if m.ReplyTo != "" {
		if _, err := ParseAddress("replyTo", m.ReplyTo); err != nil {
			return err
		}
	}
	if _, err := ParseAddress("to", m.To); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		return fieldErr("subject", "is empty")
	case len(m.Subject) > MaxSubjectLen:
		return fieldErr("subject", "longer than %d bytes", MaxSubjectLen)
	case !printable(m.Subject):
		return fieldErr("subject", "contains a line break or control character")
	case !utf8.ValidString(m.Subject):
		return fieldErr("subject", "is not valid UTF-8")
	case len(m.Preheader) > MaxPreheaderLen:
		return fieldErr("preheader", "longer than %d bytes", MaxPreheaderLen)
	case strings.TrimSpace(m.HTML) == "" && strings.TrimSpace(m.Text) == "":
		return fieldErr("html", "an HTML or text body is required")
	case len(m.HTML) > MaxBodyBytes:
		return fieldErr("html", "longer than %d bytes", MaxBodyBytes)
	case len(m.Text) > MaxBodyBytes:
		return fieldErr("text", "longer than %d bytes", MaxBodyBytes)
	case !utf8.ValidString(m.HTML):
		return fieldErr("html", "is not valid UTF-8")
	case !utf8.ValidString(m.Text):
		return fieldErr("text", "is not valid UTF-8")
	case m.MessageID == "" || len(m.MessageID) > 250 || !messageIDRe.MatchString(m.MessageID):
		return fieldErr("messageId", "must be id@domain")
	case len(m.NextFlowID) > 100 || !printable(m.NextFlowID):
		return fieldErr("nextflowId", "must be at most 100 printable characters")
	}
	if m.UnsubscribeURL != "" {
		u, err := url.Parse(m.UnsubscribeURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(m.UnsubscribeURL, "<>, \r\n") {
			return fieldErr("unsubscribeUrl", "must be an absolute http(s) URL")
		}
	}
	if m.UnsubscribeMailto != "" {
		if _, err := ParseAddress("unsubscribeMailto", m.UnsubscribeMailto); err != nil {
			return err
		}
	}
	return nil
}

// build turns m into a go-mail message: multipart/alternative with
// text/plain first and text/html last (or the one part there is), the
// preheader hidden at the top of the HTML, a fixed Message-ID and the
// List-Unsubscribe headers.
func (m *Message) build() (*mail.Msg, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		return nil, fieldErr("from", "%q is not an email address", m.From)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fieldErr("to", "%q is not an email address", m.To)
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return nil, fieldErr("replyTo", "%q is not an email address", m.ReplyTo)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	if m.Date.IsZero() {
		msg.SetDate()
	} else {
		msg.SetDateWithValue(m.Date)
	}
	if m.NextFlowID != "" {
		msg.SetGenHeader(mail.Header(HeaderNextFlowMessageID), m.NextFlowID)
	}
	var mailto []string
	if m.UnsubscribeMailto != "" {
		a, _ := ParseAddress("unsubscribeMailto", m.UnsubscribeMailto)
		mailto = []string{"mailto:" + a.Address + "?subject=unsubscribe"}
	}
	switch {
	case strings.HasPrefix(m.UnsubscribeURL, "https://"):
		if err := msg.SetListUnsubscribeOneClick(m.UnsubscribeURL, mailto...); err != nil {
			return nil, fieldErr("unsubscribeUrl", "%v", err)
		}
	case m.UnsubscribeURL != "":
		// RFC 8058 one-click needs https; a plain http link (a local
		// install) is still offered, without the POST promise.
		msg.SetListUnsubscribe(append([]string{m.UnsubscribeURL}, mailto...)...)
	case len(mailto) > 0:
		msg.SetListUnsubscribe(mailto...)
	}
	htmlBody := m.HTML
	text := m.Text
	if strings.TrimSpace(htmlBody) != "" {
		htmlBody = withPreheader(htmlBody, m.Preheader)
		if strings.TrimSpace(text) == "" {
			text = TextFromHTML(m.HTML)
		}
	}
	switch {
	case strings.TrimSpace(htmlBody) == "":
		msg.SetBodyString(mail.TypeTextPlain, text)
	default:
		msg.SetBodyString(mail.TypeTextPlain, text)
		msg.AddAlternativeString(mail.TypeTextHTML, htmlBody)
	}
	return msg, nil
}

// preheaderPadding keeps inboxes from filling the preview with the start
// of the body after a short preheader.
var preheaderPadding = strings.Repeat("&#847;&zwnj;&nbsp;", 40)

// bodyTagRe finds the opening body tag.
var bodyTagRe = regexp.MustCompile(`(?i)<body(\s[^>]*)?>`)

// withPreheader puts the preheader, escaped and hidden, first in the body.
func withPreheader(doc, preheader string) string {
	preheader = strings.TrimSpace(preheader)
	if preheader == "" {
		return doc
	}
	block := `<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;color:transparent">` +
		html.EscapeString(preheader) + preheaderPadding + `</div>`
	if loc := bodyTagRe.FindStringIndex(doc); loc != nil {
		return doc[:loc[1]] + block + doc[loc[1]:]
	}
	return block + doc
}

var (
	dropBlockRe = regexp.MustCompile(`(?is)<(script|style|head|title)\b[^>]*>.*?</(script|style|head|title)\s*>`)
	commentRe   = regexp.MustCompile(`(?s)<!--.*?-->`)
	linkRe      = regexp.MustCompile(`(?is)<a\b[^>]*?\bhref\s*=\s*["']([^"']*)["'][^>]*>(.*?)</a\s*>`)
	breakRe     = regexp.MustCompile(`(?i)<br\s*/?>|</(p|div|h[1-6]|ul|ol|tr|table|blockquote|pre)\s*>`)
	itemRe      = regexp.MustCompile(`(?i)<li\b[^>]*>`)
	tagRe       = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRe     = regexp.MustCompile(`[ \t\r\f\v]+`)
	blankRe     = regexp.MustCompile(`\n\s*\n(\s*\n)+`)
)

// TextFromHTML derives the plain-text alternative of an HTML body: tags
// dropped, links written "text (url)", block ends as line breaks, entities
// decoded, runs of blank lines folded.
func TextFromHTML(doc string) string {
	s := commentRe.ReplaceAllString(doc, "")
	s = dropBlockRe.ReplaceAllString(s, "")
	s = linkRe.ReplaceAllStringFunc(s, func(a string) string {
		sm := linkRe.FindStringSubmatch(a)
		// Entities stay encoded here; the whole text is decoded once below.
		href, label := strings.TrimSpace(sm[1]), strings.TrimSpace(tagRe.ReplaceAllString(sm[2], ""))
		switch {
		case href == "" || strings.HasPrefix(strings.ToLower(href), "mailto:") && label != "":
			return label
		case label == "" || label == href:
			return href
		}
		return label + " (" + href + ")"
	})
	s = breakRe.ReplaceAllString(s, "\n")
	s = itemRe.ReplaceAllString(s, "\n- ")
	s = tagRe.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = strings.ReplaceAll(s, "\u00a0", " ")
	s = strings.ReplaceAll(s, "\u200c", "")
	s = strings.ReplaceAll(s, "\u034f", "")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(spaceRe.ReplaceAllString(l, " "))
	}
	s = strings.Join(lines, "\n")
	s = blankRe.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s) + "\n"
}
