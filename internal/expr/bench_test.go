package expr

import (
	"context"
	"encoding/json"
	"testing"
	"time"
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

// benchActivation is an execution context of realistic size, decoded from
// JSON as the engine does: a trigger input with ten fields, five step
// outputs, a few vars and the execution's identity.
func benchActivation(b *testing.B) map[string]any {
	b.Helper()
	var act map[string]any
	err := json.Unmarshal([]byte(`{
		"trigger": {"type": "event", "input": {
			"plan": "pro", "amount": 149.5, "quantity": 3, "currency": "EUR",
			"customer_id": "c_81723", "email": "ada@example.com", "country": "DE",
			"coupon": null, "tags": ["vip", "beta"], "address": {"city": "Berlin", "zip": "10115"}
		}},
		"contact": {"email": "ada@example.com", "attributes": {"first_name": "Ada", "plan": "pro", "score": 42, "activated": true}},
		"steps": {
			"fetch": {"output": {"status": 200, "body": {"id": 7, "items": [1, 2, 3]}}},
			"score": {"output": {"value": 0.87, "label": "high"}},
			"enrich": {"output": {"company": "Acme", "employees": 120, "domains": ["acme.com", "acme.io"]}},
			"wait": {"output": {"waited": 3600}},
			"send": {"output": {"message_id": "m_1", "accepted": true}}
		},
		"vars": {"count": 3, "threshold": 0.5, "label": "x"},
		"execution": {"id": "x1", "workflowId": "w1", "version": 2}
	}`), &act)
	if err != nil {
		b.Fatal(err)
	}
	act["now"] = time.Date(2026, 5, 13, 10, 0, 0, 0, time.UTC)
	return act
}

func BenchmarkEval(b *testing.B) {
	env, err := NewEnv(Options{})
	if err != nil {
		b.Fatal(err)
	}
	act := benchActivation(b)
	ctx := context.Background()
	for _, src := range []string{
		`vars.count > 1 && trigger.input.plan == "pro"`,
		`has(steps.fetch.output) && steps.fetch.output.status == 200`,
		`steps.enrich.output.domains.exists(d, d.endsWith(".io"))`,
	} {
		p, err := env.CompileBool(src)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(src, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ok, err := p.EvalBool(ctx, act)
				if err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// BenchmarkNormalize normalizes every variable of benchActivation as decoded
// from JSON (whole numbers scattered through it, so the paths to them are
// copied) and once more after normalizing, when nothing is left to convert.
func BenchmarkNormalize(b *testing.B) {
	decoded := benchActivation(b)
	converted := map[string]any{}
	for k, v := range decoded {
		converted[k] = normalize(v)
	}
	for _, bc := range []struct {
		name string
		act  map[string]any
	}{{"decoded", decoded}, {"converted", converted}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, v := range bc.act {
					_ = normalize(v)
				}
			}
		})
	}
}
