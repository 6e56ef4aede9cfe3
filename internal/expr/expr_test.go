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
