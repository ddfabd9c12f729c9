package restapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
	"github.com/datanika/datanika/internal/egress"
)

// server is an httptest server on 127.0.0.1 that logs the requests it gets.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func serve(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(context.Background()))
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.reqs...)
}

// queries returns the raw query of each request, in order.
func (s *server) queries() []string {
	var out []string
	for _, r := range s.requests() {
		out = append(out, r.URL.RawQuery)
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// config is a minimal valid config for one resource at path under base, with extra top-level
// keys set on it.
func config(base, path string, extra map[string]any) map[string]any {
	cfg := map[string]any{
		"base_url":  base,
		"resources": []any{map[string]any{"name": "items", "path": path}},
		"retry":     map[string]any{"max_attempts": 3, "backoff_seconds": 0.01},
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

// withResource replaces the resource of cfg.
func withResource(cfg map[string]any, res map[string]any) map[string]any {
	cfg["resources"] = []any{res}
	return cfg
}

// openPolicy allows loopback, as local development does.
func openPolicy(t *testing.T) connectors.Env {
	t.Helper()
	p, err := egress.New(true, "")
	require.NoError(t, err)
	return connectors.Env{Dialer: p.Dialer(connectors.TestTimeout)}
}

// open validates config through the registry, as the server does, and opens it.
func open(t *testing.T, cfg map[string]any, env connectors.Env) *Connector {
	t.Helper()
	c, err := connectorstest.Registry(t, Type()).Open("rest_api", cfg, env)
	require.NoError(t, err)
	return c.(*Connector)
}

// readAll reads every record of the resource.
func readAll(t *testing.T, c *Connector, resource string, state State) ([]map[string]any, *Records, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := c.Read(ctx, resource, state)
	require.NoError(t, err)
	defer func() { require.NoError(t, recs.Close()) }()
	var out []map[string]any
	for recs.Next() {
		out = append(out, recs.Record())
	}
	return out, recs, recs.Err()
}

// ids returns the "id" of each record as text.
func ids(recs []map[string]any) []string {
	out := []string{}
	for _, r := range recs {
		s, _ := scalarText(r["id"])
		out = append(out, s)
	}
	return out
}

// items makes n records with ids from first.
func items(first, n int) []any {
	out := make([]any, 0, n)
	for i := first; i < first+n; i++ {
		out = append(out, map[string]any{"id": i})
	}
	return out
}
