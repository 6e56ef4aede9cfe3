// Package ratelog keeps a repeated log line from flooding the log during an
// outage. A record is repeated when its level, message and attributes
// (those added with With too) are the same as an earlier one's: the first
// is written at once, later ones at most once per interval, carrying
// repeated=N, the number of identical records left out since the last one
// written. Time is not part of the key, so a warning written for every
// failed call during a 15 s Redis outage comes out once.
//
// Use it for outage warnings (live events, the execution lock, limiters),
// not for the access log or anything whose every line matters.
package ratelog

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// DefaultInterval is the longest a repeated line stays quiet.
const DefaultInterval = 30 * time.Second

// maxKeys bounds the lines remembered; older ones are forgotten first.
const maxKeys = 1024

// Limiter decides which of a series of identical lines to write. It is
// safe for concurrent use.
type Limiter struct {
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	seen map[string]*entry
}

type entry struct {
	written time.Time
	left    int // identical lines left out since written
}

// NewLimiter returns a Limiter writing a repeated line at most once per
// every (DefaultInterval when every <= 0).
func NewLimiter(every time.Duration) *Limiter {
	if every <= 0 {
		every = DefaultInterval
	}
	return &Limiter{every: every, now: time.Now, seen: make(map[string]*entry)}
}

// Allow reports whether the line with this key is to be written now and,
// if so, how many identical lines were left out before it.
func (l *Limiter) Allow(key string) (ok bool, repeated int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.seen[key]
	if e == nil {
		if len(l.seen) >= maxKeys {
			l.forget(now)
		}
		l.seen[key] = &entry{written: now}
		return true, 0
	}
	if now.Sub(e.written) < l.every {
		e.left++
		return false, 0
	}
	repeated = e.left
	e.written, e.left = now, 0
	return true, repeated
}

// forget drops the lines not written for an interval, or all of them when
// every one is recent (a flood of distinct lines is not ours to hold).
func (l *Limiter) forget(now time.Time) {
	for k, e := range l.seen {
		if now.Sub(e.written) >= l.every {
			delete(l.seen, k)
		}
	}
	if len(l.seen) >= maxKeys {
		clear(l.seen)
	}
}

// Handler is a slog.Handler that writes repeated records through a
// Limiter.
type Handler struct {
	next   slog.Handler
	lim    *Limiter
	prefix string // the attributes and groups added with With, as a key
}

// NewHandler wraps next so that repeated records are written at most once
// per every (DefaultInterval when every <= 0).
func NewHandler(next slog.Handler, every time.Duration) *Handler {
	return &Handler{next: next, lim: NewLimiter(every)}
}

// New returns a logger writing through logger's handler with repeated
// records limited to one per every (DefaultInterval when every <= 0).
func New(logger *slog.Logger, every time.Duration) *slog.Logger {
	return slog.New(NewHandler(logger.Handler(), every))
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle implements slog.Handler: it writes r unless an identical record
// was written less than an interval ago.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(h.prefix)
	b.WriteString(r.Level.String())
	b.WriteByte('|')
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteByte('|')
		b.WriteString(a.String())
		return true
	})
	ok, repeated := h.lim.Allow(b.String())
	if !ok {
		return nil
	}
	if repeated > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", repeated))
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs implements slog.Handler; the attributes become part of the key.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range attrs {
		b.WriteString(a.String())
		b.WriteByte('|')
	}
	return &Handler{next: h.next.WithAttrs(attrs), lim: h.lim, prefix: b.String()}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), lim: h.lim, prefix: h.prefix + name + "{|"}
}

// Printf is a printf-style logger, as client libraries take one (go-redis's
// redis.SetLogger does), that writes each line to slog at warn through a
// Limiter keyed on the format, so a library repeating "dial failed, attempt
// N" during an outage writes it once per interval.
type Printf struct {
	log *slog.Logger
	lim *Limiter
}

// NewPrintf returns a Printf writing to log, a repeated format at most once
// per every (DefaultInterval when every <= 0).
func NewPrintf(log *slog.Logger, every time.Duration) *Printf {
	return &Printf{log: log, lim: NewLimiter(every)}
}

// Printf writes one formatted line as a warning with the text in detail.
func (p *Printf) Printf(ctx context.Context, format string, v ...any) {
	ok, repeated := p.lim.Allow(format)
	if !ok {
		return
	}
	attrs := []any{"detail", strings.TrimSpace(fmt.Sprintf(format, v...))}
	if repeated > 0 {
		attrs = append(attrs, "repeated", repeated)
	}
	p.log.WarnContext(ctx, "library log", attrs...)
}
