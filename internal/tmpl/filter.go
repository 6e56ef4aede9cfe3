package tmpl

import (
	"fmt"
	"html"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/osteele/liquid/filters"
	"github.com/osteele/liquid/render"
	"github.com/osteele/liquid/values"
)

// A filter is a Liquid filter function with an estimate of the most bytes
// it can build from its arguments (input first). Every filter a render
// calls goes through a wrapper that checks the time, charges the estimate
// to the render's budget before the filter runs, and charges what the
// result holds beyond it afterwards.
type filter struct {
	fn       reflect.Value
	estimate func(args []any) int64
}

// filterSet records filters as Liquid's standard set adds them.
type filterSet map[string]*filter

// AddFilter implements filters.FilterDictionary.
func (s filterSet) AddFilter(name string, fn any) {
	s[name] = &filter{fn: reflect.ValueOf(fn), estimate: estimates[name]}
}

// standardFilters returns Liquid's standard filters with their estimates,
// minus those the engine replaces.
func standardFilters() filterSet {
	s := filterSet{}
	filters.AddStandardFilters(s)
	s.AddFilter("uniq", uniqFilter)
	return s
}

// maxUniqCompared bounds uniq over items that are not plain values (maps,
// lists), which Liquid compares pairwise: n² deep comparisons.
const maxUniqCompared = 1000

// uniqFilter is Liquid's uniq, refusing a quadratic comparison of more
// than maxUniqCompared structured items.
func uniqFilter(a []any) ([]any, error) {
	seen := map[any]bool{}
	var out, structured []any
	for _, item := range a {
		if item == nil || reflect.TypeOf(item).Comparable() {
			if !seen[item] {
				seen[item] = true
				out = append(out, item)
			}
			continue
		}
		dup := false
		for _, o := range structured {
			if reflect.DeepEqual(item, o) {
				dup = true
				break
			}
		}
		if !dup {
			if len(structured) >= maxUniqCompared {
				return nil, &limitError{msg: fmt.Sprintf("uniq over more than %d distinct maps or lists", maxUniqCompared)}
			}
			structured = append(structured, item)
			out = append(out, item)
		}
	}
	return out, nil
}

// size is a shallow estimate of the bytes a value occupies when a filter
// takes it as an argument: a string's length, 16 bytes per element of a
// list, map or range (which a filter converts to a list), a few bytes for
// a scalar.
func size(v any) int64 {
	switch v := v.(type) {
	case nil:
		return 0
	case string:
		return int64(len(v))
	case []byte:
		return int64(len(v))
	case values.Range:
		// Len wraps for ranges wider than an int: count in float64 from
		// the bounds (the last is first + Len - 1, wrapping back).
		first, _ := v.Index(0).(int)
		last := first + v.Len() - 1
		n := float64(last) - float64(first) + 1
		switch {
		case n <= 0:
			return 0
		case n > math.MaxInt64/16:
			return math.MaxInt64
		}
		return 16 * int64(n)
	case []any:
		return 16 * int64(len(v))
	case map[string]any:
		return 16 * int64(len(v))
	case bool, int, int64, float64, time.Time:
		return 24
	case values.SafeValue:
		return size(v.Value)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
		return 16 * int64(rv.Len())
	}
	return 24
}

// deepSize estimates a value's size as text (JSON, say), walking into
// lists and maps; it stops once past limit.
func deepSize(v any, limit int64) int64 {
	var n int64
	var walk func(v any)
	walk = func(v any) {
		if n > limit {
			return
		}
		switch v := v.(type) {
		case map[string]any:
			n += 2
			for k, e := range v {
				n += int64(len(k)) + 4
				walk(e)
				if n > limit {
					return
				}
			}
		case []any:
			n += 2
			for _, e := range v {
				n++
				walk(e)
				if n > limit {
					return
				}
			}
		default:
			n += size(v)
		}
	}
	walk(v)
	return n
}

// sum is the default estimate: a filter builds at most about as much as
// it was given.
func sum(args []any) int64 {
	var n int64
	for _, a := range args {
		n += size(a)
	}
	return n
}

func times(k int64) func([]any) int64 {
	return func(args []any) int64 { return k * sum(args) }
}

func str(args []any, i int) (string, bool) {
	if i >= len(args) {
		return "", true
	}
	switch v := args[i].(type) {
	case string:
		return v, true
	case nil:
		return "", true
	}
	return "", false
}

// replaceEstimate is the exact length of strings.ReplaceAll(s, old, new).
func replaceEstimate(args []any) int64 {
	s, ok1 := str(args, 0)
	old, ok2 := str(args, 1)
	repl, ok3 := str(args, 2)
	if !ok1 || !ok2 || !ok3 {
		return 4 * sum(args)
	}
	var count int64
	if old == "" {
		count = int64(utf8.RuneCountInString(s)) + 1
	} else {
		count = int64(strings.Count(s, old))
	}
	return int64(len(s)) + count*(int64(len(repl))-int64(len(old)))
}

// splitEstimate bounds the list split builds: one string header per piece.
func splitEstimate(args []any) int64 {
	s, ok1 := str(args, 0)
	sep, ok2 := str(args, 1)
	if !ok1 || !ok2 {
		return 16 * sum(args)
	}
	var pieces int64
	if sep == "" || sep == " " {
		pieces = int64(utf8.RuneCountInString(s)) + 1
	} else {
		pieces = int64(strings.Count(s, sep)) + 1
	}
	return 32 * pieces
}

// joinEstimate is the length of the joined text, each item as text.
func joinEstimate(args []any) int64 {
	sep, _ := str(args, 1)
	if len(args) > 1 && args[1] == nil {
		sep = " "
	}
	var n int64
	count := int64(0)
	switch a := args[0].(type) {
	case []any:
		for _, e := range a {
			n += size(e)
		}
		count = int64(len(a))
	default:
		n = size(a)
		if r, ok := a.(values.Range); ok {
			count = int64(max(r.Len(), 0))
		} else if rv := reflect.ValueOf(a); a != nil && (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) {
			count = int64(rv.Len())
		}
	}
	return n + count*(int64(len(sep))+16)
}

// estimates are the standard filters whose output can outgrow their
// input, or that convert their input to a list (16 bytes an element, as
// size counts); the rest default to sum.
var estimates = map[string]func([]any) int64{
	"replace":       replaceEstimate,
	"split":         splitEstimate,
	"join":          joinEstimate,
	"escape":        times(6),
	escapeFilter:    times(6),
	"escape_once":   times(6),
	"newline_to_br": times(7),
	"url_encode":    times(3),
	"upcase":        times(3),
	"downcase":      times(3),
	"handleize":     times(3),
	"handle":        times(3),
	// These work on []rune(s): 4 bytes a character.
	"capitalize":    times(5),
	"slice":         times(5),
	"truncate":      times(5),
	"truncatewords": times(3),
	"date":          func(args []any) int64 { return 64 + 32*sum(args[1:]) },
}

// deepFilters serialize their whole input; their estimate walks it.
var deepFilters = map[string]bool{"json": true, "inspect": true}

// slot is a render configuration whose filter wrappers charge the budget
// of the render using it; a render takes a slot from the Engine's pool and
// gives it back, so a slot serves one render at a time.
type slot struct {
	cfg render.Config
	b   *budget
}

// newSlot builds a slot over the Engine's compiled grammar with its own
// filter wrappers.
func (e *Engine) newSlot() *slot {
	s := &slot{cfg: *e.base}
	for name, f := range e.filterFns {
		s.cfg.AddFilter(name, s.wrap(name, f))
	}
	// RenderHTML applies the escape filter to every output: it is charged
	// like the others, without the second reflective call of wrap.
	s.cfg.AddFilter(escapeFilter, func(v any) (string, error) {
		if b := s.b; b != nil {
			if err := b.check(); err != nil {
				return "", err
			}
			if err := b.spend(6*size(v), "filter "+escapeFilter); err != nil {
				return "", err
			}
		}
		return htmlEscape(v), nil
	})
	return s
}

// wrap returns the filter as Liquid calls it: its arguments untouched (so
// a range is not turned into a list before it is measured), checked and
// charged, then passed to the filter with Liquid's conversions.
func (s *slot) wrap(name string, f *filter) func(in any, args ...any) (any, error) {
	deep := deepFilters[name]
	what := fmt.Sprintf("filter %s", name)
	return func(in any, args ...any) (any, error) {
		all := make([]any, 0, 1+len(args))
		all = append(all, in)
		all = append(all, args...)
		b := s.b
		var est int64
		if b != nil {
			if err := b.check(); err != nil {
				return nil, err
			}
			switch {
			case deep:
				est = deepSize(in, b.maxBytes-b.bytes)
			case f.estimate != nil:
				est = f.estimate(all)
			default:
				est = sum(all)
			}
			if err := b.spend(est, what); err != nil {
				return nil, err
			}
		}
		out, err := values.Call(f.fn, all)
		if err != nil {
			if pe, ok := err.(*values.CallParityError); ok {
				err = &values.CallParityError{NumArgs: pe.NumArgs - 1, NumParams: pe.NumParams - 1}
			}
			if le, ok := err.(*limitError); ok && b != nil && b.err == nil {
				b.err = le
			}
			return nil, err
		}
		if b != nil {
			if extra := size(out) - est; extra > 0 {
				if err := b.spend(extra, what); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}
}

// htmlEscape is the filter RenderHTML appends to every output.
func htmlEscape(v any) string { return html.EscapeString(stringify(v)) }
