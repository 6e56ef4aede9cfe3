package expr

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// attacks are expressions that, unbounded, exhaust memory or CPU; each
// must fail with ErrLimit.
var attacks = []struct{ name, src string }{
	{"nested ranges", `lists.range(1000).map(i, lists.range(1000).map(j, j)).size()`},
	{"lists of ranges", `[1,2,3].map(x, lists.range(1000000)).size()`},
	{"range as the result", `lists.range(1000000)`},
	{"string doubling", `"aaaaaaaaaa"` + strings.Repeat(`.replace("", "aaaaaaaaaa")`, 10) + `.size()`},
	{"string growth by replace", `"aaaaaaaaaa"` + strings.Repeat(`.replace("a", "aaaaaaaaaa")`, 10) + `.size()`},
	{"joined strings", `lists.range(200).map(i, lists.range(200).map(j, "aaaaaaaaaaaaaaaaaaaaaaaaaaaa")).map(l, l.join("")).join("").size()`},
	{"list doubling", `[[1,2,3,4,5,6,7,8,9,10]].map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a)`},
	{"five nested comprehensions", `lists.range(100).all(a, lists.range(100).all(b, lists.range(100).all(c, lists.range(100).all(d, lists.range(100).all(e, a+b+c+d+e >= 0)))))`},
	{"large result", `lists.range(60000)`},
}

func TestAttacksFailWithALimit(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			p, err := env.Compile(a.src)
			require.NoError(t, err)
			_, err = p.Eval(t.Context(), nil)
			require.ErrorIs(t, err, ErrLimit)
			require.ErrorIs(t, err, ErrEval)
		})
	}
}

// TestAttacksAllocateBoundedMemory measures the bytes each attack
// allocates. It does not call t.Parallel: runtime.MemStats counts the
// whole process, so it runs before the parallel tests start.
func TestAttacksAllocateBoundedMemory(t *testing.T) {
	env := newEnv(t, Options{})
	for _, a := range attacks {
		p, err := env.Compile(a.src)
		require.NoError(t, err)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err = p.Eval(t.Context(), nil)
		runtime.ReadMemStats(&after)
		require.ErrorIs(t, err, ErrLimit, a.name)
		allocated := after.TotalAlloc - before.TotalAlloc
		// lists.range(1000000) builds its million-element list before
		// CEL charges its cost: about 22 MiB.
		require.Less(t, allocated, uint64(64<<20), "%s allocated %d bytes", a.name, allocated)
		t.Logf("%s: %d KiB", a.name, allocated>>10)
	}
}

func TestLimitMessages(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{CostLimit: 1000, MaxResultBytes: 1000, Timeout: time.Minute})
	tests := []struct{ src, msg string }{
		{`lists.range(100)`, "result larger than 1000 bytes"},
		{`lists.range(10).map(x, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")`, "result larger than 1000 bytes"},
		{`{"a": {"b": "` + strings.Repeat("a", 1001) + `"}}`, "result larger than 1000 bytes"},
		{`lists.range(100).map(x, lists.range(100).map(y, x + y)).size()`, "cost limit of 1000 exceeded"},
	}
	for _, tc := range tests {
		p, err := env.Compile(tc.src)
		require.NoError(t, err)
		_, err = p.Eval(t.Context(), nil)
		require.ErrorIs(t, err, ErrLimit, tc.src)
		require.Contains(t, err.Error(), tc.msg)
	}
	// Under the bound, results come back.
	p, err := env.Compile(`lists.range(10)`)
	require.NoError(t, err)
	got, err := p.Eval(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, got, 10)
}

func TestTimeLimitIsALimit(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{CostLimit: 1 << 62, Timeout: 20 * time.Millisecond})
	p, err := env.Compile(`lists.range(1000).all(a, lists.range(1000).all(b, lists.range(1000).all(c, a+b+c >= 0)))`)
	require.NoError(t, err)
	_, err = p.EvalBool(t.Context(), nil)
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, err.Error(), "took longer than 20ms")
}

func TestCallerDeadlineIsALimitAndCancelIsNot(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{CostLimit: 1 << 62, Timeout: time.Minute})
	p, err := env.Compile(`lists.range(1000).all(a, lists.range(1000).all(b, lists.range(1000).all(c, a+b+c >= 0)))`)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err = p.EvalBool(ctx, nil)
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, err.Error(), "the caller's deadline passed")

	ctx, cancel = context.WithCancel(t.Context())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	_, err = p.EvalBool(ctx, nil)
	require.ErrorIs(t, err, ErrEval)
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, ErrLimit)
}

func TestWithBudgetSharesBoundsAcrossEvaluations(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{MaxResultBytes: 1000, Timeout: 10 * time.Millisecond, CostLimit: 1 << 62})
	list := `lists.range(30)` // 30*16 + 30*8 = 720 bytes
	p, err := env.Compile(list)
	require.NoError(t, err)
	// Alone, each evaluation is within the bound.
	for range 3 {
		_, err := p.Eval(t.Context(), nil)
		require.NoError(t, err)
	}
	// Under one budget, results add up.
	ctx := env.WithBudget(t.Context())
	_, err = p.Eval(ctx, nil)
	require.NoError(t, err)
	_, err = p.Eval(ctx, nil)
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "results larger than 1000 bytes together")

	// And so does time: ten times Timeout in all, here 100ms.
	slow, err := env.CompileBool(`lists.range(1000).all(a, lists.range(1000).all(b, a+b >= 0))`)
	require.NoError(t, err)
	ctx = env.WithBudget(t.Context())
	for range 100 {
		if _, err = slow.EvalBool(ctx, nil); errors.Is(err, ErrLimit) && strings.Contains(err.Error(), "together") {
			break
		}
	}
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "evaluations together took longer than 100ms")
}
