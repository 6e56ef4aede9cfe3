// Package tmpl renders Liquid templates — message subjects and bodies,
// URLs, headers, AI prompts — over the execution context (contact, trigger,
// steps, vars, execution), the syntax Braze, Customer.io and Dittofeed
// users already write: {{ contact.attributes.first_name | default: "there" }}.
//
// Missing variables render empty. RenderHTML escapes every output for HTML
// unless it ends with the raw filter ({{ steps.body.output.html | raw }}).
// Parsed templates are cached in a bounded LRU map inside the Engine.
package tmpl

import (
	"container/list"
	"errors"
	"fmt"
	"html"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/osteele/liquid"
)

// ErrParse is wrapped by errors about template source that does not parse.
var ErrParse = errors.New("invalid template")

// ErrRender is wrapped by errors from rendering a template.
var ErrRender = errors.New("template rendering failed")

// ErrOutputTooLarge is wrapped by render errors when the output exceeds
// Options.MaxOutputBytes.
var ErrOutputTooLarge = errors.New("template output too large")

// escapeFilter is the filter RenderHTML appends to every output.
const escapeFilter = "nf_html_escape"

// Options configures an Engine. Zero fields take the defaults below.
type Options struct {
	// CacheSize is how many parsed templates the Engine keeps (default 1024).
	CacheSize int
	// MaxOutputBytes bounds the rendered output (default 1 MiB).
	MaxOutputBytes int
}

// Engine parses and renders Liquid templates. It is safe for concurrent
// use; create one and share it.
type Engine struct {
	liquid  *liquid.Engine
	opts    Options
	filters map[string]bool // names Parse accepts

	mu    sync.Mutex
	cache map[cacheKey]*list.Element // Value is *cacheEntry
	order *list.List
}

type cacheKey struct {
	src  string
	html bool
}

type cacheEntry struct {
	key cacheKey
	tpl *liquid.Template
}

// New returns an Engine with the standard Liquid filters plus raw (which
// marks an output as safe HTML).
func New(opts Options) *Engine {
	if opts.CacheSize <= 0 {
		opts.CacheSize = 1024
	}
	if opts.MaxOutputBytes <= 0 {
		opts.MaxOutputBytes = 1 << 20
	}
	e := &Engine{liquid: liquid.NewEngine(), opts: opts, filters: map[string]bool{}, cache: map[cacheKey]*list.Element{}, order: list.New()}
	// The standard filters of github.com/osteele/liquid v1.6.
	for _, name := range strings.Fields(`abs append capitalize ceil compact concat date default divided_by
		downcase escape escape_once first floor inspect join json last lstrip map minus modulo newline_to_br
		plus prepend remove remove_first replace replace_first reverse round rstrip size slice sort
		sort_natural split strip strip_html strip_newlines times truncate truncatewords type uniq upcase
		url_decode url_encode`) {
		e.filters[name] = true
	}
	e.RegisterFilter("raw", func(v any) any { return v })
	e.RegisterFilter(escapeFilter, func(v any) string { return html.EscapeString(stringify(v)) })
	return e
}

// RegisterFilter adds a filter (see liquid.Engine.RegisterFilter). Register
// filters before the Engine is shared.
func (e *Engine) RegisterFilter(name string, fn any) {
	e.liquid.RegisterFilter(name, fn)
	e.filters[name] = true
}

// Parse reports whether src is a valid template; the error wraps ErrParse
// and names the line.
func (e *Engine) Parse(src string) error {
	_, err := e.template(src, false)
	return err
}

// Render renders src over data as plain text.
func (e *Engine) Render(src string, data map[string]any) (string, error) {
	return e.render(src, data, false)
}

// RenderHTML renders src over data for an HTML body: each {{ output }} is
// HTML-escaped unless its last filter is raw. Literal template text is
// left as written.
func (e *Engine) RenderHTML(src string, data map[string]any) (string, error) {
	return e.render(src, data, true)
}

func (e *Engine) render(src string, data map[string]any, escape bool) (string, error) {
	if !strings.Contains(src, "{{") && !strings.Contains(src, "{%") {
		return src, nil
	}
	tpl, err := e.template(src, escape)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	w := &limitWriter{w: &sb, left: e.opts.MaxOutputBytes}
	if err := safeRender(tpl, w, data); err != nil {
		if w.exceeded {
			return "", fmt.Errorf("%w: more than %d bytes", ErrOutputTooLarge, e.opts.MaxOutputBytes)
		}
		return "", fmt.Errorf("%w: %s", ErrRender, err)
	}
	return sb.String(), nil
}

func (e *Engine) template(src string, escape bool) (*liquid.Template, error) {
	key := cacheKey{src: src, html: escape}
	e.mu.Lock()
	if el, ok := e.cache[key]; ok {
		e.order.MoveToFront(el)
		e.mu.Unlock()
		return el.Value.(*cacheEntry).tpl, nil
	}
	e.mu.Unlock()

	if err := checkDelimiters(src); err != nil {
		return nil, err
	}
	if err := checkRanges(src); err != nil {
		return nil, err
	}
	if err := e.checkFilters(src); err != nil {
		return nil, err
	}
	text := src
	if escape {
		text = escapeOutputs(src)
	}
	tpl, err := e.parse(text)
	if err != nil {
		return nil, err
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if el, ok := e.cache[key]; ok {
		e.order.MoveToFront(el)
		return el.Value.(*cacheEntry).tpl, nil
	}
	e.cache[key] = e.order.PushFront(&cacheEntry{key: key, tpl: tpl})
	for e.order.Len() > e.opts.CacheSize {
		last := e.order.Back()
		e.order.Remove(last)
		delete(e.cache, last.Value.(*cacheEntry).key)
	}
	return tpl, nil
}

// parse parses text, turning a panic inside the Liquid parser into an error
// so hostile input cannot crash a caller.
func (e *Engine) parse(text string) (tpl *liquid.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			tpl, err = nil, fmt.Errorf("%w: %v", ErrParse, r)
		}
	}()
	t, serr := e.liquid.ParseString(text)
	if serr != nil {
		return nil, fmt.Errorf("%w: %s", ErrParse, serr)
	}
	return t, nil
}

// cacheLen reports how many templates are cached (for tests).
func (e *Engine) cacheLen() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.order.Len()
}

// safeRender renders tpl into w, turning a panic inside the Liquid renderer
// (which it raises on some write errors) into an error.
func safeRender(tpl *liquid.Template, w io.Writer, data map[string]any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	if serr := tpl.FRender(w, liquid.Bindings(data)); serr != nil {
		return serr
	}
	return nil
}

// limitWriter fails once more than left bytes are written.
type limitWriter struct {
	w        io.Writer
	left     int
	exceeded bool
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.left {
		l.exceeded = true
		return 0, ErrOutputTooLarge
	}
	l.left -= len(p)
	return l.w.Write(p)
}

// stringify renders a value the way Liquid writes an output.
func stringify(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	case time.Time:
		return v.Format("2006-01-02 15:04:05 -0700")
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Array, reflect.Slice:
		var sb strings.Builder
		for i := range rv.Len() {
			sb.WriteString(stringify(rv.Index(i).Interface()))
		}
		return sb.String()
	case reflect.Pointer:
		if rv.IsNil() {
			return ""
		}
		return stringify(rv.Elem().Interface())
	}
	return fmt.Sprint(v)
}

// escapeOutputs rewrites every {{ output }} in src to end with the HTML
// escape filter, except outputs whose last filter is raw (which is
// dropped) and text inside {% raw %} … {% endraw %}.
func escapeOutputs(src string) string {
	var sb strings.Builder
	sb.Grow(len(src) + 32)
	i := 0
	for i < len(src) {
		open := indexAny2(src, i)
		if open < 0 {
			sb.WriteString(src[i:])
			break
		}
		sb.WriteString(src[i:open])
		end := closing(src, open+2, src[open+1] == '{')
		if end < 0 {
			sb.WriteString(src[open:])
			break
		}
		if src[open+1] == '%' {
			tag := src[open : end+2]
			sb.WriteString(tag)
			i = end + 2
			if tagName(tag) == "raw" {
				stop := findEndRaw(src, i)
				if stop < 0 {
					sb.WriteString(src[i:])
					return sb.String()
				}
				sb.WriteString(src[i:stop])
				i = stop
			}
			continue
		}
		inner := src[open+2 : end]
		lead, trail := "", ""
		if strings.HasPrefix(inner, "-") {
			lead, inner = "-", inner[1:]
		}
		if strings.HasSuffix(inner, "-") {
			trail, inner = "-", inner[:len(inner)-1]
		}
		body := strings.TrimSpace(inner)
		if raw, ok := cutRawFilter(body); ok {
			body = raw
		} else if body != "" {
			body += " | " + escapeFilter
		}
		sb.WriteString("{{" + lead + " " + body + " " + trail + "}}")
		i = end + 2
	}
	return sb.String()
}

// checkDelimiters rejects a {{ or {% that is never closed, which Liquid
// would otherwise print as literal text.
func checkDelimiters(src string) error {
	i := 0
	for i < len(src) {
		open := indexAny2(src, i)
		if open < 0 {
			return nil
		}
		output := src[open+1] == '{'
		end := closing(src, open+2, output)
		if end < 0 {
			want := "%}"
			if output {
				want = "}}"
			}
			line := 1 + strings.Count(src[:open], "\n")
			return fmt.Errorf("%w: line %d: %q is not closed with %q", ErrParse, line, src[open:open+2], want)
		}
		i = end + 2
		if !output && tagName(src[open:i]) == "raw" {
			stop := findEndRaw(src, i)
			if stop < 0 {
				return nil // Liquid reports the unclosed raw block
			}
			i = stop
		}
	}
	return nil
}

var filterRe = regexp.MustCompile(`\|\s*([A-Za-z_][A-Za-z0-9_]*)`)

// checkFilters rejects filters the engine does not have, which Liquid
// would only report when rendering reaches them.
func (e *Engine) checkFilters(src string) error {
	i := 0
	for i < len(src) {
		open := indexAny2(src, i)
		if open < 0 {
			return nil
		}
		end := closing(src, open+2, src[open+1] == '{')
		if end < 0 {
			return nil
		}
		body := withoutStrings(src[open+2 : end])
		i = end + 2
		if src[open+1] == '%' && tagName(src[open:i]) == "raw" {
			stop := findEndRaw(src, i)
			if stop < 0 {
				return nil
			}
			i = stop
			continue
		}
		for _, m := range filterRe.FindAllStringSubmatch(body, -1) {
			if !e.filters[m[1]] {
				line := 1 + strings.Count(src[:open], "\n")
				return fmt.Errorf("%w: line %d: unknown filter %q", ErrParse, line, m[1])
			}
		}
	}
	return nil
}

// withoutStrings blanks out quoted strings so their text is not read as
// filters.
func withoutStrings(s string) string {
	b := []byte(s)
	var quote byte
	for i, c := range b {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				b[i] = ' '
			}
		case c == '"' || c == '\'':
			quote = c
		}
	}
	return string(b)
}

// maxRange is the largest literal range ((1..n)) a template may loop over;
// Liquid cannot be interrupted, so a loop over a billion numbers would hold a
// worker for minutes.
const maxRange = 10_000

var rangeRe = regexp.MustCompile(`\(\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*\)`)

// checkRanges rejects literal ranges longer than maxRange.
func checkRanges(src string) error {
	for _, m := range rangeRe.FindAllStringSubmatch(src, -1) {
		lo, err1 := strconv.ParseInt(m[1], 10, 64)
		hi, err2 := strconv.ParseInt(m[2], 10, 64)
		if err1 != nil || err2 != nil || hi-lo > maxRange || hi-lo < -maxRange {
			return fmt.Errorf("%w: range %s spans more than %d numbers", ErrParse, m[0], maxRange)
		}
	}
	return nil
}

// indexAny2 returns the index of the next "{{" or "{%" at or after i.
func indexAny2(s string, i int) int {
	for j := i; j+1 < len(s); j++ {
		if s[j] == '{' && (s[j+1] == '{' || s[j+1] == '%') {
			return j
		}
	}
	return -1
}

// closing returns the index of the "}}" (output) or "%}" (tag) that closes
// a delimiter opened before i, skipping quoted strings, or -1.
func closing(s string, i int, output bool) int {
	var quote byte
	for j := i; j+1 < len(s); j++ {
		c := s[j]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case output && c == '}' && s[j+1] == '}':
			return j
		case !output && c == '%' && s[j+1] == '}':
			return j
		}
	}
	return -1
}

// tagName returns the name of a {% tag %}.
func tagName(tag string) string {
	inner := strings.TrimSuffix(strings.TrimPrefix(tag, "{%"), "%}")
	inner = strings.Trim(inner, "- \t\r\n")
	name, _, _ := strings.Cut(inner, " ")
	return name
}

// findEndRaw returns the index of the {% endraw %} tag at or after i, or -1.
func findEndRaw(s string, i int) int {
	for {
		open := strings.Index(s[i:], "{%")
		if open < 0 {
			return -1
		}
		open += i
		end := closing(s, open+2, false)
		if end < 0 {
			return -1
		}
		if tagName(s[open:end+2]) == "endraw" {
			return open
		}
		i = open + 2
	}
}

// cutRawFilter reports whether an output's last filter is raw and returns
// the output without it.
func cutRawFilter(body string) (string, bool) {
	idx := strings.LastIndex(body, "|")
	if idx < 0 || strings.TrimSpace(body[idx+1:]) != "raw" {
		return body, false
	}
	return strings.TrimSpace(body[:idx]), true
}
