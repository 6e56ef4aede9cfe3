// Package contact checks and normalises contact data before it reaches the
// store (emails lowercase, phones in E.164, IANA timezones, BCP 47 locales,
// attributes as a size-limited JSON object, subscription states), maps
// Segment-style traits to an upsert, and renders a stored contact as
// expressions and templates see it (View).
package contact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // timezone data for machines without /usr/share/zoneinfo
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/language"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// DefaultMaxAttributesBytes is the size limit of a contact's attributes
// (the JSON object, compacted).
const DefaultMaxAttributesBytes = 32 << 10

// Field length limits.
const (
	MaxExternalIDLen = 255
	MaxEmailLen      = 254
	MaxNameLen       = 256
	MaxPSIDLen       = 64
	MaxChannelLen    = 32
	MaxSourceLen     = 64
)

// ErrNoIdentity: a contact needs an external ID or an email to be matched.
var ErrNoIdentity = errors.New("a contact needs an externalId or an email")

// FieldError is invalid contact input: which field and what was wrong.
type FieldError struct {
	Field   string
	Message string
	// TooLarge marks a size limit that was passed (the API answers 413 for
	// a body over its limit and 422 for this).
	TooLarge bool
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// SubscriptionInput sets a contact's state on one channel.
type SubscriptionInput struct {
	State  string `json:"state"`
	Source string `json:"source,omitempty"`
	// At defaults to the time of the upsert.
	At *time.Time `json:"at,omitempty"`
}

// Input is a contact as clients send it (the contacts API, the events
// API's contact object, an import row). Nil fields keep what is stored.
type Input struct {
	ExternalID    *string                      `json:"externalId,omitempty"`
	Email         *string                      `json:"email,omitempty"`
	Phone         *string                      `json:"phone,omitempty"`
	MessengerPSID *string                      `json:"messengerPsid,omitempty"`
	Name          *string                      `json:"name,omitempty"`
	Timezone      *string                      `json:"timezone,omitempty"`
	Locale        *string                      `json:"locale,omitempty"`
	Attributes    json.RawMessage              `json:"attributes,omitempty"`
	Subscriptions map[string]SubscriptionInput `json:"subscriptions,omitempty"`
}

// Options tune Params and FromTraits.
type Options struct {
	// Now stamps subscriptions without a time (default time.Now()).
	Now time.Time
	// Source names what set subscriptions without a source ("api",
	// "segment", "import"…).
	Source string
	// SeenAt, when set, moves the contact's last_seen_at forward.
	SeenAt *time.Time
	// MaxAttributesBytes limits attributes (default DefaultMaxAttributesBytes).
	MaxAttributesBytes int
}

func (o Options) maxAttrs() int {
	if o.MaxAttributesBytes > 0 {
		return o.MaxAttributesBytes
	}
	return DefaultMaxAttributesBytes
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now().UTC()
	}
	return o.Now.UTC()
}

// Params checks and normalises in into upsert parameters for tenantID. It
// fails with ErrNoIdentity when in has neither external ID nor email, and
// with a *FieldError naming the first bad field.
func Params(tenantID uuid.UUID, in *Input, o Options) (*store.ContactUpsertParams, error) {
	p := &store.ContactUpsertParams{TenantID: tenantID, LastSeenAt: o.SeenAt, MaxAttributesBytes: o.maxAttrs()}
	var err error
	if in.ExternalID != nil {
		v, err := NormalizeExternalID(*in.ExternalID)
		if err != nil {
			return nil, err
		}
		p.ExternalID = &v
	}
	if in.Email != nil {
		v, err := NormalizeEmail(*in.Email)
		if err != nil {
			return nil, err
		}
		p.Email = &v
	}
	if p.ExternalID == nil && p.Email == nil {
		return nil, ErrNoIdentity
	}
	if p.Phone, err = optional(in.Phone, NormalizePhone); err != nil {
		return nil, err
	}
	if p.MessengerPSID, err = optional(in.MessengerPSID, NormalizePSID); err != nil {
		return nil, err
	}
	if in.Name != nil {
		v, err := NormalizeName(*in.Name)
		if err != nil {
			return nil, err
		}
		p.Name = &v
	}
	if in.Timezone != nil {
		v, err := NormalizeTimezone(*in.Timezone)
		if err != nil {
			return nil, err
		}
		p.Timezone = &v
	}
	if in.Locale != nil {
		v, err := NormalizeLocale(*in.Locale)
		if err != nil {
			return nil, err
		}
		p.Locale = &v
	}
	if len(in.Attributes) > 0 {
		attrs, err := CheckAttributes(in.Attributes, o.maxAttrs())
		if err != nil {
			return nil, err
		}
		p.Attributes = attrs
	}
	if len(in.Subscriptions) > 0 {
		p.Subscriptions = make(map[string]domain.Subscription, len(in.Subscriptions))
		for ch, s := range in.Subscriptions {
			sub, err := Subscription(ch, s, o)
			if err != nil {
				return nil, err
			}
			p.Subscriptions[ch] = sub
		}
	}
	return p, nil
}

// optional normalises an optional field; an empty value clears it (the
// store keeps "" as NULL for phone and PSID).
func optional(v *string, norm func(string) (string, error)) (*string, error) {
	if v == nil {
		return nil, nil
	}
	if strings.TrimSpace(*v) == "" {
		empty := ""
		return &empty, nil
	}
	out, err := norm(*v)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// NormalizeExternalID trims the ID and checks it is 1-255 characters of
// valid, printable UTF-8.
func NormalizeExternalID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fieldErr("externalId", "must not be empty")
	}
	if err := printable(s, MaxExternalIDLen); err != nil {
		return "", fieldErr("externalId", "%s", err)
	}
	return s, nil
}

// NormalizeEmail trims and lowercases an email address and checks its
// syntax (a bare address, no display name).
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", fieldErr("email", "must not be empty")
	}
	if len(s) > MaxEmailLen {
		return "", fieldErr("email", "longer than %d bytes", MaxEmailLen)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fieldErr("email", "%q is not an email address", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n<>") {
		return "", fieldErr("email", "%q is not an email address", s)
	}
	return s, nil
}

var (
	e164        = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	phoneFiller = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "", "\u00a0", "")
)

// NormalizePhone removes spaces, dashes, dots and parentheses, turns a
// leading 00 into +, and checks the result is E.164 (+ and 2-15 digits,
// no leading zero).
func NormalizePhone(s string) (string, error) {
	v := phoneFiller.Replace(strings.TrimSpace(s))
	if strings.HasPrefix(v, "00") {
		v = "+" + v[2:]
	}
	if !e164.MatchString(v) {
		return "", fieldErr("phone", "%q is not an E.164 number (e.g. +4915112345678)", s)
	}
	return v, nil
}

// NormalizePSID checks a Messenger page-scoped ID (digits).
func NormalizePSID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxPSIDLen || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return "", fieldErr("messengerPsid", "must be up to %d digits", MaxPSIDLen)
	}
	return s, nil
}

// NormalizeName trims a display name and checks its length.
func NormalizeName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if err := printable(s, MaxNameLen); err != nil {
		return "", fieldErr("name", "%s", err)
	}
	return s, nil
}

// NormalizeTimezone checks an IANA zone name ("" clears it). "Local" is
// refused: it means the server's zone.
func NormalizeTimezone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if s == "Local" || len(s) > 64 {
		return "", fieldErr("timezone", "%q is not an IANA timezone (e.g. Europe/Berlin)", s)
	}
	if _, err := time.LoadLocation(s); err != nil {
		return "", fieldErr("timezone", "%q is not an IANA timezone (e.g. Europe/Berlin)", s)
	}
	return s, nil
}

// NormalizeLocale checks a BCP 47 language tag and returns its canonical
// form ("de_de" → "de-DE"; "" clears it).
func NormalizeLocale(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if len(s) > 35 {
		return "", fieldErr("locale", "%q is not a locale (e.g. de-DE)", s)
	}
	tag, err := language.Parse(strings.ReplaceAll(s, "_", "-"))
	if err != nil {
		return "", fieldErr("locale", "%q is not a locale (e.g. de-DE)", s)
	}
	return tag.String(), nil
}

// CheckAttributes checks that raw is a JSON object of at most max bytes
// and returns it compacted. Null values are kept: they delete the key
// when merged.
func CheckAttributes(raw json.RawMessage, max int) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fieldErr("attributes", "must be a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fieldErr("attributes", "invalid JSON: %v", err)
	}
	if max > 0 && buf.Len() > max {
		return nil, &FieldError{Field: "attributes", Message: fmt.Sprintf("%d bytes, limit %d", buf.Len(), max), TooLarge: true}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		return nil, fieldErr("attributes", "must be a JSON object")
	}
	for k := range m {
		if k == "" || len(k) > 128 || !utf8.ValidString(k) {
			return nil, fieldErr("attributes", "key %q: want 1-128 bytes of UTF-8", k)
		}
	}
	return buf.Bytes(), nil
}

var channelPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Subscription checks a channel's subscription input and stamps it.
func Subscription(channel string, in SubscriptionInput, o Options) (domain.Subscription, error) {
	field := "subscriptions." + channel
	if !channelPattern.MatchString(channel) {
		return domain.Subscription{}, fieldErr("subscriptions", "channel %q: want lowercase letters, digits and _ (e.g. email, whatsapp)", channel)
	}
	switch in.State {
	case domain.SubscriptionSubscribed, domain.SubscriptionUnsubscribed, domain.SubscriptionNever:
	default:
		return domain.Subscription{}, fieldErr(field, "state %q: want subscribed, unsubscribed or never", in.State)
	}
	src := strings.TrimSpace(in.Source)
	if src == "" {
		src = o.Source
	}
	if err := printable(src, MaxSourceLen); err != nil {
		return domain.Subscription{}, fieldErr(field, "source: %s", err)
	}
	at := o.now()
	if in.At != nil {
		at = in.At.UTC()
	}
	return domain.Subscription{State: in.State, Source: src, At: at}, nil
}

// ValidSubscriptionState reports whether s is subscribed, unsubscribed or
// never.
func ValidSubscriptionState(s string) bool {
	return s == domain.SubscriptionSubscribed || s == domain.SubscriptionUnsubscribed || s == domain.SubscriptionNever
}

// ValidChannel reports whether s can name a subscription channel.
func ValidChannel(s string) bool { return channelPattern.MatchString(s) }

func printable(s string, max int) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	if len(s) > max {
		return fmt.Errorf("longer than %d bytes", max)
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) }) >= 0 {
		return errors.New("contains control characters")
	}
	return nil
}
