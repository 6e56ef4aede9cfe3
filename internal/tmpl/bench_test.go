package tmpl

import "testing"

func BenchmarkRenderHTMLCached(b *testing.B) {
	e := New(Options{})
	d := map[string]any{"contact": map[string]any{"attributes": map[string]any{"first_name": "Ada <3"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.RenderHTML(b.Context(), `<p>Hi {{ contact.attributes.first_name | default: "there" }}</p>`, d); err != nil {
			b.Fatal(err)
		}
	}
}
