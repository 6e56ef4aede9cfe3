package expr

import (
	"context"
	"testing"
)

func BenchmarkEvalBoolCached(b *testing.B) {
	env, err := NewEnv(Options{})
	if err != nil {
		b.Fatal(err)
	}
	act := activation()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := env.Compile(`contact.attributes.plan == "pro" && trigger.input.amount > 100`)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.EvalBool(ctx, act); err != nil {
			b.Fatal(err)
		}
	}
}
