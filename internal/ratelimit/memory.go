package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the keys a Memory limiter tracks.
const DefaultMaxKeys = 100_000

const shards = 32

// MemoryOptions configure a Memory limiter.
type MemoryOptions struct {
	// MaxKeys bounds the tracked keys (DefaultMaxKeys). A key whose
	// allowance has fully come back holds no state and is swept when room
	// is needed; when every tracked key is still limited, an arbitrary one
	// is forgotten (it gets a fresh burst), so memory stays bounded even
	// under a flood of distinct keys.
	MaxKeys int
	// Now is the clock (time.Now).
	Now func() time.Time
}

// Memory is an in-process Limiter, for a single node or as the fallback
// of Redis.
type Memory struct {
	now    func() time.Time
	perCap int
	seed   maphash.Seed
	shards [shards]memShard
}

type memShard struct {
	mu   sync.Mutex
	tats map[string]int64 // unix nanoseconds
}

// NewMemory returns an in-process limiter.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = DefaultMaxKeys
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Memory{now: opts.Now, perCap: max(opts.MaxKeys/shards, 1), seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].tats = map[string]int64{}
	}
	return m
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, rule Rule) (Result, error) {
	if !rule.Enabled() {
		return Result{Allowed: true}, nil
	}
	now := m.now().UnixNano()
	s := &m.shards[maphash.String(m.seed, key)%shards]
	s.mu.Lock()
	defer s.mu.Unlock()
	tat, known := s.tats[key]
	res, newTAT := gcra(now, tat, int64(rule.Interval()), rule.Burst, time.Nanosecond)
	if newTAT == 0 {
		return res, nil
	}
	if !known && len(s.tats) >= m.perCap {
		s.makeRoom(now, m.perCap)
	}
	s.tats[key] = newTAT
	return res, nil
}

// makeRoom drops the keys whose allowance has fully come back and, if the
// shard is still full, arbitrary keys until there is room for one.
func (s *memShard) makeRoom(now int64, limit int) {
	for k, tat := range s.tats {
		if tat <= now {
			delete(s.tats, k)
		}
	}
	for k := range s.tats {
		if len(s.tats) < limit {
			break
		}
		delete(s.tats, k)
	}
}

// Len is the number of keys tracked.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.tats)
		s.mu.Unlock()
	}
	return n
}
