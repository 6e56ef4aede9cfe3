package tmpl

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"testing"
	"time"
)

// fuzzOptions are tighter bounds than the defaults, so that each input
// renders quickly.
var fuzzOptions = Options{MaxIterations: 10_000, MaxBytes: 1 << 20, MaxOutputBytes: 256 << 10, Timeout: 200 * time.Millisecond}

// maxFuzzAlloc bounds the bytes one render may allocate under
// fuzzOptions: MaxBytes several times over (a capture doubles its buffer,
// Liquid copies values into its writers) plus parsing the source.
const maxFuzzAlloc = 48 << 20

// FuzzRenderBounded renders arbitrary templates over arbitrary JSON data
// with bounds: no input may panic, fail with an error of another kind
// than ErrParse, ErrRender or ErrLimit, or allocate past maxFuzzAlloc.
func FuzzRenderBounded(f *testing.F) {
	for _, a := range attacks {
		f.Add(a.src, `{"contact": {"attributes": {"first_name": "Ada"}}}`)
	}
	for _, src := range []string{
		`Hi {{ contact.attributes.first_name | default: "there" }}!`,
		`{% for i in items %}{{ forloop.index }}{{ i | upcase }}{% endfor %}`,
		`{% capture s %}{% for i in items %}{{ i }}{% endfor %}{% endcapture %}{{ s | size }}`,
		`{% tablerow i in items cols: 2 %}{{ i }}{% endtablerow %}`,
		`{{ items | join: "," | split: "," | sort | uniq | reverse | first }}`,
		`{% assign n = 5 %}{% for i in (1..n) reversed %}{% cycle "a", "b" %}{% endfor %}`,
		`{{ items | map: "x" | compact | concat: items | json }}`,
		`{% if items contains "a" %}{{ "<b>" | escape | newline_to_br | url_encode }}{% endif %}`,
		`{{ "now" | date: "%Y-%m-%d %H:%M" }} {{ 10 | divided_by: 3 | times: 2.5 | round: 2 }}`,
	} {
		f.Add(src, `{"items": ["a", "b", {"x": 1}], "contact": {"attributes": {}}}`)
	}
	e := New(fuzzOptions)
	f.Fuzz(func(t *testing.T, src, data string) {
		var d map[string]any
		_ = json.Unmarshal([]byte(data), &d)
		for _, html := range []bool{false, true} {
			render := e.Render
			if html {
				render = e.RenderHTML
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			out, err := render(context.Background(), src, d)
			runtime.ReadMemStats(&after)
			if allocated := after.TotalAlloc - before.TotalAlloc; allocated > maxFuzzAlloc {
				t.Fatalf("render allocated %d bytes (bound %d): %q over %q: %v", allocated, maxFuzzAlloc, src, data, err)
			}
			if len(out) > fuzzOptions.MaxOutputBytes {
				t.Fatalf("output of %d bytes past the bound", len(out))
			}
			if err != nil && !errors.Is(err, ErrParse) && !errors.Is(err, ErrRender) && !errors.Is(err, ErrLimit) {
				t.Fatalf("error of an unexpected kind: %v", err)
			}
		}
	})
}
