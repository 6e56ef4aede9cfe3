package expr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func newEnv(t *testing.T, opts Options) *Env {
	t.Helper()
	env, err := NewEnv(opts)
	require.NoError(t, err)
	return env
}

func activation() map[string]any {
	var ctx map[string]any
	_ = json.Unmarshal([]byte(`{
		"trigger": {"type": "event", "input": {"amount": 150}, "event": {"name": "order.completed", "properties": {"total": 99.5, "items": ["a", "b"]}}},
		"contact": {"email": "Ada@Example.com", "attributes": {"first_name": "Ada", "activated": true, "plan": "pro"}},
		"steps": {"line": {"output": {"text": "hi"}}},
		"vars": {"count": 3},
		"execution": {"id": "x1", "workflowId": "w1", "version": 2}
	}`), &ctx)
	ctx["now"] = time.Date(2026, 5, 13, 10, 0, 0, 0, time.UTC)
	return ctx
}

func TestEval(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	tests := []struct {
		src  string
		want any
	}{
		{`trigger.input.amount > 100`, true},
		{`contact.attributes.activated == true`, true},
		{`contact.email.lowerAscii()`, "ada@example.com"},
		{`contact.email.split("@")[1]`, "Example.com"},
		{`"x" + steps.line.output.text`, "xhi"},
		{`vars.count + 1`, int64(4)},
		{`trigger.event.properties.total * 2.0`, 199.0},
		{`1 + 2`, int64(3)},
		{`trigger.event.properties.items.size()`, int64(2)},
		{`trigger.event.properties.items.map(i, i.upperAscii())`, []any{"A", "B"}},
		{`{"plan": contact.attributes.plan, "n": 1}`, map[string]any{"plan": "pro", "n": int64(1)}},
		{`now.getHours()`, int64(10)},
		{`now + duration("1h")`, time.Date(2026, 5, 13, 11, 0, 0, 0, time.UTC)},
		{`contact.?attributes.?missing.orValue("none")`, "none"},
		{`has(contact.attributes.missing)`, false},
		{`contact.?attributes.?plan`, "pro"},
		{`contact.?nothing`, nil},
		{`null`, nil},
		{`math.greatest([1, 5, 3])`, int64(5)},
		{`execution.version == 2`, true},
		{`timestamp("2026-01-01T00:00:00Z") < now`, true},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			t.Parallel()
			p, err := env.Compile(tc.src)
			require.NoError(t, err)
			got, err := p.Eval(context.Background(), activation())
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			_, err = json.Marshal(got)
			require.NoError(t, err)
		})
	}
}

func TestEvalBool(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	p, err := env.Compile(`contact.attributes.plan == "pro" && trigger.input.amount >= 150`)
	require.NoError(t, err)
	ok, err := p.EvalBool(context.Background(), activation())
	require.NoError(t, err)
	require.True(t, ok)

	p, err = env.Compile(`contact.attributes.first_name`)
	require.NoError(t, err)
	_, err = p.EvalBool(context.Background(), activation())
	require.ErrorIs(t, err, ErrEval)
	require.Contains(t, err.Error(), "returned string, want bool")
}

func TestMissingVariablesAndKeys(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	p, err := env.Compile(`has(contact.attributes) || vars.size() == 0`)
	require.NoError(t, err)
	ok, err := p.EvalBool(context.Background(), nil)
	require.NoError(t, err)
	require.True(t, ok)

	p, err = env.Compile(`contact.attributes.plan == "pro"`)
	require.NoError(t, err)
	_, err = p.EvalBool(context.Background(), map[string]any{"contact": map[string]any{}})
	require.ErrorIs(t, err, ErrEval)
	require.Contains(t, err.Error(), "no such key")

	p, err = env.Compile(`now > timestamp("2020-01-01T00:00:00Z")`)
	require.NoError(t, err)
	ok, err = p.EvalBool(context.Background(), nil)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{MaxSourceLen: 200})
	for _, src := range []string{
		`contact.email ==`,
		`unknown_var > 1`,
		`contact.email.noSuchFunction()`,
		`1 + "a"`,
		`"` + string(make([]byte, 300)) + `"`,
	} {
		_, err := env.Compile(src)
		require.ErrorIs(t, err, ErrCompile, src)
	}
	_, err := env.CompileBool(`1 + 2`)
	require.ErrorIs(t, err, ErrCompile)
	require.Contains(t, err.Error(), "want bool")
	_, err = env.CompileBool(`contact.attributes.activated`)
	require.NoError(t, err)
	_, err = env.CompileBool(`1 < 2`)
	require.NoError(t, err)
}

func TestCostLimitStopsHostileExpression(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{CostLimit: 10_000, Timeout: time.Minute})
	src := `[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, [1,2,3,4,5,6,7,8,9,10].map(d, a+b+c+d)))).size() > 0`
	p, err := env.Compile(src)
	require.NoError(t, err)
	_, err = p.EvalBool(context.Background(), nil)
	require.ErrorIs(t, err, ErrEval)
	require.Contains(t, err.Error(), "cost")
}

func TestTimeoutStopsHostileExpression(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{CostLimit: 1 << 62, Timeout: 20 * time.Millisecond})
	src := `[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(a, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(b, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(c, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(d, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(e, a+b+c+d+e > 0)))))`
	p, err := env.Compile(src)
	require.NoError(t, err)
	_, err = p.EvalBool(context.Background(), nil)
	require.ErrorIs(t, err, ErrEval)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
}

func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{CacheSize: 4})
	first, err := env.Compile(`1 == 1`)
	require.NoError(t, err)
	again, err := env.Compile(`1 == 1`)
	require.NoError(t, err)
	require.Same(t, first, again)
	for i := range 10 {
		_, err := env.Compile(fmt.Sprintf("%d == %d", i, i))
		require.NoError(t, err)
	}
	require.Equal(t, 4, env.cacheLen())
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{CacheSize: 8})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				p, err := env.Compile(fmt.Sprintf("vars.count + %d", (i+j)%12))
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := p.Eval(context.Background(), activation()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// evalEveryVariable is Eval as it was before programs recorded the
// variables they reference: every variable normalized (by copying it
// whole, as normalize did before copying on write) and bound, and a
// timeout on every evaluation. TestOnlyReferencedVariablesAreBound checks
// that binding fewer changes no result.
func evalEveryVariable(p *Program, activation map[string]any) (any, error) {
	vars := map[string]any{}
	for _, name := range Variables() {
		if v, ok := activation[name]; ok && v != nil {
			vars[name] = normalizeByCopying(v)
		} else if name == "now" {
			vars[name] = time.Now().UTC()
		} else {
			vars[name] = map[string]any{}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	v, _, err := p.prg.ContextEval(ctx, vars)
	if err != nil {
		return nil, fmt.Errorf("evaluate %q over every variable: %w", p.src, err)
	}
	left := p.maxResult
	return toGo(v, &left)
}

func TestOnlyReferencedVariablesAreBound(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	act := activation()
	var decoded map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{
		"trigger": {"input": {"plan": "pro", "address": {"zip": "10115"}, "items": [{"qty": 1}, {"qty": 2.0}], "tags": ["vip", "beta"]}},
		"steps": {"x": {"output": {"ok": true}}, "y": {"error": "boom"}},
		"vars": {"n": 2.0, "count": 3, "ratio": 0.5, "prefix": "v"}
	}`), &decoded))
	tests := []struct {
		src  string
		act  map[string]any
		want any
	}{
		// Only vars is referenced, and it is still normalized: whole
		// float64s arrive as int.
		{`vars.n + 1`, decoded, int64(3)},
		{`type(vars.count) == int && type(vars.ratio) == double`, decoded, true},
		{`vars.ratio * 2.0`, decoded, 1.0},
		// Nested trigger values, normalized at every depth.
		{`trigger.input.plan == "pro" && trigger.input.address.zip == "10115"`, decoded, true},
		{`trigger.input.items[1].qty + 1`, decoded, int64(3)},
		{`trigger.?input.?missing.orValue("none")`, decoded, "none"},
		// has() expands to a test-only select on steps.
		{`has(steps.x.output)`, decoded, true},
		{`has(steps.y.output)`, decoded, false},
		{`has(steps.x.output) && steps.x.output.ok`, decoded, true},
		// Comprehension macros; variables referenced only in their bodies.
		{`[1, 2, 3].exists(x, x > vars.n)`, decoded, true},
		{`[1, 2, 3].all(x, x > vars.n)`, decoded, false},
		{`[1, 2, 3].exists_one(x, x == vars.n)`, decoded, true},
		{`[1, 2, 3].filter(x, x > vars.n)`, decoded, []any{int64(3)}},
		{`[1, 2, 3].map(x, x * vars.n)`, decoded, []any{int64(2), int64(4), int64(6)}},
		{`[1, 2, 3].map(x, x > 1, x + vars.n)`, decoded, []any{int64(4), int64(5)}},
		{`trigger.input.tags.all(t, t.size() > vars.n)`, decoded, true},
		{`trigger.input.items.sortBy(i, -i.qty).map(i, i.qty)`, decoded, []any{int64(2), int64(1)}},
		{`{"a": vars.n}.exists(k, k == "a")`, decoded, true},
		// Iteration variables named like variables shadow them inside the
		// comprehension; outside it the variable is still bound.
		{`[5].exists(vars, vars == 5)`, decoded, true},
		{`[5].exists(vars, vars == 5) && vars.n == 2`, decoded, true},
		{`[5].map(trigger, trigger + 1)[0] + vars.n`, decoded, int64(8)},
		{`[[1]].all(contact, contact.all(vars, vars == 1)) && contact.size() == 0`, decoded, true},
		// Absent variables are empty maps; absent now is the current time.
		{`contact.size() == 0 && execution.size() == 0`, decoded, true},
		{`has(contact.email)`, decoded, false},
		{`vars.size() == 0`, nil, true},
		{`now > timestamp("2020-01-01T00:00:00Z")`, decoded, true},
		{`now.getHours()`, act, int64(10)},
		{`now - duration("1h") < now && execution.version == 2`, act, true},
		// Nothing referenced at all.
		{`1 + 2 == 3`, decoded, true},
		{`[1, 2].exists(x, x == 2)`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			t.Parallel()
			p, err := env.Compile(tc.src)
			require.NoError(t, err)
			got, err := p.Eval(context.Background(), tc.act)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			before, err := evalEveryVariable(p, tc.act)
			require.NoError(t, err)
			require.Equal(t, before, got)
		})
	}
}

func TestAnalyze(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	tests := []struct {
		src   string
		refs  []string
		loops bool
	}{
		{`1 + 2`, nil, false},
		{`vars.count > 1 && trigger.input.plan == "pro"`, []string{"trigger", "vars"}, false},
		{`has(steps.x.output)`, []string{"steps"}, false},
		{`contact.?attributes.?plan.orValue("") == "pro"`, []string{"contact"}, false},
		{`now > timestamp("2020-01-01T00:00:00Z")`, []string{"now"}, false},
		{`{"a": execution.id, "b": [contact.email]}`, []string{"contact", "execution"}, false},
		{`[1, 2, 3].exists(x, x > vars.n)`, []string{"vars"}, true},
		{`[1, 2, 3].all(x, x > 0)`, nil, true},
		{`[1, 2, 3].exists_one(x, x > 0)`, nil, true},
		{`[1, 2, 3].map(x, x)`, nil, true},
		{`[1, 2, 3].filter(x, x > 0)`, nil, true},
		{`trigger.input.items.sortBy(i, i.qty)`, []string{"trigger"}, true},
		{`steps.s.output.size() > 0 ? [1].exists(x, x == 1) : false`, []string{"steps"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			t.Parallel()
			p, err := env.Compile(tc.src)
			require.NoError(t, err)
			require.Equal(t, tc.refs, p.refs)
			require.Equal(t, tc.loops, p.loops)
		})
	}
}

func TestTimeoutStopsHostileExpressionReferencingVariables(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{CostLimit: 1 << 62, Timeout: 20 * time.Millisecond})
	src := `[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].exists(a, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].exists(b, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].exists(c, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].exists(d, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].exists(e, a+b+c+d+e > vars.n)))))`
	p, err := env.Compile(src)
	require.NoError(t, err)
	start := time.Now()
	_, err = p.EvalBool(context.Background(), map[string]any{"vars": map[string]any{"n": 1e9}})
	require.ErrorIs(t, err, ErrEval)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 10*time.Second)
}

func TestCallerContextReachesComprehensions(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	// A comprehension is interrupted by the caller's cancelled context
	// (CEL checks it every 64 iterations).
	p, err := env.Compile(`lists.range(1000).all(x, x >= 0)`)
	require.NoError(t, err)
	_, err = p.EvalBool(ctx, nil)
	require.ErrorIs(t, err, ErrEval)
	require.ErrorIs(t, err, context.Canceled)

	// Without a comprehension CEL never consults the context, but Eval
	// does before it starts: every node's work honours its context (#12).
	p, err = env.Compile(`vars.n == 1`)
	require.NoError(t, err)
	_, err = p.EvalBool(ctx, map[string]any{"vars": map[string]any{"n": 1.0}})
	require.ErrorIs(t, err, ErrEval)
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, ErrLimit)
}

func TestCostLimitWithoutComprehension(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{CostLimit: 5})
	p, err := env.Compile(`trigger.input.a + trigger.input.b + trigger.input.c + trigger.input.d > 0`)
	require.NoError(t, err)
	require.False(t, p.loops)
	_, err = p.EvalBool(context.Background(), map[string]any{"trigger": map[string]any{"input": map[string]any{"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}}})
	require.ErrorIs(t, err, ErrEval)
	require.Contains(t, err.Error(), "cost")
}
