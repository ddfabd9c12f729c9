package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/testutil"
)

// A hostile tenant on a server started as documented (the managed warehouse on the metadata
// database's server, private egress off) reaches nothing internal: not the metadata database,
// not another port of the warehouse host, not a loopback service by redirect. The org's own
// managed connection still reaches its warehouse. (Issue #14, item 1. Before the fix the
// warehouse host was allowlisted by name for every connection: the postgres connection to the
// metadata database and the rest_api, mysql and s3 connections to loopback tested ok.)
func TestServe_AHostileTenantReachesNoInternalHost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, dbURL := testutil.NewDatabase(t)
	var inst string
	require.NoError(t, pool.QueryRow(ctx, "SELECT installation_id FROM installation").Scan(&inst))
	t.Cleanup(func() { dropWarehouses(t, inst) })

	// A loopback service (Datanika's own API would do as well) and, on 127.0.0.2, a stand-in for
	// a public API (allowlisted) that redirects to it.
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"id": 1, "secret": "internal"}]`))
	}))
	t.Cleanup(inside.Close)
	insidePort := inside.Listener.Addr().(*net.TCPAddr).Port
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", "127.0.0.2:0")
	require.NoError(t, err)
	outside := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fmt.Sprintf("http://localhost:%d/items", insidePort), http.StatusFound)
	}))
	_ = outside.Listener.Close()
	outside.Listener = ln
	outside.Start()
	t.Cleanup(outside.Close)

	meta, err := url.Parse(dbURL)
	require.NoError(t, err)
	metaPort, _ := strconv.Atoi(meta.Port())
	metaDB := strings.TrimPrefix(meta.Path, "/")

	s := startServer(t, baseEnv("DATABASE_URL="+dbURL, "HTTP_ADDR=127.0.0.1:0", "WAREHOUSE_ADMIN_URL="+testutil.AdminURL(),
		"EGRESS_ALLOW_PRIVATE=false", "EGRESS_ALLOWLIST=127.0.0.2/32"))
	code, tok := s.api(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": "mallory@example.com", "password": "a long passphrase of a hostile tenant", "full_name": "Mallory"})
	require.Equal(t, http.StatusCreated, code, tok)
	access := tok["access_token"].(string)

	var warehouse map[string]any
	require.Eventually(t, func() bool {
		_, list := s.api(t, http.MethodGet, "/api/v1/connections", access, nil)
		items, _ := list["items"].([]any)
		for _, it := range items {
			if c := it.(map[string]any); c["name"] == "Warehouse" {
				warehouse = c
				return true
			}
		}
		return false
	}, 30*time.Second, 200*time.Millisecond, "the worker provisions the warehouse:\n%s", s.log())
	require.Equal(t, true, warehouse["managed"], "the server marks its own connection managed")
	code, res := s.api(t, http.MethodPost, fmt.Sprintf("/api/v1/connections/%d/test", int64(warehouse["id"].(float64))), access, nil)
	require.Equal(t, http.StatusOK, code, res)
	require.Equal(t, true, res["ok"], "the managed connection reaches its warehouse: %v", res)

	rest := func(base string) map[string]any {
		return map[string]any{"base_url": base, "resources": []any{map[string]any{"name": "items", "path": "/items"}}}
	}
	for _, tc := range []struct {
		name, typ string
		config    map[string]any
	}{
		{"postgres to the metadata database", "postgres", map[string]any{"host": "127.0.0.1", "port": metaPort, "database": metaDB, "user": "postgres", "sslmode": "disable"}},
		{"postgres to the metadata database by name", "postgres", map[string]any{"host": "localhost", "port": metaPort, "database": metaDB, "user": "postgres", "sslmode": "disable"}},
		{"postgres to another port of the warehouse host", "postgres", map[string]any{"host": "127.0.0.1", "port": insidePort, "database": "x", "user": "x", "sslmode": "disable"}},
		{"mysql on the warehouse host", "mysql", map[string]any{"host": "localhost", "port": 3306, "user": "root"}},
		{"rest_api to a loopback port", "rest_api", rest(fmt.Sprintf("http://localhost:%d", insidePort))},
		{"rest_api to the warehouse port", "rest_api", rest(fmt.Sprintf("http://127.0.0.1:%d", metaPort))},
		{"rest_api redirected to loopback", "rest_api", rest(outside.URL)},
		{"s3 at a loopback endpoint", "s3", map[string]any{"bucket": "data", "endpoint": fmt.Sprintf("http://localhost:%d", insidePort), "force_path_style": true}},
	} {
		code, res := s.api(t, http.MethodPost, "/api/v1/connections/test", access, map[string]any{"type": tc.typ, "config": tc.config})
		require.Equal(t, http.StatusOK, code, "%s: %v", tc.name, res)
		require.Equal(t, false, res["ok"], "%s must be denied: %v", tc.name, res)
		require.Contains(t, res["message"], "denied", tc.name)
	}

	// The tenant cannot repoint the managed connection, nor mark a connection of its own managed.
	code, res = s.api(t, http.MethodPatch, fmt.Sprintf("/api/v1/connections/%d", int64(warehouse["id"].(float64))), access,
		map[string]any{"config": map[string]any{"host": "127.0.0.1", "port": metaPort, "database": metaDB, "user": "postgres", "sslmode": "disable"}})
	require.Equal(t, http.StatusConflict, code, res)
	code, res = s.api(t, http.MethodPost, "/api/v1/connections", access, map[string]any{"name": "Mine", "type": "postgres", "managed": true,
		"config": map[string]any{"host": "127.0.0.1", "port": metaPort, "database": metaDB, "user": "postgres", "sslmode": "disable"}})
	require.Equal(t, http.StatusUnprocessableEntity, code, "managed is not a field a tenant sets: %v", res)
	s.stop(t, 30*time.Second)
}
