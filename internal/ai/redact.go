package ai

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Bounds of a Redactor.
const (
	// maxRedactValues bounds the values one Redactor blanks.
	maxRedactValues = 200
	// minRedactValueLen: shorter values ("1", "no") are left, as blanking
	// them would blank half the text.
	minRedactValueLen = 3
	maxRedactValueLen = 2000
	maxRedactDepth    = 8
)

// Redacted replaces what a Redactor blanks.
const Redacted = "[redacted]"

var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	// phonePattern finds phone-like runs; phone keeps those with a leading
	// + or at least 9 digits (a date or an amount has fewer).
	phonePattern = regexp.MustCompile(`\+?\(?\d[\d\s().-]{5,}\d`)
)

// Redactor blanks personal data from what AI steps record (prompts,
// answers, the step detail): the values of the fields a workspace named
// in its AI settings (RedactFields), wherever they appear in the
// execution context, and, when the workspace asks for it (RedactPII),
// every email address and phone number. What is sent to the provider is
// not changed; only what NextFlow keeps and shows is. The zero value
// blanks nothing.
type Redactor struct {
	fields map[string]bool
	// values are blanked wherever they occur, longest first.
	values []string
	pii    bool
}

// NewRedactor builds a Redactor for the named fields, collecting their
// values from data (the execution context: contact attributes, trigger
// payload, step outputs; bounded in depth and count).
func NewRedactor(fields []string, data any, pii bool) *Redactor {
	r := &Redactor{fields: map[string]bool{}, pii: pii}
	for _, f := range fields {
		r.fields[strings.ToLower(f)] = true
	}
	if len(r.fields) > 0 {
		r.collect(data, 0)
	}
	slices.SortFunc(r.values, func(a, b string) int { return len(b) - len(a) })
	r.values = slices.Compact(r.values)
	return r
}

// RedactorOf rebuilds a Redactor from its parts (Values, PII), as kept in
// a step's stored request.
func RedactorOf(fields, values []string, pii bool) *Redactor {
	r := &Redactor{fields: map[string]bool{}, values: slices.Clone(values), pii: pii}
	for _, f := range fields {
		r.fields[strings.ToLower(f)] = true
	}
	slices.SortFunc(r.values, func(a, b string) int { return len(b) - len(a) })
	return r
}

// Values returns the collected values to blank.
func (r *Redactor) Values() []string { return slices.Clone(r.values) }

// PII reports whether emails and phone numbers are blanked.
func (r *Redactor) PII() bool { return r != nil && r.pii }

func (r *Redactor) collect(v any, depth int) {
	if depth > maxRedactDepth || len(r.values) >= maxRedactValues {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if r.fields[strings.ToLower(k)] {
				r.add(val)
			}
			r.collect(val, depth+1)
		}
	case []any:
		for _, val := range x {
			r.collect(val, depth+1)
		}
	}
}

func (r *Redactor) add(v any) {
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		if n := utf8.RuneCountInString(s); n >= minRedactValueLen && len(s) <= maxRedactValueLen && len(r.values) < maxRedactValues {
			r.values = append(r.values, s)
		}
	case []any:
		for _, val := range x {
			r.add(val)
		}
	}
}

// Redact blanks s.
func (r *Redactor) Redact(s string) string {
	if r == nil || s == "" {
		return s
	}
	for _, v := range r.values {
		s = strings.ReplaceAll(s, v, Redacted)
	}
	if r.pii {
		s = emailPattern.ReplaceAllString(s, Redacted)
		s = phonePattern.ReplaceAllStringFunc(s, func(m string) string {
			digits := 0
			for _, c := range m {
				if c >= '0' && c <= '9' {
					digits++
				}
			}
			if digits > 15 || (digits < 9 && !strings.HasPrefix(m, "+")) || digits < 7 {
				return m
			}
			return Redacted
		})
	}
	return s
}

// RedactValue blanks a decoded JSON value: the values of named fields
// become Redacted, every string is passed through Redact.
func (r *Redactor) RedactValue(v any) any {
	return r.redactValue(v, 0)
}

func (r *Redactor) redactValue(v any, depth int) any {
	if r == nil || depth > 32 {
		return v
	}
	switch x := v.(type) {
	case string:
		return r.Redact(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if r.fields[strings.ToLower(k)] && val != nil {
				out[k] = Redacted
				continue
			}
			out[k] = r.redactValue(val, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = r.redactValue(val, depth+1)
		}
		return out
	}
	return v
}
