// Package execlocktest gives tests a Redis for the execution lock: the test
// Redis (NEXTFLOW_TEST_REDIS_URL, default DefaultRedisURL), which skips the
// test when unreachable (fails it under CI=true), and a Redis client pointed
// at a closed port, for the outage path.
package execlocktest

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// DefaultRedisURL is the test Redis used when NEXTFLOW_TEST_REDIS_URL is
// not set.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// RedisURL returns the test Redis URL.
func RedisURL() string {
	if u := os.Getenv("NEXTFLOW_TEST_REDIS_URL"); u != "" {
		return u
	}
	return DefaultRedisURL
}

// Redis returns a client of the test Redis, closed when the test ends. An
// unreachable Redis skips the test, or fails it under CI=true.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(RedisURL())
	require.NoError(t, err)
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at NEXTFLOW_TEST_REDIS_URL (%s) is unreachable: %v", RedisURL(), err)
		}
		t.Skipf("Redis unreachable (set NEXTFLOW_TEST_REDIS_URL): %v", err)
	}
	return c
}

// Prefix returns a key prefix of the test's own, so that parallel tests
// and test runs never share a key.
func Prefix() string {
	return "nextflow:test:" + uuid.NewString() + ":execlock:"
}

// ClosedRedis returns a client of a Redis that is not there: a local port
// that was just listened on and closed, so connecting is refused.
func ClosedRedis(t testing.TB) *redis.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}
