package expr

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// normalizeByCopying is normalize as it was before copy-on-write: every map
// and slice copied at every depth. The tests check that normalize gives
// equal results while sharing what needs no conversion.
func normalizeByCopying(v any) any {
	switch v := v.(type) {
	case float64:
		if v == math.Trunc(v) && math.Abs(v) <= 1<<53 {
			return int64(v)
		}
		return v
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		if f, err := v.Float64(); err == nil {
			return normalizeByCopying(f)
		}
		return v.String()
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = normalizeByCopying(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalizeByCopying(x)
		}
		return out
	}
	return v
}

// deepCopy copies v's maps, slices and byte slices at every depth, leaving
// everything else as it is, to snapshot an input before normalizing it.
func deepCopy(v any) any {
	switch v := v.(type) {
	case []byte:
		return bytes.Clone(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

// same reports whether a and b are the same map or slice (not merely equal).
func same(a, b any) bool {
	return reflect.TypeOf(a) == reflect.TypeOf(b) && reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer()
}

func decode(t *testing.T, src string, useNumber bool) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(src))
	if useNumber {
		dec.UseNumber()
	}
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	return m
}

func TestNormalizeScalars(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      any
		want    any
		changed bool
	}{
		{3.0, int64(3), true},
		{-0.0, int64(0), true},
		{float64(1 << 53), int64(1 << 53), true},
		{-float64(1 << 53), int64(-(1 << 53)), true},
		{float64(1<<53) + 2, float64(1<<53) + 2, false},
		{1e300, 1e300, false},
		{2.5, 2.5, false},
		{math.Inf(1), math.Inf(1), false},
		{json.Number("3"), int64(3), true},
		{json.Number("-7"), int64(-7), true},
		{json.Number("2.0"), int64(2), true},
		{json.Number("1e3"), int64(1000), true},
		{json.Number("2.5"), 2.5, true},
		{json.Number("9007199254740993"), int64(9007199254740993), true},
		{json.Number("1e300"), 1e300, true},
		{json.Number("1e400"), "1e400", true},
		{json.Number("abc"), "abc", true},
		{"3", "3", false},
		{true, true, false},
		{nil, nil, false},
		{int64(4), int64(4), false},
		{4, 4, false},
	}
	for _, tc := range tests {
		got, changed := normalized(tc.in)
		require.Equal(t, tc.want, got, "normalize(%#v)", tc.in)
		require.Equal(t, tc.changed, changed, "normalize(%#v) changed", tc.in)
		require.Equal(t, normalizeByCopying(tc.in), got, "normalize(%#v) as before", tc.in)
	}
}

func TestNormalizeSharesWhatNeedsNoConversion(t *testing.T) {
	t.Parallel()
	in := map[string]any{
		"s":     "x",
		"b":     true,
		"null":  nil,
		"ratio": 0.5,
		"int":   int64(3),
		"when":  time.Date(2026, 5, 13, 10, 0, 0, 0, time.UTC),
		"tags":  []any{"vip", 1.5, nil},
		"deep":  map[string]any{"a": map[string]any{"b": []any{map[string]any{"c": "d"}}}},
		"typed": map[string]string{"k": "v"},
	}
	snapshot := deepCopy(in)
	out, changed := normalized(in)
	require.False(t, changed)
	require.True(t, same(in, out), "map returned as is")
	require.Equal(t, snapshot, in)

	tags := []any{"vip", 1.5}
	got, changed := normalized(tags)
	require.False(t, changed)
	require.True(t, same(tags, got), "slice returned as is")

	// JSON with no whole numbers in it.
	dec := decode(t, `{"a": {"b": ["x", 0.25, {"c": false}]}, "d": null}`, false)
	require.True(t, same(dec, normalize(dec)))
}

func TestNormalizeCopiesOnlyTheChangedBranch(t *testing.T) {
	t.Parallel()
	in := decode(t, `{
		"a": {"b": {"n": 2, "s": "x"}, "c": {"s": "y", "f": 0.5}},
		"keep": {"s": "z"},
		"list": [{"k": 3}, {"k": "v"}, ["w"]],
		"plain": ["p", 1.5]
	}`, false)
	snapshot := deepCopy(in)

	out := normalize(in).(map[string]any)
	require.Equal(t, normalizeByCopying(in), out)
	require.Equal(t, snapshot, in, "input unchanged")

	// Along the path to a converted value: new maps and slices.
	a, outA := in["a"].(map[string]any), out["a"].(map[string]any)
	require.False(t, same(in, out))
	require.False(t, same(a, outA))
	require.False(t, same(a["b"], outA["b"]))
	require.Equal(t, int64(2), outA["b"].(map[string]any)["n"])
	require.Equal(t, 2.0, a["b"].(map[string]any)["n"], "input keeps its float64")
	list, outList := in["list"].([]any), out["list"].([]any)
	require.False(t, same(list, outList))
	require.False(t, same(list[0], outList[0]))

	// Off that path: the very same maps and slices.
	require.True(t, same(a["c"], outA["c"]))
	require.True(t, same(in["keep"], out["keep"]))
	require.True(t, same(in["plain"], out["plain"]))
	require.True(t, same(list[1], outList[1]))
	require.True(t, same(list[2], outList[2]))

	// Writing to the copies leaves the input alone.
	outA["new"] = 1
	outList[1] = "replaced"
	require.Equal(t, snapshot, in)
}

func TestNormalizeJSONNumbers(t *testing.T) {
	t.Parallel()
	in := decode(t, `{"n": 3, "f": 2.5, "w": 2.0, "big": 1e300, "nested": {"l": [1, "x"], "s": "y"}}`, true)
	snapshot := deepCopy(in)
	out := normalize(in)
	require.Equal(t, map[string]any{
		"n": int64(3), "f": 2.5, "w": int64(2), "big": 1e300,
		"nested": map[string]any{"l": []any{int64(1), "x"}, "s": "y"},
	}, out)
	require.Equal(t, normalizeByCopying(in), out)
	require.Equal(t, snapshot, in)
	require.Equal(t, json.Number("3"), in["n"], "input keeps its json.Number")
}

func TestNormalizeMatchesCopyingEverything(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		`{}`,
		`{"a": []}`,
		`{"a": [[], {}], "b": {"c": {}}}`,
		`{"a": [1, 2.5, [3, [4.0, "x"]]], "b": {"c": {"d": {"e": 5}}}, "f": "g"}`,
		`{"n": 9007199254740992, "m": 9007199254740994, "neg": -3, "z": -0.0}`,
	} {
		for _, useNumber := range []bool{false, true} {
			in := decode(t, src, useNumber)
			snapshot := deepCopy(in)
			require.Equal(t, normalizeByCopying(in), normalize(in), "%s (UseNumber %v)", src, useNumber)
			require.Equal(t, snapshot, in, "%s (UseNumber %v) unchanged", src, useNumber)
		}
	}
}

// A nil map or slice used to be normalized to an empty one and is now
// passed through; CEL sees both as empty.
func TestNormalizeNilMapsAndSlices(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	act := map[string]any{
		"vars":    map[string]any{"m": map[string]any(nil), "l": []any(nil)},
		"trigger": map[string]any(nil),
	}
	p, err := env.CompileBool(`vars.m.size() == 0 && vars.l.size() == 0 && !has(vars.m.x) &&
		trigger.size() == 0 && vars.l.all(x, false) && vars.m == {} && vars.l == []`)
	require.NoError(t, err)
	ok, err := p.EvalBool(context.Background(), act)
	require.NoError(t, err)
	require.True(t, ok)
	got, err := env.Compile(`[vars.m, vars.l]`)
	require.NoError(t, err)
	v, err := got.Eval(context.Background(), act)
	require.NoError(t, err)
	require.Equal(t, []any{map[string]any{}, []any{}}, v)
}

// Values shared with the activation reach CEL as they are; results must
// still be the caller's own, and evaluating must change nothing.
func TestEvalNeitherMutatesNorAliasesTheActivation(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	act := decode(t, `{
		"vars": {"m": {"s": "x", "l": ["a", 0.5]}, "count": 3},
		"trigger": {"input": {"tags": ["b", "a"], "o": {"k": "v"}}}
	}`, false)
	act["contact"] = map[string]any{"raw": []byte("bytes")}
	snapshot := deepCopy(act)
	for _, src := range []string{
		`vars.m`,
		`vars.m.l`,
		`trigger.input`,
		`trigger.input.tags.sort()`,
		`trigger.input.tags.sortBy(t, t)`,
		`trigger.input.tags + ["c"]`,
		`trigger.input.tags.map(t, t + "!")`,
		`trigger.input.tags.filter(t, t == "a")`,
		`{"o": trigger.input.o, "m": vars.m}`,
		`contact.raw`,
	} {
		p, err := env.Compile(src)
		require.NoError(t, err, src)
		v, err := p.Eval(context.Background(), act)
		require.NoError(t, err, src)
		require.Equal(t, snapshot, act, "%s left the activation as it was", src)
		scribble(v)
		require.Equal(t, snapshot, act, "%s returned a value sharing the activation", src)
	}
}

// scribble writes into every map, slice and byte slice of v.
func scribble(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			scribble(x)
			v[k] = "scribbled"
		}
		v["scribbled"] = true
	case []any:
		for i, x := range v {
			scribble(x)
			v[i] = "scribbled"
		}
	case []byte:
		for i := range v {
			v[i] = '!'
		}
	}
}
