package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Text hygiene: every string a client sends (query parameters, JSON
// bodies of every route including workflow definitions, execution inputs
// and webhook payloads) is checked here, once, before any handler runs.
// PostgreSQL cannot store U+0000 in text or jsonb nor invalid UTF-8, and
// SQLite would store them silently, so both are refused on both backends
// alike with a 422 naming the field, e.g. "body.name: contains a NUL
// character". Lengths are checked by each field's maxLength, which counts
// characters (runes), as the text columns and the services do.

// maxWorkflowName is a workflow name's limit in characters (its
// maxLength); a duplicate's name is cut to it with TruncateRunes.
const maxWorkflowName = 200

// maxTextIssues bounds the errors one 422 lists.
const maxTextIssues = 20

// maxJSONDepth bounds the nesting the scan follows; deeper bodies are left
// to the JSON decoder, which refuses them.
const maxJSONDepth = 512

// Messages of text problems.
const (
	msgNUL         = "contains a NUL character"
	msgInvalidUTF8 = "is not valid UTF-8"
	msgSurrogate   = "contains an unpaired UTF-16 surrogate escape"
)

// textIssue is one refused string.
type textIssue struct {
	Location string
	Message  string
}

// TextMessage returns why s cannot be stored as text ("" when it can):
// it contains U+0000 or is not valid UTF-8.
func TextMessage(s string) string {
	switch {
	case !utf8.ValidString(s):
		return msgInvalidUTF8
	case strings.IndexByte(s, 0) >= 0:
		return msgNUL
	}
	return ""
}

// TruncateRunes returns s cut to at most n characters, never inside one.
func TruncateRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// TextHygiene refuses a request whose query parameters or JSON body carry
// a string that is not valid UTF-8 or contains U+0000 (also written as
// the escape \u0000, or an unpaired surrogate escape), with one 422 problem
// listing every such field. The User-Agent header, which is stored with
// sessions, is made valid rather than refused. The body is read once and
// handed on unchanged (webhook signatures cover the raw bytes); a body
// that is not JSON is left to the operation to refuse.
func TextHygiene(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ua := r.Header.Get("User-Agent"); ua != "" && TextMessage(ua) != "" {
			r.Header.Set("User-Agent", strings.ReplaceAll(strings.ToValidUTF8(ua, "\uFFFD"), "\x00", "\uFFFD"))
		}
		issues := queryIssues(r.URL.RawQuery)
		if r.Body != nil && r.Body != http.NoBody && len(issues) < maxTextIssues {
			body, err := io.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				// Too large or cut off: hand on what was read and the error,
				// so the operation answers as it would have (413, 400).
				r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
			} else {
				r.Body = io.NopCloser(bytes.NewReader(body))
				issues = append(issues, bodyIssues(body)...)
			}
		}
		if len(issues) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		writeTextProblem(w, issues)
	})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// queryIssues checks every query parameter, names and values.
func queryIssues(raw string) []textIssue {
	if raw == "" {
		return nil
	}
	var issues []textIssue
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue // a bad escape: the operation refuses it
		}
		loc := "query." + printable(key)
		if m := TextMessage(key); m != "" {
			issues = append(issues, textIssue{loc, "name " + m})
		} else if m := TextMessage(val); m != "" {
			issues = append(issues, textIssue{loc, m})
		}
		if len(issues) == maxTextIssues {
			break
		}
	}
	return issues
}

// printable makes a client-sent name safe to echo in a location.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", `\u0000`)
}

// bodyIssues scans a JSON body; a body that is not JSON gives none.
func bodyIssues(body []byte) []textIssue {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	sc := &jsonScan{b: body, path: make([]pathStep, 0, 16)}
	sc.skipSpace()
	if !sc.value(0) {
		return nil
	}
	return sc.issues
}

// jsonScan walks a JSON document and records strings (keys and values)
// that cannot be stored as text, with the path to each. The path is kept
// as the raw keys and indexes leading to the value; a location is only
// spelled out (keys decoded) for a string that is refused, so a clean body
// is scanned without allocating.
type jsonScan struct {
	b      []byte
	i      int
	path   []pathStep
	issues []textIssue
}

// pathStep is one step of a location: an object key as sent (the quoted
// string) or, when key is nil, an array index.
type pathStep struct {
	key   []byte
	index int
}

func (s *jsonScan) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// add records an issue at the current path.
func (s *jsonScan) add(msg string) {
	if len(s.issues) < maxTextIssues {
		s.issues = append(s.issues, textIssue{s.location(), msg})
	}
}

// location spells out the current path ("body.a.b[2]").
func (s *jsonScan) location() string {
	var b strings.Builder
	b.WriteString("body")
	for _, st := range s.path {
		if st.key == nil {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(st.index))
			b.WriteByte(']')
			continue
		}
		b.WriteByte('.')
		b.WriteString(printable(keyText(st.key)))
	}
	return b.String()
}

// keyText decodes a quoted key for naming it; a key the decoder refuses
// (a raw control character) is named by its bytes as sent.
func keyText(raw []byte) string {
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw[1 : len(raw)-1])
	}
	return v
}

// value scans one value at s.i; false on a syntax error or too deep.
func (s *jsonScan) value(depth int) bool {
	if s.i >= len(s.b) || depth > maxJSONDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		s.i++
		s.skipSpace()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			return true
		}
		for {
			s.skipSpace()
			start := s.i
			msg, ok := s.str()
			if !ok {
				return false
			}
			s.path = append(s.path, pathStep{key: s.b[start:s.i]})
			if msg != "" {
				s.add("name " + msg)
			}
			s.skipSpace()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return false
			}
			s.i++
			s.skipSpace()
			if !s.value(depth + 1) {
				return false
			}
			s.path = s.path[:len(s.path)-1]
			s.skipSpace()
			if s.i >= len(s.b) {
				return false
			}
			if s.b[s.i] == '}' {
				s.i++
				return true
			}
			if s.b[s.i] != ',' {
				return false
			}
			s.i++
		}
	case c == '[':
		s.i++
		s.skipSpace()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			return true
		}
		for n := 0; ; n++ {
			s.skipSpace()
			s.path = append(s.path, pathStep{index: n})
			if !s.value(depth + 1) {
				return false
			}
			s.path = s.path[:len(s.path)-1]
			s.skipSpace()
			if s.i >= len(s.b) {
				return false
			}
			if s.b[s.i] == ']' {
				s.i++
				return true
			}
			if s.b[s.i] != ',' {
				return false
			}
			s.i++
		}
	case c == '"':
		msg, ok := s.str()
		if ok && msg != "" {
			s.add(msg)
		}
		return ok
	default:
		// A number, true, false or null: up to the next delimiter.
		start := s.i
		for s.i < len(s.b) && !isDelimiter(s.b[s.i]) {
			s.i++
		}
		return s.i > start
	}
}

// str scans a JSON string at s.i and returns why it cannot be stored (""
// if it can), and false on a syntax error: a string the decoder refuses
// (a raw control character, an unknown escape) that is not refused here
// is a syntax error, left to the operation.
func (s *jsonScan) str() (string, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false
	}
	s.i++
	msg := ""
	valid := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return msg, valid || msg != ""
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return "", false
			}
			if e := s.b[s.i+1]; e != 'u' {
				if !strings.ContainsRune(`"\\/bfnrt`, rune(e)) {
					valid = false
				}
				s.i += 2
				continue
			}
			r, ok := hex4(s.b, s.i+2)
			if !ok {
				return "", false
			}
			s.i += 6
			switch {
			case r == 0:
				msg = firstMsg(msg, msgNUL)
			case r >= 0xD800 && r < 0xDC00:
				// A high surrogate must be followed by a low one.
				if lo, ok := hex4(s.b, s.i+2); ok && s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' && lo >= 0xDC00 && lo < 0xE000 {
					s.i += 6
				} else {
					msg = firstMsg(msg, msgSurrogate)
				}
			case r >= 0xDC00 && r < 0xE000:
				msg = firstMsg(msg, msgSurrogate)
			}
		case c < 0x20:
			if c == 0 {
				msg = firstMsg(msg, msgNUL)
			}
			valid = false // a raw control character: the decoder refuses it
			s.i++
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size <= 1 {
				msg = firstMsg(msg, msgInvalidUTF8)
				size = 1
			}
			s.i += size
		}
	}
	return "", false
}

// isDelimiter reports whether c ends a JSON number or literal.
func isDelimiter(c byte) bool {
	switch c {
	case ',', ']', '}', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

func firstMsg(cur, next string) string {
	if cur != "" {
		return cur
	}
	return next
}

// hex4 reads four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// writeTextProblem answers 422 with one error per refused field.
func writeTextProblem(w http.ResponseWriter, issues []textIssue) {
	type detail struct {
		Message  string `json:"message"`
		Location string `json:"location"`
	}
	p := struct {
		Title  string   `json:"title"`
		Status int      `json:"status"`
		Detail string   `json:"detail"`
		Errors []detail `json:"errors"`
	}{Title: http.StatusText(http.StatusUnprocessableEntity), Status: http.StatusUnprocessableEntity}
	names := make([]string, 0, len(issues))
	for _, is := range issues {
		p.Errors = append(p.Errors, detail{Message: is.Message, Location: is.Location})
		names = append(names, strings.TrimPrefix(strings.TrimPrefix(is.Location, "body."), "query.")+": "+is.Message)
	}
	p.Detail = strings.Join(names, "; ")
	body, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnprocessableEntity)
	_, _ = w.Write(body)
}
