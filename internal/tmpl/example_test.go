package tmpl_test

import (
	"context"
	"fmt"

	"github.com/nextflow-dev/nextflow/internal/tmpl"
)

func ExampleEngine_RenderHTML() {
	e := tmpl.New(tmpl.Options{})
	out, err := e.RenderHTML(context.Background(), `<p>Hi {{ contact.attributes.first_name | default: "there" }}, {{ steps.line.output.text }}</p>`,
		map[string]any{
			"contact": map[string]any{"attributes": map[string]any{}},
			"steps":   map[string]any{"line": map[string]any{"output": map[string]any{"text": "your cart <3 misses you"}}},
		})
	fmt.Println(out, err)
	// Output: <p>Hi there, your cart &lt;3 misses you</p> <nil>
}
