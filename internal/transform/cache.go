package transform

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"sync"

	"github.com/datanika/datanika/internal/transform/jinja"
)

// Cache carries parse results from one load of a project to the next, for the IDE, which
// loads the project again after every edit: pass the same Cache in Options.Cache each time
// and only the files that changed are parsed and rendered again.
//
// What is kept, by content: every parsed template and macro file (by its text), and what the
// parse pass learnt from each node's template — its ref(), source() and config() calls, or its
// error — keyed by the node's id, path, text and config together with everything else a parse
// render can see: the macro files, vars, env vars, target and dialect. Editing a macro, a var
// or the target therefore renders every node again, as it must. (Like dbt's partial parsing,
// a parse result does not depend on run_started_at or invocation_id.)
//
// A Cache is safe for concurrent use, but Engines built with one should be built one at a
// time. Each New keeps only the entries that load used, so the cache follows the project.
type Cache struct {
	templates *jinja.Cache
	mu        sync.Mutex
	parsed    map[[sha256.Size]byte]parsedNode
	used      map[[sha256.Size]byte]bool
	// hits and misses count node lookups of the last New, for tests and benchmarks.
	hits, misses int
}

// parsedNode is what the parse pass recorded for one node.
type parsedNode struct {
	rec recorder
	err error
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{templates: jinja.NewCache(), parsed: map[[sha256.Size]byte]parsedNode{}, used: map[[sha256.Size]byte]bool{}}
}

// Stats are how many nodes the last New built with the cache took from it and rendered.
func (c *Cache) Stats() (hits, misses int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

func (c *Cache) lookup(key [sha256.Size]byte) (parsedNode, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.parsed[key]
	if ok {
		c.used[key] = true
		c.hits++
	} else {
		c.misses++
	}
	return p, ok
}

func (c *Cache) store(key [sha256.Size]byte, rec *recorder, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.parsed[key] = parsedNode{rec: recorder{refs: rec.refs, sources: rec.sources, config: rec.config}, err: err}
	c.used[key] = true
}

// begin starts a load: the counters restart.
func (c *Cache) begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hits, c.misses = 0, 0
}

// end finishes a load: what it did not use is forgotten.
func (c *Cache) end() {
	c.mu.Lock()
	for k := range c.parsed {
		if !c.used[k] {
			delete(c.parsed, k)
		}
	}
	c.used = map[[sha256.Size]byte]bool{}
	c.mu.Unlock()
	c.templates.Prune()
}

// envKey hashes everything a parse render sees besides the node itself: the macro files (the
// built-in library and the packages' included) with their namespaces, the root project's
// name, the installed packages (names, versions, where they are and their vars, which a
// package's node reads through var()), the dispatch search orders, vars, env vars, the target
// and the dialect. A node's own config, package configs merged in, is in its nodeKey. The
// graph variable is empty while parsing (parseGraph), and flags.WHICH is not set yet. ok is
// false when a value cannot be hashed reliably; then nothing is cached.
func (e *Engine) envKey(files []jinja.File) (h hash.Hash, ok bool) {
	h = sha256.New()
	write := func(parts ...string) {
		for _, p := range parts {
			_, _ = fmt.Fprintf(h, "%d:%s", len(p), p)
		}
	}
	write("datanika-parse-v2", e.d.Name, fmt.Sprint(e.opts.StrictUndefined), e.opts.TargetName, e.opts.TargetSchema,
		fmt.Sprint(e.opts.Threads), fmt.Sprint(e.opts.FullRefresh), e.proj.Name, e.proj.Profile)
	type pkg struct {
		Name, Version, Dir string
		Vars               map[string]any
	}
	pkgs := make([]pkg, 0, len(e.proj.Packages))
	for _, p := range e.proj.Packages {
		pkgs = append(pkgs, pkg{p.Name, p.Version, p.Dir, p.Vars})
	}
	// json.Marshal writes map keys sorted, so equal values hash equally.
	for _, v := range []any{e.opts.Vars, e.proj.Vars, e.opts.EnvVars, pkgs, e.proj.Dispatch} {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, false
		}
		write(string(b))
	}
	write(fmt.Sprint(len(files)))
	for _, f := range files {
		write(f.Path, f.Namespace, f.Text)
	}
	return h, true
}

// nodeKey is a node's cache key: the environment's hash, then the node's id, package, name,
// path, template and config (which its render reads through config.get, var, this and model).
func nodeKey(env []byte, n *node) (key [sha256.Size]byte, ok bool) {
	cfg, err := json.Marshal(map[string]any(n.config))
	if err != nil {
		return key, false
	}
	h := sha256.New()
	h.Write(env)
	for _, p := range []string{n.UniqueID, n.ResourceType, n.Package, n.Name, n.Path, n.templateText, string(cfg)} {
		_, _ = fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	h.Sum(key[:0])
	return key, true
}

// cachedParse records a node's calls by rendering it (render returns the render's error), or
// takes them from the cache, then resolves them against this load's project. As without a
// cache, a node whose render fails keeps the edges it recorded before failing.
func (e *Engine) cachedParse(n *node, render func(rec *recorder) error) error {
	var rec *recorder
	var err error
	key, cacheable := [sha256.Size]byte{}, false
	if e.opts.Cache != nil && e.envHash != nil {
		key, cacheable = nodeKey(e.envHash, n)
	}
	if cacheable {
		if p, hit := e.opts.Cache.lookup(key); hit {
			r := p.rec
			rec, err = &r, p.err
		}
	}
	if rec == nil {
		rec = &recorder{}
		err = render(rec)
		if cacheable {
			e.opts.Cache.store(key, rec, err)
		}
	}
	if err != nil {
		_ = e.resolve(n, rec)
		return err
	}
	return e.resolve(n, rec)
}
