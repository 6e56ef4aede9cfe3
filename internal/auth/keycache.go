package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// API keys answered from memory.
//
// Resolving a key costs a read transaction of its own (three round trips)
// on every request. Ingestion (the events and Segment APIs) is sent in
// many small requests by one key, so ResolveAPIKeyCached answers a key
// resolved in the last DefaultKeyCacheTTL from memory. Revocation is not
// weakened by it: a principal answered from memory is marked Cached, and
// the request confirms it with ConfirmAPIKey in the transaction that
// stores its items, reading the key and its creator's membership as of
// that moment. A key revoked (or whose creator was removed or lowered) on
// any node before that transaction reads it stores nothing, exactly as a
// request that resolved the key from the database just before the
// revocation would, so "it stops working at once" holds as before. Only
// operations that confirm in their own transaction may use the cache.

// Defaults of the API-key cache.
const (
	// DefaultKeyCacheTTL is how long a resolved key is answered from
	// memory before it is read again (which also touches its last use).
	DefaultKeyCacheTTL = 5 * time.Second
	// keyCacheMax bounds the keys held; past it an arbitrary one goes.
	keyCacheMax = 10000
)

// keyCache holds principals of API keys by prefix, with the hash of the
// secret they were resolved with.
type keyCache struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[string]keyCacheEntry
}

type keyCacheEntry struct {
	p     *Principal
	hash  []byte
	until time.Time
}

func (c *keyCache) get(prefix string, hash []byte, now time.Time) *Principal {
	c.mu.Lock()
	e, ok := c.m[prefix]
	c.mu.Unlock()
	if !ok || c.ttl <= 0 || !now.Before(e.until) || !equalHash(hash, e.hash) {
		return nil
	}
	cp := *e.p
	cp.Cached = true
	return &cp
}

func (c *keyCache) put(prefix string, hash []byte, p *Principal, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]keyCacheEntry{}
	}
	if _, ok := c.m[prefix]; !ok && len(c.m) >= keyCacheMax {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	cp := *p
	c.m[prefix] = keyCacheEntry{p: &cp, hash: hash, until: now.Add(c.ttl)}
}

func (c *keyCache) drop(prefix string) {
	c.mu.Lock()
	delete(c.m, prefix)
	c.mu.Unlock()
}

// ResolveAPIKeyCached is ResolveAPIKey answered from memory when the same
// key was resolved in the last DefaultKeyCacheTTL: the principal returned
// then has Cached set, and the caller must confirm it with ConfirmAPIKey in
// the transaction that acts for it. A principal read from the database now
// is not Cached. Wrong or unknown keys are never remembered.
func (s *Service) ResolveAPIKeyCached(ctx context.Context, bearer string) (*Principal, error) {
	prefix, secret, ok := ParseAPIKey(bearer)
	if !ok {
		return nil, ErrUnauthenticated
	}
	hash := HashToken(secret)
	now := s.now()
	if p := s.keys.get(prefix, hash, now); p != nil {
		return p, nil
	}
	p, err := s.ResolveAPIKey(ctx, bearer)
	if err != nil {
		s.keys.drop(prefix)
		return nil, err
	}
	s.keys.put(prefix, hash, p, now)
	return p, nil
}

// ConfirmAPIKey checks, in tx (a transaction of p's workspace), that a
// principal answered from the API-key cache still stands and holds perm:
// its key is not revoked and its creator is still a member whose role
// allows perm. It answers ErrUnauthenticated or a *PermissionError as
// ResolveAPIKey and Require would now, and nil at once for a principal
// that is not Cached (it was read from the database for this request).
func ConfirmAPIKey(ctx context.Context, tx store.Tx, p *Principal, perm Permission) error {
	if p == nil {
		return ErrUnauthenticated
	}
	if !p.Cached {
		return p.Require(perm)
	}
	if p.Kind != KindAPIKey || p.APIKey == nil {
		return ErrUnauthenticated
	}
	key, err := tx.APIKeyGetByID(ctx, p.TenantID, p.APIKey.ID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrUnauthenticated
	}
	if err != nil {
		return fmt.Errorf("confirm API key %s: %w", p.APIKey.ID, err)
	}
	if key.RevokedAt != nil || key.TenantID != p.TenantID {
		return ErrUnauthenticated
	}
	role, err := keyCreatorRole(ctx, tx, key)
	if err != nil {
		return err
	}
	fresh := &Principal{Kind: KindAPIKey, TenantID: key.TenantID, APIKey: key, Scopes: key.Scopes, CreatorRole: role}
	return fresh.Require(perm)
}
