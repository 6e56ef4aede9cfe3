package tmpl

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// attacks are templates that, unbounded, exhaust memory or CPU; each must
// fail with ErrLimit and a message naming the bound.
var attacks = []struct {
	name, src, msg string
}{
	{"assign doubling (the issue's reproduction)",
		`{% assign s='aaaaaaaaaa' %}{% for i in (1..29) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}`,
		"filter append would take the bytes built by filters and captures past 16777216"},
	{"prepend doubling",
		`{% assign s='aaaaaaaaaa' %}{% for i in (1..40) %}{% assign s = s | prepend: s %}{% endfor %}{{ s | size }}`,
		"filter prepend would take the bytes built by filters and captures past 16777216"},
	{"three nested loops",
		`{% for i in (1..10000) %}{% for j in (1..10000) %}{% for k in (1..10000) %}{% endfor %}{% endfor %}{% endfor %}`,
		"more than 100000 loop iterations"},
	{"range from a variable",
		`{% assign n = 2000000000 %}{% for i in (1..n) %}{% endfor %}`,
		"more than 100000 loop iterations"},
	{"range from a variable into a filter",
		`{% assign n = 2000000000 %}{{ (1..n) | join: "," }}`,
		"filter join would take"},
	{"range wider than an int into join",
		`{% assign a = -9000000000000000000 %}{% assign b = 9000000000000000000 %}{{ (a..b) | join }}`,
		"filter join would take"},
	{"range into sort",
		`{% assign n = 2000000000 %}{{ (1..n) | sort | size }}`,
		"filter sort would take"},
	{"tablerow over a huge range",
		`{% assign n = 2000000000 %}{% tablerow i in (1..n) %}{% endtablerow %}`,
		"output longer than 1048576 bytes"},
	{"capture doubling",
		`{% capture s %}aaaaaaaaaa{% endcapture %}{% for i in (1..40) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s | size }}`,
		"would take the bytes built by filters and captures past 16777216"},
	{"capture of literal text in loops",
		`{% capture s %}{% for i in (1..10000) %}{% for j in (1..9) %}` + strings.Repeat("x", 1000) + `{% endfor %}{% endfor %}{% endcapture %}{{ s | size }}`,
		"capture would take"},
	{"replace with an empty pattern",
		`{{ "aaaaaaaaaa" | replace: "", "aaaaaaaaaa" | replace: "", "aaaaaaaaaa" | replace: "", "aaaaaaaaaa" | replace: "", "aaaaaaaaaa" | replace: "", "aaaaaaaaaa" | replace: "", "aaaaaaaaaa" | replace: "", "aaaaaaaaaa" | size }}`,
		"filter replace would take"},
	{"split and join growth",
		`{% assign s = "abcdefghij" %}{% for i in (1..30) %}{% assign s = s | split: "" | join: s %}{% endfor %}{{ s | size }}`,
		"would take the bytes built by filters and captures past 16777216"},
	{"escape growth",
		`{% assign s = '""""""""""' %}{% for i in (1..30) %}{% assign s = s | escape | escape | append: s %}{% endfor %}{{ s | size }}`,
		"would take the bytes built by filters and captures past 16777216"},
	{"output",
		`{% assign s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" %}{% for i in (1..10000) %}{% for j in (1..9) %}{{ s }}{% endfor %}{% endfor %}`,
		"output longer than 1048576 bytes"},
}

func TestAttacksFailWithALimit(t *testing.T) {
	t.Parallel()
	// A long time limit, so that each attack meets the bound it aims at
	// however loaded the machine is.
	e := New(Options{Timeout: time.Minute})
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			for _, html := range []bool{false, true} {
				render := e.Render
				if html {
					render = e.RenderHTML
				}
				out, err := render(t.Context(), a.src, map[string]any{"contact": map[string]any{}})
				require.ErrorIs(t, err, ErrLimit, "output %.80q", out)
				require.Contains(t, err.Error(), a.msg)
				require.Empty(t, out)
			}
		})
	}
}

// TestAttacksAllocateBoundedMemory measures the bytes each attack
// allocates. It does not call t.Parallel: runtime.MemStats counts the
// whole process, so it runs before the parallel tests start.
func TestAttacksAllocateBoundedMemory(t *testing.T) {
	e := New(Options{Timeout: time.Minute})
	// Parse first, so the template cache is not counted.
	for _, a := range attacks {
		require.NoError(t, e.Parse(a.src))
	}
	for _, a := range attacks {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := e.Render(t.Context(), a.src, nil)
		runtime.ReadMemStats(&after)
		require.ErrorIs(t, err, ErrLimit, a.name)
		allocated := after.TotalAlloc - before.TotalAlloc
		// MaxBytes is 16 MiB; a capture's buffer grows by doubling, and
		// Liquid converts and buffers text once more on the way.
		require.Less(t, allocated, uint64(96<<20), "%s allocated %d bytes", a.name, allocated)
		t.Logf("%s: %d KiB", a.name, allocated>>10)
	}
}

func TestLimitsAreConfigurable(t *testing.T) {
	t.Parallel()
	e := New(Options{MaxIterations: 15, MaxBytes: 100})
	_, err := e.Render(t.Context(), `{% for i in (1..16) %}{% endfor %}`, nil)
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "more than 15 loop iterations")
	// Iterations count across nesting: 5 outer and 10 inner.
	got, err := e.Render(t.Context(), `{% for i in (1..5) %}{% for j in (1..2) %}{{ j }}{% endfor %}{% endfor %}`, nil)
	require.NoError(t, err)
	require.Equal(t, "1212121212", got)

	_, err = e.Render(t.Context(), `{{ "0123456789012345678901234567890123456789012345678901234567890" | append: "0123456789012345678901234567890123456789" }}`, nil)
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "past 100")
	got, err = e.Render(t.Context(), `{{ "ab" | append: "cd" | upcase }}`, nil)
	require.NoError(t, err)
	require.Equal(t, "ABCD", got)
}

func TestBudgetIsPerRender(t *testing.T) {
	t.Parallel()
	e := New(Options{MaxIterations: 100})
	for range 20 {
		got, err := e.Render(t.Context(), `{% for i in (1..100) %}{% endfor %}ok`, nil)
		require.NoError(t, err)
		require.Equal(t, "ok", got)
	}
}

func TestTimeLimit(t *testing.T) {
	t.Parallel()
	e := New(Options{Timeout: 20 * time.Millisecond, MaxIterations: 1 << 40, MaxBytes: 1 << 40, MaxOutputBytes: 1 << 30})
	_, err := e.Render(t.Context(), `{% for i in (1..10000) %}{% for j in (1..10000) %}{% for k in (1..10000) %}{% endfor %}{% endfor %}{% endfor %}`, nil)
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, err.Error(), "rendering took longer than 20ms")
}

func TestCallerContext(t *testing.T) {
	t.Parallel()
	e := New(Options{MaxIterations: 1 << 40})
	loop := `{% for i in (1..10000) %}{% for j in (1..10000) %}{% for k in (1..10000) %}{% endfor %}{% endfor %}{% endfor %}`

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := e.Render(ctx, loop, nil)
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, err.Error(), "the caller's deadline passed")

	// A cancelled render (a shutdown) is not the template's fault.
	ctx, cancel = context.WithCancel(t.Context())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	_, err = e.Render(ctx, loop, nil)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, ErrRender)
	require.NotErrorIs(t, err, ErrLimit)

	_, err = e.Render(ctx, `{{ x }}`, nil)
	require.ErrorIs(t, err, context.Canceled)
	// Text without tags is returned as it is.
	got, err := e.Render(ctx, `plain`, nil)
	require.NoError(t, err)
	require.Equal(t, "plain", got)
}

func TestIncludeAndRenderAreNotSupported(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	for _, src := range []string{`{% include "tmpl.go" %}`, `{% render "tmpl.go" %}`, `{% include "/etc/passwd" %}`} {
		require.ErrorIs(t, e.Parse(src), ErrParse, src)
		_, err := e.Render(t.Context(), src, nil)
		require.ErrorIs(t, err, ErrParse, src)
	}
}

func TestUniqOverManyMapsIsBounded(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	items := make([]any, 5000)
	for i := range items {
		items[i] = map[string]any{"n": i}
	}
	_, err := e.Render(t.Context(), `{{ items | uniq | size }}`, map[string]any{"items": items})
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "uniq over more than 1000 distinct maps or lists")

	got, err := e.Render(t.Context(), `{{ items | uniq | size }}`, map[string]any{"items": []any{map[string]any{"a": 1}, map[string]any{"a": 1}, "x", "x", 2}})
	require.NoError(t, err)
	require.Equal(t, "3", got)
}

func TestLoopsAndCapturesStillWork(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	d := map[string]any{"items": []any{"a", "b", "c"}, "none": []any{}, "m": map[string]any{"k": "v"}}
	tests := []struct{ src, want string }{
		{`{% for i in items %}{{ forloop.index }}{{ i }}{% unless forloop.last %},{% endunless %}{% endfor %}`, `1a,2b,3c`},
		{`{% for i in items reversed limit: 2 %}{{ i }}{% endfor %}`, `cb`},
		{`{% for i in items offset: 1 %}{{ i }}{% endfor %}`, `bc`},
		{`{% for i in items %}{% if i == "b" %}{% break %}{% endif %}{{ i }}{% endfor %}`, `a`},
		{`{% for i in items %}{% if i == "b" %}{% continue %}{% endif %}{{ i }}{% endfor %}`, `ac`},
		{`{% for i in none %}x{% else %}empty{% endfor %}`, `empty`},
		{`{% for i in items %}{% cycle "x", "y" %}{% endfor %}`, `xyx`},
		{`{%- for i in items -%} {{ i }} {%- endfor -%}`, `abc`},
		{`{% capture s %}{% for i in items %}{{ i | upcase }}{% endfor %}{% endcapture %}[{{ s }}]`, `[ABC]`},
		{`{% capture s %}{% capture t %}in{% endcapture %}{{ t }}-out{% endcapture %}{{ s }}`, `in-out`},
		{`{% tablerow i in items cols: 2 %}{{ i }}{% endtablerow %}`, `<tr class="row1"><td class="col1">a</td><td class="col2">b</td></tr><tr class="row2"><td class="col1">c</td></tr>`},
		{`{% for kv in m %}{{ kv[0] }}={{ kv[1] }}{% endfor %}`, `k=v`},
		{`{{ "a,b" | split: "," | join: "-" }} {{ "x" | replace: "x", "yy" }} {{ items | size }} {{ "a b c d" | truncatewords: 2 }}`, `a-b yy 3 a b...`},
		{`{{ (1..3) | join: "," }}`, `1,2,3`},
		{`{{ "Hello" | slice: 1, 3 }} {{ 3 | plus: 4 }} {{ items | first }}{{ items | last }} {{ nil | default: "d" }}`, `ell 7 ac d`},
	}
	for _, tc := range tests {
		got, err := e.Render(t.Context(), tc.src, d)
		require.NoError(t, err, tc.src)
		require.Equal(t, tc.want, got, tc.src)
	}
}

func TestWithBudgetSharesBoundsAcrossRenders(t *testing.T) {
	t.Parallel()
	e := New(Options{MaxIterations: 100, MaxOutputBytes: 10, MaxBytes: 1000})
	loop := `{% for i in (1..60) %}{% endfor %}`
	out := `{{ "aaaaaa" }}`
	grow := `{% assign x = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" | append: "b" %}`
	// Alone, each render is within the bounds.
	for _, src := range []string{loop, out, grow} {
		for range 3 {
			_, err := e.Render(t.Context(), src, nil)
			require.NoError(t, err, src)
		}
	}
	// Under one budget, they add up.
	for _, tc := range []struct{ src, msg string }{
		{loop, "more than 100 loop iterations"},
		{out, "output longer than 10 bytes"},
		{grow, "past 1000"},
	} {
		ctx := e.WithBudget(t.Context())
		var err error
		for range 10 {
			if _, err = e.Render(ctx, tc.src, nil); err != nil {
				break
			}
		}
		require.ErrorIs(t, err, ErrLimit, tc.src)
		require.Contains(t, err.Error(), tc.msg)
		// The budget stays spent.
		_, err = e.Render(ctx, `{{ "x" }}`, nil)
		require.ErrorIs(t, err, ErrLimit)
	}
}

func TestSourceBounds(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	for _, tc := range []struct{ src, msg string }{
		{strings.Repeat("x", 256<<10+1) + "{{ a }}", "longer than 262144 bytes"},
		{strings.Repeat("{{ a }}", 5001), "more than 5000 tags and outputs"},
		{"{{ " + strings.Repeat("(", 3000) + "1" + strings.Repeat(")", 3000) + " }}", "is longer than 4096 characters"},
		{"line\n{% if " + strings.Repeat("a and ", 700) + "a %}x{% endif %}", "line 2:"},
	} {
		err := e.Parse(tc.src)
		require.ErrorIs(t, err, ErrParse)
		require.Contains(t, err.Error(), tc.msg)
	}
	// Deep nesting within the bounds parses, and renders within its bounds.
	deep := strings.Repeat("{% if true %}", 2000) + "x" + strings.Repeat("{% endif %}", 2000)
	got, err := e.Render(t.Context(), deep, nil)
	require.NoError(t, err)
	require.Equal(t, "x", got)
	_, err = e.Render(t.Context(), strings.Repeat("{% for i in (1..2) %}", 2000)+"x"+strings.Repeat("{% endfor %}", 2000), nil)
	require.ErrorIs(t, err, ErrLimit)
}
