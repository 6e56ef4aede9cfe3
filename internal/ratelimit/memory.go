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
	return m.decide(true, []Request{{Key: key, Rule: rule}})[0], nil
}

// AllowAll implements Limiter: the shards of all keys are held together,
// so the decision is atomic.
func (m *Memory) AllowAll(_ context.Context, reqs ...Request) ([]Result, error) {
	return m.decide(true, reqs), nil
}

// Peek implements Limiter.
func (m *Memory) Peek(_ context.Context, key string, rule Rule) (Result, error) {
	return m.decide(false, []Request{{Key: key, Rule: rule}})[0], nil
}

// decide runs GCRA over reqs with their shards locked (in shard order, so
// concurrent calls cannot deadlock) and, when commit is set and every key
// allows the event, stores the new TATs.
func (m *Memory) decide(commit bool, reqs []Request) []Result {
	results := make([]Result, len(reqs))
	shardOf := make([]int, len(reqs))
	var locked [shards]bool
	for i, r := range reqs {
		if r.Rule.Enabled() {
			shardOf[i] = int(maphash.String(m.seed, r.Key) % shards)
			locked[shardOf[i]] = true
		}
	}
	for i := range locked {
		if locked[i] {
			m.shards[i].mu.Lock()
			defer m.shards[i].mu.Unlock()
		}
	}
	now := m.now().UnixNano()
	newTATs := make([]int64, len(reqs))
	all := true
	for i, r := range reqs {
		if !r.Rule.Enabled() {
			results[i] = Result{Allowed: true}
			continue
		}
		tat := m.shards[shardOf[i]].tats[r.Key]
		results[i], newTATs[i] = gcra(now, tat, int64(r.Rule.Interval()), r.Rule.Burst, time.Nanosecond)
		all = all && newTATs[i] != 0
	}
	if !commit || !all {
		for i, r := range reqs {
			if results[i].Allowed && r.Rule.Enabled() {
				results[i] = untaken(results[i], r.Rule)
			}
		}
		return results
	}
	for i, r := range reqs {
		if newTATs[i] == 0 {
			continue
		}
		s := &m.shards[shardOf[i]]
		if _, known := s.tats[r.Key]; !known && len(s.tats) >= m.perCap {
			s.makeRoom(now, m.perCap)
		}
		s.tats[r.Key] = newTATs[i]
	}
	return results
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
