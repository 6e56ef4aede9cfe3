package ratelog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clock is a fake time source the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		out = append(out, m)
	}
	return out
}

// TestOutageFlood replays the reported flood: about 1,900 identical
// "publish live events … connection refused" warnings in a 15 s Redis
// outage, from several goroutines. One line comes out; after the interval
// the next carries the count of the lines left out.
func TestOutageFlood(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	h := NewHandler(slog.NewJSONHandler(&buf, nil), 30*time.Second)
	h.lim.now = c.now
	log := slog.New(h).With("component", "engine")

	var wg sync.WaitGroup
	for range 19 {
		for range 100 {
			wg.Go(func() {
				log.Warn("publish live events", "error", "dial tcp 127.0.0.1:6379: connect: connection refused")
			})
		}
		wg.Wait()
		c.add(15 * time.Second / 19)
	}
	got := lines(t, &buf)
	require.Len(t, got, 1, "a 15 s outage writes its warning once")
	require.NotContains(t, got[0], "repeated")

	c.add(30 * time.Second)
	log.Warn("publish live events", "error", "dial tcp 127.0.0.1:6379: connect: connection refused")
	got = lines(t, &buf)
	require.Len(t, got, 2)
	require.EqualValues(t, 1899, got[1]["repeated"], "the next line counts what was left out")
	require.Equal(t, "engine", got[1]["component"])

	// Another message, other attributes, another level, or another
	// logger's attributes are other lines.
	log.Warn("publish live events", "error", "i/o timeout")
	log.Error("publish live events", "error", "dial tcp 127.0.0.1:6379: connect: connection refused")
	log.With("component", "execlock").Warn("publish live events", "error", "dial tcp 127.0.0.1:6379: connect: connection refused")
	require.Len(t, lines(t, &buf), 5)
}

// TestLimiterBoundedMemory: a flood of distinct lines does not grow the
// remembered set without bound.
func TestLimiterBoundedMemory(t *testing.T) {
	t.Parallel()
	l := NewLimiter(time.Minute)
	for i := range 10 * maxKeys {
		ok, _ := l.Allow(strings.Repeat("x", i%50) + string(rune('a'+i%26)) + time.Duration(i).String())
		require.True(t, ok)
	}
	require.LessOrEqual(t, len(l.seen), maxKeys)
}

// TestPrintf: a library's printf lines (go-redis retrying a dial) are
// keyed on their format, so changing attempt counts do not defeat the
// limit, and go out through slog.
func TestPrintf(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	p := NewPrintf(slog.New(slog.NewJSONHandler(&buf, nil)), 10*time.Second)
	p.lim.now = c.now
	ctx := context.Background()
	for i := range 500 {
		p.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", i, "connection refused")
		c.add(20 * time.Millisecond)
	}
	got := lines(t, &buf)
	require.Len(t, got, 1, "10 s of dial failures: one line")
	require.Equal(t, "WARN", got[0]["level"])
	require.Contains(t, got[0]["detail"], "failed to dial after 0 attempts")
	c.add(10 * time.Second)
	p.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", 501, "connection refused")
	got = lines(t, &buf)
	require.Len(t, got, 2)
	require.EqualValues(t, 499, got[1]["repeated"])
}
