// Package tmpl renders Liquid templates — message subjects and bodies,
// URLs, headers, AI prompts — over the execution context (contact, trigger,
// steps, vars, execution), the syntax Braze, Customer.io and Dittofeed
// users already write: {{ contact.attributes.first_name | default: "there" }}.
//
// Missing variables render empty. RenderHTML escapes every output for HTML
// unless it ends with the raw filter ({{ steps.body.output.html | raw }}).
// Parsed templates are cached in a bounded LRU map inside the Engine.
//
// Templates come from tenants, so every render is bounded in loop
// iterations, bytes built, output size and time (see Options), and fails
// with an error wrapping ErrLimit past a bound instead of taking the
// process down. Liquid offers no such hooks, so the Engine adds them: a
// tag put first in every loop body spends an iteration and checks the
// clock and the context, every filter goes through a wrapper that charges
// its estimated output before it runs, and capture blocks write through a
// buffer that charges each write. include and render are not available.
package tmpl

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/osteele/liquid/parser"
	"github.com/osteele/liquid/render"
	"github.com/osteele/liquid/tags"
)

// ErrParse is wrapped by errors about template source that does not parse.
var ErrParse = errors.New("invalid template")

// ErrRender is wrapped by errors from rendering a template.
var ErrRender = errors.New("template rendering failed")

// ErrOutputTooLarge is wrapped by render errors when the output exceeds
// Options.MaxOutputBytes; those errors wrap ErrLimit too.
var ErrOutputTooLarge = errors.New("template output too large")

// escapeFilter is the filter RenderHTML appends to every output.
const escapeFilter = "nf_html_escape"

// Options configures an Engine. Zero fields take the defaults below.
//
// Every render is bounded: loops may run MaxIterations times in all
// (counted across nesting), filters and captures may build MaxBytes bytes
// in all (each checked before it allocates), the output may be
// MaxOutputBytes long, and the render may take Timeout or until the
// caller's context is done, whichever comes first (checked at every loop
// iteration and filter call). A render past a bound fails with an error
// wrapping ErrLimit that names the bound.
type Options struct {
	// CacheSize is how many parsed templates the Engine keeps (default 1024).
	CacheSize int
	// MaxOutputBytes bounds the rendered output (default 1 MiB).
	MaxOutputBytes int
	// MaxIterations bounds the loop iterations of one render, all loops
	// and nesting levels together (default 100,000).
	MaxIterations int
	// MaxBytes bounds the bytes that filters (append, replace, join, …)
	// and capture blocks build during one render, in all (default 16 MiB).
	MaxBytes int64
	// Timeout bounds the wall-clock time of one render (default 1s).
	Timeout time.Duration
	// MaxSourceBytes bounds the length of a template (default 256 KiB).
	MaxSourceBytes int
}

func (o Options) withDefaults() Options {
	if o.CacheSize <= 0 {
		o.CacheSize = 1024
	}
	if o.MaxOutputBytes <= 0 {
		o.MaxOutputBytes = 1 << 20
	}
	if o.MaxIterations <= 0 {
		o.MaxIterations = 100_000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 16 << 20
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.MaxSourceBytes <= 0 {
		o.MaxSourceBytes = 256 << 10
	}
	return o
}

// Engine parses and renders Liquid templates. It is safe for concurrent
// use; create one and share it.
type Engine struct {
	opts Options
	// base is the grammar templates are compiled with: Liquid's standard
	// tags without include and render (templates come from tenants, not
	// files), the engine's loop tick and its bounded capture. It has no
	// filters; each slot adds its own.
	base      *render.Config
	tick      render.Node // the compiled tick tag put first in loop bodies
	filterFns filterSet   // every filter, by name
	filters   map[string]bool
	slots     *sync.Pool // of *slot

	mu    sync.Mutex
	cache map[cacheKey]*list.Element // Value is *cacheEntry
	order *list.List
}

type cacheKey struct {
	src  string
	html bool
}

type cacheEntry struct {
	key  cacheKey
	root render.Node
}

// New returns an Engine with the standard Liquid filters plus raw (which
// marks an output as safe HTML).
func New(opts Options) *Engine {
	opts = opts.withDefaults()
	base := render.NewConfig()
	tags.AddStandardTags(&base)
	base.UnregisterTag("include")
	base.UnregisterTag("render")
	base.TemplateStore = noTemplates{}
	base.AddTag(tickTag, tickCompiler)
	base.AddBlock(captureTag).Compiler(captureCompiler)
	e := &Engine{
		opts: opts, base: &base, filterFns: standardFilters(), filters: map[string]bool{},
		cache: map[cacheKey]*list.Element{}, order: list.New(),
	}
	for name := range e.filterFns {
		e.filters[name] = true
	}
	tick, err := base.Compile("{% "+tickTag+" %}", parser.SourceLoc{LineNo: 1})
	if err != nil {
		panic(fmt.Sprintf("compile the loop tick: %v", err)) // a bug, not input
	}
	e.tick = tick.(*render.SeqNode).Children[0]
	e.RegisterFilter("raw", func(v any) any { return v })
	e.RegisterFilter(escapeFilter, htmlEscape)
	return e
}

// noTemplates is the template store: templates cannot include others.
type noTemplates struct{}

func (noTemplates) ReadTemplate(name string) ([]byte, error) {
	return nil, fmt.Errorf("template %q: include and render are not supported", name)
}

// RegisterFilter adds a filter (see liquid.Engine.RegisterFilter). Its
// calls are bounded like the standard filters': the wrapper charges the
// size of its arguments before the call and of its result after. Register
// filters before the Engine is shared.
func (e *Engine) RegisterFilter(name string, fn any) {
	e.filterFns.AddFilter(name, fn)
	e.filters[name] = true
	e.slots = &sync.Pool{New: func() any { return e.newSlot() }}
}

// Parse reports whether src is a valid template; the error wraps ErrParse
// and names the line.
func (e *Engine) Parse(src string) error {
	_, err := e.template(src, false)
	return err
}

// Render renders src over data as plain text, within the Engine's bounds
// and ctx (see Options).
func (e *Engine) Render(ctx context.Context, src string, data map[string]any) (string, error) {
	return e.render(ctx, src, data, false)
}

// RenderHTML renders src over data for an HTML body: each {{ output }} is
// HTML-escaped unless its last filter is raw. Literal template text is
// left as written. It is bounded like Render.
func (e *Engine) RenderHTML(ctx context.Context, src string, data map[string]any) (string, error) {
	return e.render(ctx, src, data, true)
}

func (e *Engine) render(ctx context.Context, src string, data map[string]any, escape bool) (string, error) {
	if !strings.Contains(src, "{{") && !strings.Contains(src, "{%") {
		return src, nil
	}
	root, err := e.template(src, escape)
	if err != nil {
		return "", err
	}
	b := e.budgetFor(ctx)
	if err := b.check(); err != nil {
		return "", err
	}
	vars := make(map[string]any, len(data)+1)
	maps.Copy(vars, data)
	vars[budgetKey] = b
	s := e.slots.Get().(*slot)
	s.b = b
	var sb strings.Builder
	w := &limitWriter{w: &sb, b: b}
	err = safeRender(root, w, vars, s.cfg)
	s.b = nil
	e.slots.Put(s)
	switch {
	case b.err != nil:
		return "", b.err
	case w.exceeded:
		b.err = &limitError{msg: fmt.Sprintf("output longer than %d bytes", e.opts.MaxOutputBytes), also: ErrOutputTooLarge}
		return "", b.err
	case err != nil:
		var le *limitError
		if errors.As(err, &le) {
			return "", le
		}
		return "", fmt.Errorf("%w: %s", ErrRender, err)
	}
	return sb.String(), nil
}

func (e *Engine) template(src string, escape bool) (render.Node, error) {
	key := cacheKey{src: src, html: escape}
	e.mu.Lock()
	if el, ok := e.cache[key]; ok {
		e.order.MoveToFront(el)
		e.mu.Unlock()
		return el.Value.(*cacheEntry).root, nil
	}
	e.mu.Unlock()

	if len(src) > e.opts.MaxSourceBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrParse, e.opts.MaxSourceBytes)
	}
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
	root, err := e.parse(text)
	if err != nil {
		return nil, err
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if el, ok := e.cache[key]; ok {
		e.order.MoveToFront(el)
		return el.Value.(*cacheEntry).root, nil
	}
	e.cache[key] = e.order.PushFront(&cacheEntry{key: key, root: root})
	for e.order.Len() > e.opts.CacheSize {
		last := e.order.Back()
		e.order.Remove(last)
		delete(e.cache, last.Value.(*cacheEntry).key)
	}
	return root, nil
}

// parse compiles text and bounds the result (see bound), turning a panic
// inside the Liquid parser into an error so hostile input cannot crash a
// caller.
func (e *Engine) parse(text string) (root render.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("%w: %v", ErrParse, r)
		}
	}()
	n, perr := e.base.Compile(text, parser.SourceLoc{LineNo: 1})
	if perr != nil {
		return nil, fmt.Errorf("%w: %s", ErrParse, perr)
	}
	if err := e.bound(n); err != nil {
		return nil, err
	}
	return n, nil
}

// bound rewrites a compiled template so that rendering it spends the
// render's budget: every for and tablerow body starts with the tick tag,
// and every capture block becomes the engine's bounded capture over the
// same body.
func (e *Engine) bound(n render.Node) error {
	var fix func(nodes []render.Node) error
	fixBlock := func(b *render.BlockNode) error {
		if err := fix(b.Body); err != nil {
			return err
		}
		for _, c := range b.Clauses {
			if err := fix(c.Body); err != nil {
				return err
			}
		}
		if b.Name == "for" || b.Name == "tablerow" {
			b.Body = append([]render.Node{e.tick}, b.Body...)
		}
		return nil
	}
	fix = func(nodes []render.Node) error {
		for i, n := range nodes {
			switch n := n.(type) {
			case *render.SeqNode:
				if err := fix(n.Children); err != nil {
					return err
				}
			case *render.BlockNode:
				if err := fixBlock(n); err != nil {
					return err
				}
				if n.Name == "capture" {
					c, err := e.capture(n)
					if err != nil {
						return err
					}
					nodes[i] = c
				}
			}
		}
		return nil
	}
	return fix([]render.Node{n})
}

// capture compiles the engine's capture block with the arguments of a
// Liquid capture and gives it that capture's body and source location.
func (e *Engine) capture(orig *render.BlockNode) (*render.BlockNode, error) {
	stub, err := e.base.Compile("{% "+captureTag+" "+orig.Args+" %}{% end"+captureTag+" %}", orig.SourceLoc)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrParse, err)
	}
	seq, ok := stub.(*render.SeqNode)
	if !ok || len(seq.Children) != 1 {
		return nil, fmt.Errorf("%w: capture %q", ErrParse, orig.Args)
	}
	c, ok := seq.Children[0].(*render.BlockNode)
	if !ok {
		return nil, fmt.Errorf("%w: capture %q", ErrParse, orig.Args)
	}
	c.Body = orig.Body
	c.Token = orig.Token
	c.Name = captureTag
	return c, nil
}

// cacheLen reports how many templates are cached (for tests).
func (e *Engine) cacheLen() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.order.Len()
}

// safeRender renders root into w, turning a panic inside the Liquid
// renderer (which it raises on some write errors) into an error.
func safeRender(root render.Node, w io.Writer, vars map[string]any, cfg render.Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("%w", e)
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	if rerr := render.Render(root, w, vars, cfg); rerr != nil {
		return rerr
	}
	return nil
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
// would otherwise print as literal text, a tag or output longer than
// maxTagLen, and more than maxTags of them.
func checkDelimiters(src string) error {
	i, n := 0, 0
	for i < len(src) {
		open := indexAny2(src, i)
		if open < 0 {
			return nil
		}
		if n++; n > maxTags {
			return fmt.Errorf("%w: more than %d tags and outputs", ErrParse, maxTags)
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
		if end-open-2 > maxTagLen {
			line := 1 + strings.Count(src[:open], "\n")
			return fmt.Errorf("%w: line %d: %q… is longer than %d characters", ErrParse, line, src[open:open+min(20, end-open)], maxTagLen)
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

// maxTags bounds the tags and outputs of one template, which Liquid
// parses at some tens of microseconds each.
const maxTags = 5000

// maxTagLen bounds the text between a tag's or output's delimiters: Liquid
// parses some long expressions (deeply nested parentheses, long property
// chains) in time that grows faster than their length.
const maxTagLen = 4096

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

// maxRange is the largest literal range ((1..n)) a template may write; a
// longer one is refused when the template is saved rather than when a
// render meets Options.MaxIterations.
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
