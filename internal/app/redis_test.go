package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/live"
)

// syncBuffer is a log sink safe for the app's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count returns how many log lines have msg containing s.
func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for l := range strings.SplitSeq(b.buf.String(), "\n") {
		var m struct{ Msg string }
		if json.Unmarshal([]byte(l), &m) == nil && strings.Contains(m.Msg, s) {
			n++
		}
	}
	return n
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// startRedis runs a throwaway redis-server on port until stop or the end of
// the test. Without redis-server the test skips (fails under CI=true).
func startRedis(t *testing.T, port int) (stop func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not installed: %v", err)
		}
		t.Skip("redis-server not installed")
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no")
	require.NoError(t, cmd.Start())
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(stop)
	return stop
}

// TestRedisDownAtStart starts a node whose REDIS_URL points where nothing
// listens: it starts (degraded) instead of exiting, and live events flow in
// process. Then a Redis comes up on that port: the node picks it up by
// itself and its live events go through Redis. Redis goes away again: the
// node falls back, and the outage is logged a bounded number of times.
func TestRedisDownAtStart(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	redisURL := "redis://127.0.0.1:" + strconv.Itoa(port) + "/0"
	cfg, err := config.Load([]string{"--data-dir", t.TempDir(), "--redis-url", redisURL, "--addr", "127.0.0.1:0"},
		func(string) string { return "" })
	require.NoError(t, err)
	logs := &syncBuffer{}
	ctx := context.Background()
	a, err := New(ctx, cfg, Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	require.NoError(t, err, "a node starts while Redis is down")
	t.Cleanup(a.close)
	require.NotNil(t, a.redis)
	require.False(t, a.redis.Up())
	require.Equal(t, 1, logs.count("redis unreachable"))

	tenant := uuid.New()
	events, end, err := a.live.Subscribe(ctx, tenant)
	require.NoError(t, err)
	defer end()
	publish := func(status string) {
		t.Helper()
		require.NoError(t, a.live.Publish(ctx, live.Event{TenantID: tenant, Kind: live.KindExecution, ExecutionID: uuid.New(), Status: status, At: time.Now()}))
	}
	receive := func(status string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case ev := <-events:
				if ev.Status == status {
					return
				}
			case <-deadline:
				t.Fatalf("live event %q not delivered", status)
			}
		}
	}
	publish("while-down")
	receive("while-down")

	stopRedis := startRedis(t, port)
	require.Eventually(t, a.redis.Up, 30*time.Second, 50*time.Millisecond, "the node picks Redis up once it answers")
	require.Equal(t, 1, logs.count("redis reachable"))

	// Events now go through Redis: a plain Redis subscriber hears them, and
	// so does the node's own stream (relayed back from Redis).
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	defer rdb.Close()
	ps := rdb.PSubscribe(ctx, live.DefaultRedisPrefix+"*")
	defer ps.Close()
	_, err = ps.Receive(ctx)
	require.NoError(t, err)
	heard := make(chan string, 16)
	go func() {
		for msg := range ps.Channel() {
			var ev live.Event
			if json.Unmarshal([]byte(msg.Payload), &ev) == nil {
				heard <- ev.Status
			}
		}
	}()
	require.Eventually(t, func() bool {
		publish("through-redis")
		select {
		case s := <-heard:
			return s == "through-redis"
		case <-time.After(200 * time.Millisecond):
			return false
		}
	}, 10*time.Second, 10*time.Millisecond, "live events go through Redis once it is up")
	receive("through-redis")

	// Redis goes away under load: the node falls back, events still flow,
	// and the outage is logged a bounded number of times.
	stopRedis()
	for range 500 {
		publish("during-outage")
	}
	require.Eventually(t, func() bool { return !a.redis.Up() }, 10*time.Second, 20*time.Millisecond)
	for len(events) > 0 { // a full subscriber drops what comes next
		<-events
	}
	publish("after-outage")
	receive("after-outage")
	require.Equal(t, 2, logs.count("redis unreachable"), "one line per outage")
	require.LessOrEqual(t, logs.count("live events: redis failed"), 1, "a failing publish warns at most once per interval")
}
