package redisconn_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/execlock/execlocktest"
	"github.com/nextflow-dev/nextflow/internal/redisconn"
)

// TestFailedMarksDownAndWatcherRecovers: a failed call marks Redis down at
// once (callbacks told), and the watcher finds it answering again.
func TestFailedMarksDownAndWatcherRecovers(t *testing.T) {
	t.Parallel()
	execlocktest.Redis(t) // skip without a test Redis
	c, err := redisconn.Open(execlocktest.RedisURL(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	var mu sync.Mutex
	var seen []bool
	c.OnChange(func(up bool) { mu.Lock(); seen = append(seen, up); mu.Unlock() })
	c.Start(context.Background(), 2*time.Second)
	require.True(t, c.Up())

	c.Failed(redis.Nil) // an answer, not an outage
	require.True(t, c.Up())
	c.Failed(errors.New("dial tcp: connection refused"))
	// Down at once: the listeners heard it before Failed returned. (Up()
	// itself may already be true again: the watcher probes at once, and a
	// Redis that answers within a millisecond brings it back before the
	// next line runs.)
	mu.Lock()
	require.GreaterOrEqual(t, len(seen), 2, "marked down before Failed returned: %v", seen)
	require.False(t, seen[1], "marked down before Failed returned: %v", seen)
	mu.Unlock()
	require.Eventually(t, c.Up, 10*time.Second, 20*time.Millisecond, "the watcher finds Redis answering")
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []bool{true, false, true}, seen)
}

// TestDownAtStart: an unreachable Redis is no error; the Conn starts down.
func TestDownAtStart(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c, err := redisconn.Open("redis://"+addr+"/0", nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	c.Start(context.Background(), time.Second)
	require.False(t, c.Up())

	_, err = redisconn.Open("http://nope", nil)
	require.Error(t, err, "a malformed URL is the one error")
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	require.False(t, redisconn.Unreachable(nil))
	require.False(t, redisconn.Unreachable(redis.Nil))
	require.False(t, redisconn.Unreachable(context.Canceled))
	require.True(t, redisconn.Unreachable(&net.OpError{Op: "dial", Err: errors.New("connection refused")}))
	require.True(t, redisconn.Unreachable(context.DeadlineExceeded))
}
