package transformation

import (
	"context"
	"sync"
	"time"

	"github.com/datanika/datanika/internal/transform"
)

// maxProjectCaches bounds the parse caches kept: one per org and destination, the least
// recently used dropped first.
const maxProjectCaches = 256

// projectCaches keeps a transform.Cache per org and destination connection, so the IDE's
// compile after an edit re-parses only what changed (issue 18: compile p95 ≤ 100 ms in an org
// of 1,000 models). The engine's cache keys every entry by content, so a change anywhere —
// through this process or another — is seen; a stale entry is never used, only a missed one.
type projectCaches struct {
	mu sync.Mutex
	m  map[[2]int64]*projectCache
}

// projectCache is one project's cache; its lock serializes the engines built with it, as the
// engine asks.
type projectCache struct {
	mu    sync.Mutex
	cache *transform.Cache
	used  time.Time
}

func (pc *projectCaches) get(orgID, connID int64) *projectCache {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.m == nil {
		pc.m = map[[2]int64]*projectCache{}
	}
	key := [2]int64{orgID, connID}
	c, ok := pc.m[key]
	if !ok {
		if len(pc.m) >= maxProjectCaches {
			var oldest [2]int64
			var at time.Time
			for k, v := range pc.m {
				if at.IsZero() || v.used.Before(at) {
					oldest, at = k, v.used
				}
			}
			delete(pc.m, oldest)
		}
		c = &projectCache{cache: transform.NewCache()}
		pc.m[key] = c
	}
	c.used = time.Now()
	return c
}

// ParseForRun parses a destination's project for a run, with the engine options a run needs,
// through the service's parse cache of that project (a worker keeps it between runs).
func (s *Service) ParseForRun(ctx context.Context, orgID, connID int64, in Input, opts transform.Options) (*Parsed, error) {
	c := s.caches.get(orgID, connID)
	c.mu.Lock()
	defer c.mu.Unlock()
	opts.Cache = c.cache
	return ParseWith(ctx, in, opts)
}
