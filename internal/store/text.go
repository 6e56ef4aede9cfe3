package store

import (
	"bytes"
	"encoding/json"
	"strings"
)

// StorableText returns s with U+0000 and bytes that are not UTF-8 replaced
// by U+FFFD, which every backend stores as text. It is for text the
// engine records from outside (a called service's error), which must be
// stored whatever it holds: refusing it would leave a call that was made
// unrecorded, and made again. Input from API clients is refused instead.
func StorableText(s string) string {
	if strings.IndexByte(s, 0) < 0 && !hasInvalidUTF8(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func hasInvalidUTF8(s string) bool { return strings.ToValidUTF8(s, "") != s }

// StorableJSON returns raw with every \u0000 escape inside its strings
// replaced by \ufffd (PostgreSQL's jsonb cannot hold U+0000), for the same
// outside data as StorableText (a called service's response). A document
// without one is returned as is.
func StorableJSON(raw json.RawMessage) json.RawMessage {
	if !bytes.Contains(raw, []byte(`\u0000`)) {
		return raw
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			out = append(out, c)
			continue
		}
		// An escape: copy it whole, rewriting \u0000.
		if raw[i+1] == 'u' && i+6 <= len(raw) && string(raw[i+2:i+6]) == "0000" {
			out = append(out, `\ufffd`...)
			i += 5
			continue
		}
		out = append(out, c, raw[i+1])
		i++
	}
	return out
}

// LikeEscape escapes the wildcards of a LIKE pattern (%, _) and the escape
// character itself with backslash, for text searched as a substring; both
// dialects' queries use it (SQLite's with ESCAPE '\').
func LikeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
