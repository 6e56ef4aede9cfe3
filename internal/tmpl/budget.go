package tmpl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/osteele/liquid/render"
)

// ErrLimit is wrapped by render errors when a template exceeds one of its
// per-render bounds (Options.MaxIterations, MaxBytes, MaxOutputBytes,
// Timeout, or the deadline of the caller's context). The message names the
// bound and its value. Rendering the same template over the same data
// again exceeds it again: callers should fail for good, not retry.
var ErrLimit = errors.New("template limit exceeded")

// limitError is a bound that a render exceeded. It matches ErrLimit, and
// also (when set) another sentinel such as ErrOutputTooLarge, and unwraps to
// its cause (such as context.DeadlineExceeded).
type limitError struct {
	msg   string
	also  error
	cause error
}

func (e *limitError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s (%s)", ErrLimit, e.msg, e.cause)
	}
	return fmt.Sprintf("%s: %s", ErrLimit, e.msg)
}

func (e *limitError) Is(target error) bool {
	return target == ErrLimit || (e.also != nil && target == e.also)
}

func (e *limitError) Unwrap() error { return e.cause }

// budgetKey is the binding under which a render's budget travels to the
// engine's own tags. It is not a Liquid identifier, so templates cannot
// name, assign or shadow it.
const budgetKey = "\x00nf_budget"

// budget is what one render may still spend. A render runs on one
// goroutine, so it needs no lock. The first bound exceeded is kept in err,
// and every later check returns it: Liquid may wrap or, in places, drop an
// error a filter or tag returns, and the render still reports the bound.
type budget struct {
	ctx      context.Context
	deadline time.Time
	timeout  time.Duration // the Engine's own cap, for messages

	iterations, maxIterations int
	bytes, maxBytes           int64
	// output is what renders have written so far, of maxOutput.
	output, maxOutput int

	err error
}

func newBudget(ctx context.Context, o Options, now time.Time) *budget {
	return &budget{
		ctx: ctx, deadline: now.Add(o.Timeout), timeout: o.Timeout,
		maxIterations: o.MaxIterations, maxBytes: o.MaxBytes, maxOutput: o.MaxOutputBytes,
	}
}

type budgetCtxKey struct{}

// WithBudget returns a context under which every render of e draws from
// one budget, created now: the bounds of Options (iterations, bytes built,
// output, time) apply to those renders together rather than to each. A
// caller that renders many templates for one purpose (the URL, headers
// and body fields of one HTTP request) uses it so that their number
// multiplies no bound. Renders under the context must not run
// concurrently.
func (e *Engine) WithBudget(ctx context.Context) context.Context {
	return context.WithValue(ctx, budgetCtxKey{}, newBudget(ctx, e.opts, time.Now()))
}

// budgetFor returns the budget a render under ctx draws from: the one
// WithBudget put there, or a new one.
func (e *Engine) budgetFor(ctx context.Context) *budget {
	if b, ok := ctx.Value(budgetCtxKey{}).(*budget); ok {
		return b
	}
	return newBudget(ctx, e.opts, time.Now())
}

// check fails once the render is out of time or its context is done.
func (b *budget) check() error {
	if b.err != nil {
		return b.err
	}
	if err := b.ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			b.err = &limitError{msg: "the caller's deadline passed", cause: err}
		} else {
			// Cancelled (a shutdown, say): not the template's fault.
			b.err = fmt.Errorf("%w: %w", ErrRender, err)
		}
		return b.err
	}
	if time.Now().After(b.deadline) {
		b.err = &limitError{msg: fmt.Sprintf("rendering took longer than %s", b.timeout), cause: context.DeadlineExceeded}
		return b.err
	}
	return nil
}

// iterate spends one loop iteration.
func (b *budget) iterate() error {
	if b.err != nil {
		return b.err
	}
	b.iterations++
	if b.iterations > b.maxIterations {
		b.err = &limitError{msg: fmt.Sprintf("more than %d loop iterations", b.maxIterations)}
		return b.err
	}
	return b.check()
}

// spend charges n bytes about to be produced by what (a filter, a capture).
func (b *budget) spend(n int64, what string) error {
	if b.err != nil {
		return b.err
	}
	if n < 0 || n > b.maxBytes-b.bytes {
		b.err = &limitError{msg: fmt.Sprintf("%s would take the bytes built by filters and captures past %d", what, b.maxBytes)}
		return b.err
	}
	b.bytes += n
	return nil
}

// budgetOf returns the render's budget, or nil outside a bounded render.
func budgetOf(ctx render.Context) *budget {
	b, _ := ctx.Get(budgetKey).(*budget)
	return b
}

// Tag names the engine adds. They are not Liquid identifiers users would
// write, and using them directly does no harm.
const (
	tickTag    = "nf_loop_tick"
	captureTag = "nf_capture"
)

// tickCompiler compiles the tag put first in every loop body: it spends an
// iteration and checks the time and the context.
func tickCompiler(string) (func(io.Writer, render.Context) error, error) {
	return func(_ io.Writer, ctx render.Context) error {
		if b := budgetOf(ctx); b != nil {
			return b.iterate()
		}
		return nil
	}, nil
}

// captureCompiler compiles the engine's capture block, which replaces
// Liquid's: it renders its body into a buffer that charges the budget
// before it grows, then assigns the text.
func captureCompiler(node render.BlockNode) (func(io.Writer, render.Context) error, error) {
	name := strings.TrimSpace(node.Args)
	if name == "" || strings.ContainsAny(name, " \t\r\n") {
		return nil, fmt.Errorf("syntax error: capture tag requires exactly one variable name, got %q", node.Args)
	}
	return func(_ io.Writer, ctx render.Context) error {
		cw := &captureWriter{b: budgetOf(ctx)}
		if err := ctx.RenderChildren(cw); err != nil {
			return err
		}
		if cw.b != nil && cw.b.err != nil {
			return cw.b.err
		}
		ctx.Set(name, cw.String())
		return nil
	}, nil
}

// captureWriter collects a capture's text, charging each write first. It
// grows its buffer by doubling, but never past what the budget has left,
// so a capture that reaches the bound has not allocated far beyond it.
type captureWriter struct {
	b   *budget
	buf []byte
}

func (w *captureWriter) Write(p []byte) (int, error) {
	if w.b != nil {
		if err := w.b.spend(int64(len(p)), "capture"); err != nil {
			return 0, err
		}
	}
	if need := len(w.buf) + len(p); need > cap(w.buf) {
		n := max(2*cap(w.buf), need, 64)
		if w.b != nil {
			n = min(n, need+int(w.b.maxBytes-w.b.bytes))
		}
		buf := make([]byte, len(w.buf), n)
		copy(buf, w.buf)
		w.buf = buf
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

func (w *captureWriter) String() string { return string(w.buf) }

// limitWriter writes a render's output, failing once the budget's output
// bound would be passed.
type limitWriter struct {
	w        io.Writer
	b        *budget
	exceeded bool
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.b.maxOutput-l.b.output {
		l.exceeded = true
		return 0, ErrOutputTooLarge
	}
	l.b.output += len(p)
	return l.w.Write(p)
}
