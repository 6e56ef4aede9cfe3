package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nextflow-dev/nextflow/internal/contact"
)

// The events API's body (one event, or {"batch": […]}) is read in one
// scan: json.Valid checks it once, then a scanner that trusts the checked
// text walks it, cutting each event into its fields and each event's
// contact object into contact.Input. Values are decoded one by one with
// encoding/json only where the text needs it (escapes, non-ASCII, nested
// objects such as subscriptions), and a contact whose field has the wrong
// type is decoded again as a whole, for the message that names the field.
// What it yields is what decoding the body into maps and each value with
// encoding/json yields: exact (case-sensitive) keys, the last of repeated
// keys, the same errors in the same order.

// BodyError is a body the events API refuses as a whole: Status is 400
// (not JSON, not the shape of an event or a batch) or 413 (over a limit).
type BodyError struct {
	Status  int
	Message string
}

func (e *BodyError) Error() string { return e.Message }

// eventFields are the keys of one event in the events API, in the order
// its problems are reported.
var eventFields = []string{"contact", "name", "properties", "timestamp", "messageId"}

// ParseEventsBody reads the events API's body: one event, or
// {"batch": [...]} of up to MaxItems. An item that is wrong carries its
// problem in Item.Err (or in the contact's, reported when Ingest checks
// the item), so the others are stored; batch says whether the body was a
// batch. A body that is empty, not JSON, not an object, a batch with other
// keys, or a batch that is not an array, empty or too long is refused
// whole.
func ParseEventsBody(body []byte) ([]Item, bool, *BodyError) {
	bad := func(status int, format string, args ...any) *BodyError {
		return &BodyError{Status: status, Message: fmt.Sprintf(format, args...)}
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, false, bad(400, "the body is empty: send one event or {\"batch\": [...]}")
	}
	if !json.Valid(body) {
		return nil, false, bad(400, "the body is not valid JSON")
	}
	if body[0] != '{' {
		return nil, false, bad(400, "the body must be a JSON object: one event or {\"batch\": [...]}")
	}
	var (
		batch   []byte
		isBatch bool
		others  []string
	)
	eachMember(body, func(key, val []byte, _ bool) {
		if string(key) == "batch" {
			batch, isBatch = val, true
		} else if !slices.Contains(others, string(key)) {
			others = append(others, string(key))
		}
	})
	if !isBatch {
		if len(body) > MaxItemBytes {
			return nil, false, bad(413, "the event is %d bytes, limit %d", len(body), MaxItemBytes)
		}
		return []Item{parseEvent(body)}, false, nil
	}
	if len(others) > 0 {
		slices.Sort(others)
		return nil, true, bad(400, "a batch body has only \"batch\"; unknown field(s): %s", strings.Join(others, ", "))
	}
	var elems [][]byte
	switch batch[0] {
	case 'n': // null: no events
	case '[':
		elems = arrayElements(batch)
	default:
		return nil, true, bad(400, "batch must be an array of events")
	}
	if len(elems) == 0 {
		return nil, true, bad(400, "batch is empty")
	}
	if len(elems) > MaxItems {
		return nil, true, bad(413, "the batch has %d events, limit %d", len(elems), MaxItems)
	}
	items := make([]Item, len(elems))
	for i, e := range elems {
		items[i] = parseEvent(e)
	}
	return items, true, nil
}

// parseEvent reads one event of a checked body (raw is its value, without
// surrounding space).
func parseEvent(raw []byte) Item {
	it := Item{Size: len(raw)}
	bad := func(field, msg string) Item {
		it.Err = &ItemError{Field: field, Message: msg}
		return it
	}
	if raw[0] != '{' {
		return bad("", "an event must be a JSON object")
	}
	var (
		vals    [5][]byte // by eventFields
		spaced  [5]bool
		unknown []string
	)
	eachMember(raw, func(key, val []byte, sp bool) {
		if i := fieldIndex(eventFields, key); i >= 0 {
			vals[i], spaced[i] = val, sp
		} else if !slices.Contains(unknown, string(key)) {
			unknown = append(unknown, string(key))
		}
	})
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return bad(unknown[0], fmt.Sprintf("unknown field(s) %s: an event has %s", strings.Join(unknown, ", "), strings.Join(eventFields, ", ")))
	}
	var ok bool
	if it.Name, ok = stringValue(vals[1]); !ok {
		return bad("name", "must be a string")
	}
	if it.Timestamp, ok = stringValue(vals[3]); !ok {
		return bad("timestamp", "must be an RFC 3339 string")
	}
	if it.MessageID, ok = stringValue(vals[4]); !ok {
		return bad("messageId", "must be a string")
	}
	if vals[2] != nil {
		it.Properties = vals[2]
		it.propsCompact = !spaced[2]
	}
	c := vals[0]
	if c == nil || string(c) == "null" {
		return bad("contact", "is required: an object with an externalId or an email")
	}
	it.Contact = c
	it.parsedContact, it.contactErr = parseContact(c)
	return it
}

// contactFieldOf is the contact.Input field each key of contactFields
// fills.
func contactFieldOf(in *contact.Input, i int) **string {
	switch contactFields[i] {
	case "externalId":
		return &in.ExternalID
	case "email":
		return &in.Email
	case "phone":
		return &in.Phone
	case "messengerPsid":
		return &in.MessengerPSID
	case "name":
		return &in.Name
	case "timezone":
		return &in.Timezone
	case "locale":
		return &in.Locale
	}
	return nil
}

// parseContact reads the events API's contact object of a checked body
// as decodeContact does (index 0: Ingest sets the item's).
func parseContact(raw []byte) (*contact.Input, *ItemError) {
	if raw[0] != '{' {
		return decodeContact(0, raw)
	}
	var (
		vals    [9][]byte // by contactFields
		unknown bool
	)
	eachMember(raw, func(key, val []byte, _ bool) {
		if i := fieldIndex(contactFields, key); i >= 0 {
			vals[i] = val
		} else {
			unknown = true
		}
	})
	if unknown {
		return decodeContact(0, raw) // names the unknown fields
	}
	in := &contact.Input{}
	for i, v := range vals {
		if v == nil {
			continue
		}
		switch contactFields[i] {
		case "attributes":
			in.Attributes = append(json.RawMessage(nil), v...)
		case "subscriptions":
			if json.Unmarshal(v, &in.Subscriptions) != nil {
				return decodeContact(0, raw) // names the field
			}
		default:
			if string(v) == "null" {
				continue
			}
			s, ok := stringValue(v)
			if !ok {
				return decodeContact(0, raw) // names the field
			}
			*contactFieldOf(in, i) = &s
		}
	}
	return in, nil
}

// stringValue decodes a JSON string of a checked body: "" for an absent
// value or null, false for a value that is not a string.
func stringValue(v []byte) (string, bool) {
	if v == nil || string(v) == "null" {
		return "", true
	}
	if v[0] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var s string
	return s, json.Unmarshal(v, &s) == nil
}

// fieldIndex is the index of key among fields, -1 if absent.
func fieldIndex(fields []string, key []byte) int {
	for i, f := range fields {
		if string(key) == f {
			return i
		}
	}
	return -1
}

// eachMember calls fn with each member of the object obj (checked JSON):
// its key decoded, its value as sent and whether the value holds
// whitespace outside strings.
func eachMember(obj []byte, fn func(key, val []byte, spaced bool)) {
	i := skipSpace(obj, 1)
	for i < len(obj) && obj[i] != '}' {
		ks := i
		i = skipString(obj, i)
		key := obj[ks:i]
		i = skipSpace(obj, i) + 1 // ':'
		i = skipSpace(obj, i)
		vs := i
		var spaced bool
		i, spaced = skipValue(obj, i)
		fn(keyBytes(key), obj[vs:i], spaced)
		i = skipSpace(obj, i)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
}

// arrayElements returns the elements of the array arr (checked JSON).
func arrayElements(arr []byte) [][]byte {
	var out [][]byte
	i := skipSpace(arr, 1)
	for i < len(arr) && arr[i] != ']' {
		s := i
		i, _ = skipValue(arr, i)
		out = append(out, arr[s:i])
		i = skipSpace(arr, i)
		if i < len(arr) && arr[i] == ',' {
			i = skipSpace(arr, i+1)
		}
	}
	return out
}

// keyBytes decodes a quoted key; one without escapes is not copied.
func keyBytes(q []byte) []byte {
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return inner
	}
	if s, ok := stringValue(q); ok {
		return []byte(s)
	}
	return inner
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index after the string starting at b[i] ('"').
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipValue returns the index after the value starting at b[i] (checked
// JSON), and whether an object or array there holds whitespace outside
// its strings.
func skipValue(b []byte, i int) (int, bool) {
	switch b[i] {
	case '"':
		return skipString(b, i), false
	case '{', '[':
		depth, spaced := 0, false
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, spaced
				}
			case ' ', '\t', '\n', '\r':
				spaced = true
			}
		}
		return i, spaced
	}
	// A number, true, false or null.
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i, false
		}
		i++
	}
	return i, false
}
