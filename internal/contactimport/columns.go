package contactimport

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/nextflow-dev/nextflow/internal/contact"
	"github.com/nextflow-dev/nextflow/internal/domain"
)

// Contact fields a column can map to. A mapping target is one of these,
// "subscriptions.<channel>", "attributes.<key>", or Ignore.
const (
	FieldExternalID    = "externalId"
	FieldEmail         = "email"
	FieldPhone         = "phone"
	FieldMessengerPSID = "messengerPsid"
	FieldName          = "name"
	FieldFirstName     = "firstName"
	FieldLastName      = "lastName"
	FieldTimezone      = "timezone"
	FieldLocale        = "locale"
	// Ignore leaves a column out of the import.
	Ignore = "ignore"

	subscriptionPrefix = "subscriptions."
	attributePrefix    = "attributes."
)

// defaultFields maps a header, lowercased and stripped of spaces, '_',
// '-' and '.', to the field it fills when the upload names no mapping for
// it.
var defaultFields = map[string]string{
	"externalid": FieldExternalID, "userid": FieldExternalID, "id": FieldExternalID, "customerid": FieldExternalID,
	"email": FieldEmail, "emailaddress": FieldEmail,
	"phone": FieldPhone, "phonenumber": FieldPhone, "mobile": FieldPhone,
	"messengerpsid": FieldMessengerPSID, "psid": FieldMessengerPSID,
	"name": FieldName, "fullname": FieldName,
	"firstname": FieldFirstName, "lastname": FieldLastName,
	"timezone": FieldTimezone, "tz": FieldTimezone,
	"locale": FieldLocale,
}

// subscriptionChannels are the channels a "<channel>_subscribed" header
// sets by default.
var subscriptionChannels = []string{"email", "whatsapp", "messenger", "sms", "push"}

func squash(h string) string {
	return strings.NewReplacer(" ", "", "_", "", "-", "", ".", "").Replace(strings.ToLower(strings.TrimSpace(h)))
}

// defaultTarget is the field a header fills without a mapping.
func defaultTarget(h string) string {
	s := squash(h)
	if f, ok := defaultFields[s]; ok {
		return f
	}
	for _, ch := range subscriptionChannels {
		if s == ch+"subscribed" || s == ch+"subscription" || s == ch+"optin" {
			return subscriptionPrefix + ch
		}
	}
	return attributePrefix + strings.TrimSpace(h)
}

// checkTarget reports what is wrong with a mapping target, "" when nothing.
func checkTarget(t string) string {
	switch t {
	case FieldExternalID, FieldEmail, FieldPhone, FieldMessengerPSID, FieldName, FieldFirstName, FieldLastName,
		FieldTimezone, FieldLocale, Ignore:
		return ""
	}
	if ch, ok := strings.CutPrefix(t, subscriptionPrefix); ok {
		if !contact.ValidChannel(ch) {
			return fmt.Sprintf("subscription channel %q: want lowercase letters, digits and _", ch)
		}
		return ""
	}
	if k, ok := strings.CutPrefix(t, attributePrefix); ok {
		if k == "" || len(k) > 128 {
			return "attribute key: want 1-128 bytes"
		}
		return ""
	}
	return fmt.Sprintf("unknown field %q: want externalId, email, phone, messengerPsid, name, firstName, lastName, timezone, locale, subscriptions.<channel>, attributes.<key> or ignore", t)
}

// CheckColumns checks a columns mapping (CSV header → contact field) as an
// upload names it.
func CheckColumns(columns map[string]string) error {
	for _, h := range sortedKeys(columns) {
		if msg := checkTarget(columns[h]); msg != "" {
			return &InputError{Field: "columns", Message: fmt.Sprintf("column %q: %s", h, msg)}
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// layout is what each column of a file fills.
type layout struct {
	targets []string // per column: a field, "subscriptions.x", "attributes.x" or Ignore
	width   int
}

// newLayout maps a header row. It fails when a column is mapped twice to
// one field, when the mapping names a column the file does not have, or
// when no column gives an external ID or an email.
func newLayout(header []string, columns map[string]string) (*layout, error) {
	l := &layout{targets: make([]string, len(header)), width: len(header)}
	seenHeader := map[string]bool{}
	seenTarget := map[string]string{}
	for i, h := range header {
		name := strings.TrimSpace(h)
		if name == "" {
			l.targets[i] = Ignore
			continue
		}
		if seenHeader[name] {
			return nil, &InputError{Field: "file", Message: fmt.Sprintf("the header names column %q twice", name)}
		}
		seenHeader[name] = true
		t, ok := columns[name]
		if !ok {
			t = defaultTarget(name)
		}
		if t == Ignore {
			l.targets[i] = Ignore
			continue
		}
		if prev, dup := seenTarget[t]; dup {
			return nil, &InputError{Field: "file", Message: fmt.Sprintf("columns %q and %q both fill %s: map one of them elsewhere or to ignore", prev, name, t)}
		}
		seenTarget[t] = name
		l.targets[i] = t
	}
	for _, h := range sortedKeys(columns) {
		if !seenHeader[h] {
			return nil, &InputError{Field: "columns", Message: fmt.Sprintf("the file has no column %q", h)}
		}
	}
	if seenTarget[FieldExternalID] == "" && seenTarget[FieldEmail] == "" {
		return nil, &InputError{Field: "file", Message: "the header has no externalId or email column (a contact is matched by one of them): name a column externalId or email, or map one with columns"}
	}
	return l, nil
}

// input turns one record into contact input. Empty cells leave the field
// as stored.
func (l *layout) input(rec []string) (*contact.Input, error) {
	if len(rec) != l.width {
		return nil, fmt.Errorf("has %d fields, the header has %d", len(rec), l.width)
	}
	in := &contact.Input{}
	var attrs map[string]string
	var first, last string
	for i, v := range rec {
		t := l.targets[i]
		if t == Ignore {
			continue
		}
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		switch t {
		case FieldExternalID:
			in.ExternalID = &v
		case FieldEmail:
			in.Email = &v
		case FieldPhone:
			in.Phone = &v
		case FieldMessengerPSID:
			in.MessengerPSID = &v
		case FieldName:
			in.Name = &v
		case FieldFirstName:
			first = v
		case FieldLastName:
			last = v
		case FieldTimezone:
			in.Timezone = &v
		case FieldLocale:
			in.Locale = &v
		default:
			if ch, ok := strings.CutPrefix(t, subscriptionPrefix); ok {
				state, ok := subscriptionState(v)
				if !ok {
					return nil, fmt.Errorf("%s: %q is not a subscription state (want yes/no, true/false, 1/0, subscribed, unsubscribed or never)", l.header(i), v)
				}
				if in.Subscriptions == nil {
					in.Subscriptions = map[string]contact.SubscriptionInput{}
				}
				in.Subscriptions[ch] = contact.SubscriptionInput{State: state}
				continue
			}
			if attrs == nil {
				attrs = map[string]string{}
			}
			attrs[strings.TrimPrefix(t, attributePrefix)] = v
		}
	}
	if in.Name == nil && (first != "" || last != "") {
		n := strings.TrimSpace(first + " " + last)
		in.Name = &n
	}
	if attrs != nil {
		raw, err := json.Marshal(attrs)
		if err != nil {
			return nil, fmt.Errorf("encode attributes: %w", err)
		}
		in.Attributes = raw
	}
	return in, nil
}

func (l *layout) header(i int) string {
	return strings.TrimPrefix(l.targets[i], subscriptionPrefix) + " subscription"
}

// subscriptionState reads a subscription cell.
func subscriptionState(v string) (string, bool) {
	switch strings.ToLower(v) {
	case "yes", "y", "true", "t", "1", "subscribed", "opt-in", "optin":
		return domain.SubscriptionSubscribed, true
	case "no", "n", "false", "f", "0", "unsubscribed", "opt-out", "optout":
		return domain.SubscriptionUnsubscribed, true
	case "never":
		return domain.SubscriptionNever, true
	}
	return "", false
}
