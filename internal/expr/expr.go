// Package expr compiles and evaluates CEL expressions — workflow conditions,
// set_attribute values and trigger.event filters — over the execution
// context: trigger, contact, steps, vars, execution (maps) and now (a
// timestamp).
//
// An Env caches compiled programs in a bounded LRU map and limits each
// evaluation by CEL's cost model, the size of its result and, for
// expressions that loop (the comprehension macros all, exists, exists_one,
// map, filter, sortBy), a wall-clock timeout and the caller's context, so a
// hostile expression cannot hang a worker or exhaust its memory; past a
// bound the error wraps ErrLimit. An
// expression without a loop evaluates each of its nodes at most once, and
// CEL would not consult a deadline there anyway, so it gets none. Results
// are converted to plain Go values (map[string]any, []any, string, int64,
// float64, bool, time.Time, nil) that marshal to JSON.
//
// Numbers decoded from JSON are float64 in Go but CEL keeps int and double
// apart (1 + 1.0 is an error), so whole numbers in the activation are passed
// to CEL as int: `vars.count + 1` works, and `price * 1.1` needs
// `double(price) * 1.1` when price is whole.
package expr

import (
	"bytes"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
)

// Variables returns the names every expression may use. All but "now" are
// dynamic maps; "now" is a timestamp.
func Variables() []string {
	return []string{"trigger", "contact", "steps", "vars", "execution", "now"}
}

// ErrCompile is wrapped by errors from Compile for source that does not
// parse or type-check.
var ErrCompile = errors.New("invalid expression")

// ErrEval is wrapped by errors from evaluating an expression, including
// exceeding the cost limit or the timeout.
var ErrEval = errors.New("expression evaluation failed")

// ErrLimit is wrapped (with ErrEval) by evaluation errors that exceed a
// bound: the cost limit, the timeout, the caller's deadline, or the size of
// the result. The message names the bound and its value. Evaluating the
// expression over the same data exceeds it again: callers should fail for
// good, not retry.
var ErrLimit = errors.New("expression limit exceeded")

// Options configures an Env. Zero fields take the defaults below.
type Options struct {
	// CacheSize is how many compiled programs the Env keeps (default 1024).
	CacheSize int
	// CostLimit bounds CEL's runtime cost of one evaluation (default 1e6).
	CostLimit uint64
	// Timeout bounds the wall-clock time of one evaluation of an expression
	// with a comprehension (default 100ms). CEL checks for it only between
	// comprehension iterations, so expressions without one are not given a
	// deadline of their own.
	Timeout time.Duration
	// MaxSourceLen bounds the length of an expression in characters
	// (default 4096).
	MaxSourceLen int
	// MaxResultBytes bounds the size of a result of Eval, counting a
	// string's or bytes' length, 8 bytes a scalar and 16 an element of a
	// list or map (default 1 MiB).
	MaxResultBytes int64
}

func (o Options) withDefaults() Options {
	if o.CacheSize <= 0 {
		o.CacheSize = 1024
	}
	if o.CostLimit == 0 {
		o.CostLimit = 1_000_000
	}
	if o.Timeout <= 0 {
		o.Timeout = 100 * time.Millisecond
	}
	if o.MaxSourceLen <= 0 {
		o.MaxSourceLen = 4096
	}
	if o.MaxResultBytes <= 0 {
		o.MaxResultBytes = 1 << 20
	}
	return o
}

// Env is a CEL environment with a program cache. It is safe for concurrent
// use; create one and share it.
type Env struct {
	env  *cel.Env
	opts Options

	mu    sync.Mutex
	cache map[string]*list.Element // source → element whose Value is *Program
	order *list.List               // most recently used first
}

// NewEnv builds an environment with the execution-context variables and the
// strings, lists, sets, math, encoders and optional-types extensions.
func NewEnv(opts Options) (*Env, error) {
	opts = opts.withDefaults()
	env, err := cel.NewEnv(
		cel.Variable("trigger", cel.DynType),
		cel.Variable("contact", cel.DynType),
		cel.Variable("steps", cel.DynType),
		cel.Variable("vars", cel.DynType),
		cel.Variable("execution", cel.DynType),
		cel.Variable("now", cel.TimestampType),
		cel.OptionalTypes(),
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		cel.ParserExpressionSizeLimit(opts.MaxSourceLen),
		cel.ParserRecursionLimit(100),
		ext.Strings(),
		ext.Lists(),
		ext.Sets(),
		ext.Math(),
		ext.Encoders(),
	)
	if err != nil {
		return nil, fmt.Errorf("build CEL environment: %w", err)
	}
	return &Env{env: env, opts: opts, cache: map[string]*list.Element{}, order: list.New()}, nil
}

// budget is what evaluations under a context from WithBudget share.
type budget struct {
	deadline time.Time
	total    time.Duration // for messages
	left     int64         // result bytes
}

type budgetKey struct{}

// WithBudget returns a context under which evaluations of the Env's
// programs draw from one budget, created now: their results together may
// hold MaxResultBytes, and together they may take ten times Timeout (one
// second by default). A caller that evaluates many expressions for one
// purpose (the attributes of one set_attribute node) uses it so that their
// number multiplies no bound. Evaluations under the context must not run
// concurrently.
func (e *Env) WithBudget(ctx context.Context) context.Context {
	total := 10 * e.opts.Timeout
	return context.WithValue(ctx, budgetKey{}, &budget{deadline: time.Now().Add(total), total: total, left: e.opts.MaxResultBytes})
}

// Program is a compiled expression. It is safe for concurrent use.
type Program struct {
	src     string
	prg     cel.Program
	outType *cel.Type
	timeout time.Duration
	// cost and maxResult are the Env's CostLimit and MaxResultBytes.
	cost      uint64
	maxResult int64
	// refs are the variables (of Variables()) the expression references, in
	// Variables() order; eval builds and normalizes only these.
	refs []string
	// loops reports whether the expression has a comprehension, the only
	// place CEL checks the context, and so needs the timeout.
	loops bool
}

// Compile parses and type-checks src, or returns the cached program for it.
// Errors wrap ErrCompile and carry CEL's message with line and column.
func (e *Env) Compile(src string) (*Program, error) {
	if p := e.cached(src); p != nil {
		return p, nil
	}
	if len(src) > e.opts.MaxSourceLen {
		return nil, fmt.Errorf("%w: longer than %d characters", ErrCompile, e.opts.MaxSourceLen)
	}
	ast, iss := e.env.Compile(src)
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("%w: %s", ErrCompile, iss.Err())
	}
	prg, err := e.env.Program(ast,
		cel.CostLimit(e.opts.CostLimit),
		cel.InterruptCheckFrequency(64),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCompile, err)
	}
	refs, loops := analyze(ast.NativeRep())
	p := &Program{
		src: src, prg: prg, outType: ast.OutputType(), timeout: e.opts.Timeout,
		cost: e.opts.CostLimit, maxResult: e.opts.MaxResultBytes, refs: refs, loops: loops,
	}
	e.store(src, p)
	return p, nil
}

// CompileBool compiles src and also rejects it when its type is known at
// compile time and is not bool (such as `1 + 2` or `"yes"`); dynamic
// expressions are checked when evaluated.
func (e *Env) CompileBool(src string) (*Program, error) {
	p, err := e.Compile(src)
	if err != nil {
		return nil, err
	}
	if !p.outType.IsExactType(cel.BoolType) && !p.outType.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("%w: expression has type %s, want bool", ErrCompile, p.outType)
	}
	return p, nil
}

func (e *Env) cached(src string) *Program {
	e.mu.Lock()
	defer e.mu.Unlock()
	el, ok := e.cache[src]
	if !ok {
		return nil
	}
	e.order.MoveToFront(el)
	return el.Value.(*Program)
}

func (e *Env) store(src string, p *Program) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if el, ok := e.cache[src]; ok {
		e.order.MoveToFront(el)
		return
	}
	e.cache[src] = e.order.PushFront(p)
	for e.order.Len() > e.opts.CacheSize {
		last := e.order.Back()
		e.order.Remove(last)
		delete(e.cache, last.Value.(*Program).src)
	}
}

// cacheLen reports how many programs are cached (for tests).
func (e *Env) cacheLen() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.order.Len()
}

// String returns the expression's source.
func (p *Program) String() string { return p.src }

// Eval evaluates the program over the activation (variable name → value).
// Variables left out are empty maps, and "now" defaults to the current
// time. The result is plain Go (see the package doc). Errors wrap ErrEval.
func (p *Program) Eval(ctx context.Context, activation map[string]any) (any, error) {
	v, err := p.eval(ctx, activation)
	if err != nil {
		return nil, err
	}
	left, limit := p.maxResult, p.maxResult
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b != nil {
		left = b.left
	}
	out, err := toGo(v, &left)
	if b != nil {
		b.left = left
	}
	if errors.Is(err, errResultTooLarge) {
		if b != nil {
			return nil, fmt.Errorf("%w: %w: %q: results larger than %d bytes together", ErrEval, ErrLimit, p.src, limit)
		}
		return nil, fmt.Errorf("%w: %w: %q: result larger than %d bytes", ErrEval, ErrLimit, p.src, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrEval, p.src, err)
	}
	return out, nil
}

// EvalBool evaluates a program that must produce a bool, such as a
// condition or a filter; any other result is an error naming its type.
func (p *Program) EvalBool(ctx context.Context, activation map[string]any) (bool, error) {
	v, err := p.eval(ctx, activation)
	if err != nil {
		return false, err
	}
	b, ok := v.(types.Bool)
	if !ok {
		return false, fmt.Errorf("%w: %q returned %s, want bool", ErrEval, p.src, v.Type().TypeName())
	}
	return bool(b), nil
}

// analyze walks a checked expression (macros already expanded) and returns
// the variables of Variables() it references, in that order, and whether it
// has a comprehension. A comprehension's iteration variable that shares a
// variable's name (`[1].exists(vars, vars > 0)`) is counted too, which only
// costs that variable's normalization.
func analyze(a *celast.AST) (refs []string, loops bool) {
	used := map[string]bool{}
	celast.PreOrderVisit(a.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.IdentKind:
			used[e.AsIdent()] = true
		case celast.ComprehensionKind:
			loops = true
		}
	}))
	for _, name := range Variables() {
		if used[name] {
			refs = append(refs, name)
		}
	}
	return refs, loops
}

func (p *Program) eval(ctx context.Context, activation map[string]any) (ref.Val, error) {
	// Only the variables the expression references are bound: CEL looks up
	// a variable when it evaluates its identifier, so an unreferenced one is
	// never asked for, and normalizing it would be wasted copying.
	vars := make(map[string]any, len(p.refs))
	for _, name := range p.refs {
		if v, ok := activation[name]; ok && v != nil {
			vars[name] = normalize(v)
		} else if name == "now" {
			vars[name] = time.Now().UTC()
		} else {
			vars[name] = map[string]any{}
		}
	}
	var (
		v   ref.Val
		err error
	)
	parent := ctx
	timeout := p.timeout
	if b, ok := ctx.Value(budgetKey{}).(*budget); ok {
		left := time.Until(b.deadline)
		if left <= 0 {
			return nil, fmt.Errorf("%w: %w: %q: evaluations together took longer than %s", ErrEval, ErrLimit, p.src, b.total)
		}
		timeout = min(timeout, left)
	}
	if err := ctx.Err(); err != nil {
		// Every evaluation honours its caller's context, even one that
		// CEL would never interrupt.
		return nil, p.evalError(parent, ctx, errNotEvaluated)
	}
	if p.loops {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
		v, _, err = p.prg.ContextEval(ctx, vars)
	} else {
		// CEL consults the context only between comprehension iterations
		// (and for asynchronous functions, which the Env has none of), so
		// without a comprehension ContextEval would merely pay for a
		// context.WithCancel; Eval runs the same plan, cost limit included.
		v, _, err = p.prg.Eval(vars)
	}
	if err != nil {
		return nil, p.evalError(parent, ctx, err)
	}
	return v, nil
}

// evalError wraps an evaluation error, telling a bound exceeded (ErrLimit)
// from the caller cancelling (a shutdown, say: not the expression's fault)
// and from other failures.
func (p *Program) evalError(parent, ctx context.Context, err error) error {
	var cancelled interpreter.EvalCancelledError
	switch {
	case errors.As(err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded:
		return fmt.Errorf("%w: %w: %q: cost limit of %d exceeded", ErrEval, ErrLimit, p.src, p.cost)
	case errors.Is(parent.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: %w: %q: the caller's deadline passed (%w)", ErrEval, ErrLimit, p.src, parent.Err())
	case parent.Err() != nil:
		return fmt.Errorf("%w: %q: %w (%w)", ErrEval, p.src, err, parent.Err())
	case ctx.Err() != nil:
		if b, ok := parent.Value(budgetKey{}).(*budget); ok && !time.Now().Before(b.deadline) {
			return fmt.Errorf("%w: %w: %q: evaluations together took longer than %s (%w)", ErrEval, ErrLimit, p.src, b.total, ctx.Err())
		}
		return fmt.Errorf("%w: %w: %q: took longer than %s (%w)", ErrEval, ErrLimit, p.src, p.timeout, ctx.Err())
	}
	return fmt.Errorf("%w: %q: %w", ErrEval, p.src, err)
}

// errNotEvaluated is the error of an evaluation not started because its
// caller's context was done.
var errNotEvaluated = errors.New("not evaluated")

// errResultTooLarge is returned by toGo past the result budget.
var errResultTooLarge = errors.New("result too large")

// normalize returns v with JSON-decoded numbers made CEL-friendly: a
// float64 (or json.Number) holding a whole number within ±2^53 becomes an
// int64, so `vars.count + 1` and `trigger.input.amount > 100` work as users
// expect; other float64s stay as they are, and a json.Number that is not
// whole becomes a float64 (or, when it does not parse, its string).
//
// The caller's maps and slices are never modified. They are copied on
// write: a map[string]any or []any is copied only when something beneath it
// converts, and then only it and its ancestors are copied; a subtree with
// nothing to convert is shared with v, not copied. Sharing is safe because
// CEL only reads the native values it is given (its mutable lists and maps
// are fresh accumulators of comprehensions), and toGo builds new maps,
// lists and byte slices for results, so no result aliases the activation.
func normalize(v any) any {
	out, _ := normalized(v)
	return out
}

// normalized is normalize, also reporting whether the result differs from v;
// when it does not, the result is v itself.
func normalized(v any) (any, bool) {
	// Unchanged values are returned as v, not as the switch's typed x:
	// boxing x again would allocate (for a float64, say).
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return int64(x), true
		}
	case json.Number:
		// Always converted: to int64, float64 or string.
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		if f, err := x.Float64(); err == nil {
			return normalize(f), true
		}
		return x.String(), true
	case map[string]any:
		var out map[string]any // nil until a value converts
		for k, e := range x {
			ne, changed := normalized(e)
			if !changed {
				continue
			}
			if out == nil {
				out = maps.Clone(x)
			}
			out[k] = ne
		}
		if out != nil {
			return out, true
		}
	case []any:
		var out []any // nil until an element converts
		for i, e := range x {
			ne, changed := normalized(e)
			if !changed {
				continue
			}
			if out == nil {
				out = slices.Clone(x)
			}
			out[i] = ne
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
}

// toGo converts a CEL value to plain Go, spending the size of what it
// builds from *left (see Options.MaxResultBytes) and failing with
// errResultTooLarge once that runs out.
func toGo(v ref.Val, left *int64) (any, error) {
	if types.IsError(v) {
		if err, ok := v.Value().(error); ok {
			return nil, err
		}
		return nil, fmt.Errorf("%v", v)
	}
	var n int64 = 8
	switch v := v.(type) {
	case types.String:
		n = int64(len(v))
	case types.Bytes:
		n = int64(len(v))
	case traits.Sizer:
		if size, ok := v.Size().(types.Int); ok {
			n = 16 * int64(size)
		}
	}
	if *left -= n; *left < 0 {
		return nil, errResultTooLarge
	}
	switch v := v.(type) {
	case types.Null:
		return nil, nil
	case types.Bool:
		return bool(v), nil
	case types.Int:
		return int64(v), nil
	case types.Uint:
		if uint64(v) <= math.MaxInt64 {
			return int64(v), nil
		}
		return float64(v), nil
	case types.Double:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("result %v cannot be represented in JSON", f)
		}
		return f, nil
	case types.String:
		return string(v), nil
	case types.Bytes:
		// A []byte in the activation reaches CEL as types.Bytes over the
		// same array; copy it so the result never aliases the caller's.
		return bytes.Clone([]byte(v)), nil
	case types.Timestamp:
		return v.Time, nil
	case types.Duration:
		return v.Duration, nil
	case *types.Optional:
		if !v.HasValue() {
			return nil, nil
		}
		return toGo(v.GetValue(), left)
	case traits.Mapper:
		out := map[string]any{}
		it := v.Iterator()
		for it.HasNext() == types.True {
			k := it.Next()
			val, err := toGo(v.Get(k), left)
			if err != nil {
				return nil, err
			}
			key, ok := k.(types.String)
			if ok {
				out[string(key)] = val
			} else {
				out[fmt.Sprint(k.Value())] = val
			}
		}
		return out, nil
	case traits.Lister:
		n, ok := v.Size().(types.Int)
		if !ok {
			return nil, fmt.Errorf("list of unknown size")
		}
		out := make([]any, 0, int(n))
		for i := types.Int(0); i < n; i++ {
			val, err := toGo(v.Get(i), left)
			if err != nil {
				return nil, err
			}
			out = append(out, val)
		}
		return out, nil
	}
	return nil, fmt.Errorf("result of type %s cannot be represented in JSON", v.Type().TypeName())
}
