package expr_test

import (
	"context"
	"fmt"

	"github.com/nextflow-dev/nextflow/internal/expr"
)

func ExampleProgram_EvalBool() {
	env, err := expr.NewEnv(expr.Options{})
	if err != nil {
		panic(err)
	}
	prg, err := env.CompileBool(`trigger.input.amount > 100 && contact.email.endsWith("@example.com")`)
	if err != nil {
		panic(err)
	}
	ok, err := prg.EvalBool(context.Background(), map[string]any{
		"trigger": map[string]any{"input": map[string]any{"amount": 150.0}},
		"contact": map[string]any{"email": "ada@example.com"},
	})
	fmt.Println(ok, err)
	// Output: true <nil>
}
