package identity

import (
	"sync"
	"time"
)

// ttlCache keeps what a request's authentication read (a membership's role, whether a session
// is live) for a short time, so a burst of requests reads it once while a change (a new role, a
// removal, a sign-out) still takes effect within ttl everywhere, and at once in the process
// that made it, which forgets the entry.
type ttlCache[K comparable, V any] struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[K]cached[V]
}

type cached[V any] struct {
	v  V
	at time.Time
}

// maxCached bounds the memory of a cache: past it the cache starts empty again.
const maxCached = 10000

func newTTLCache[K comparable, V any](ttl time.Duration) *ttlCache[K, V] {
	return &ttlCache[K, V]{ttl: ttl, m: map[K]cached[V]{}}
}

func (c *ttlCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || time.Since(e.at) > c.ttl {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCached {
		clear(c.m)
	}
	c.m[k] = cached[V]{v: v, at: time.Now()}
}

func (c *ttlCache[K, V]) forget(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}

func (c *ttlCache[K, V]) forgetIf(drop func(K, V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if drop(k, e.v) {
			delete(c.m, k)
		}
	}
}
