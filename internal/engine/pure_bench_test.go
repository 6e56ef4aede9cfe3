package engine

import (
	"context"
	"testing"

	"github.com/google/uuid"
)

// BenchmarkPureNode measures one set_attribute evaluation and the context
// round trip through JSON that every advance transaction pays.
func BenchmarkPureNode(b *testing.B) {
	e := New(nil, Options{})
	n := nodeOf("set_attribute", `{"target": "vars", "attributes": {"n": "has(vars.n) ? vars.n + 1 : 1"}}`)
	c, _ := decodeContext([]byte(`{"trigger": {"type": "trigger.manual", "input": {"amount": 120}}, "contact": {"email": "a@b.c"}}`))
	id := uuid.New()
	ctx := context.Background()
	p := e.prepare(n)
	b.ReportAllocs()
	for b.Loop() {
		if _, nerr := e.runPure(ctx, n, p, c, id); nerr != nil {
			b.Fatal(nerr)
		}
		data, err := c.encode()
		if err != nil {
			b.Fatal(err)
		}
		if c, err = decodeContext(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPureNodeEval is the evaluation alone.
func BenchmarkPureNodeEval(b *testing.B) {
	e := New(nil, Options{})
	n := nodeOf("set_attribute", `{"target": "vars", "attributes": {"n": "has(vars.n) ? vars.n + 1 : 1"}}`)
	c, _ := decodeContext([]byte(`{"trigger": {"type": "trigger.manual", "input": {"amount": 120}}, "contact": {"email": "a@b.c"}}`))
	id := uuid.New()
	ctx := context.Background()
	p := e.prepare(n)
	b.ReportAllocs()
	for b.Loop() {
		if _, nerr := e.runPure(ctx, n, p, c, id); nerr != nil {
			b.Fatal(nerr)
		}
	}
}
