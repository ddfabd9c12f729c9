package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/testutil"
)

func (s *process) api(t *testing.T, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var r bytes.Buffer
	if body != nil {
		require.NoError(t, json.NewEncoder(&r).Encode(body))
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.url+path, &r)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = res.Body.Close() }()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestServe_ManagedWarehouseIsProvisionedForANewOrgAndDroppedWithIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, url := testutil.NewDatabase(t)
	var inst string
	require.NoError(t, pool.QueryRow(ctx, "SELECT installation_id FROM installation").Scan(&inst))
	t.Cleanup(func() { dropWarehouses(t, inst) })

	s := startServer(t, baseEnv("DATABASE_URL="+url, "HTTP_ADDR=127.0.0.1:0", "WAREHOUSE_ADMIN_URL="+testutil.AdminURL()))
	code, tok := s.api(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": "wh@example.com", "password": "correct horse battery", "full_name": "Warehouse Owner"})
	require.Equal(t, http.StatusCreated, code, tok)
	access := tok["access_token"].(string)
	orgID := int64(tok["org"].(map[string]any)["id"].(float64))

	var warehouseID float64
	require.Eventually(t, func() bool {
		_, list := s.api(t, http.MethodGet, "/api/v1/connections", access, nil)
		items, _ := list["items"].([]any)
		for _, it := range items {
			c := it.(map[string]any)
			if c["name"] == "Warehouse" {
				warehouseID = c["id"].(float64)
				require.Equal(t, "********", c["config"].(map[string]any)["password"])
				return true
			}
		}
		return false
	}, 30*time.Second, 200*time.Millisecond, "the worker provisions the warehouse:\n%s", s.log())

	code, res := s.api(t, http.MethodPost, fmt.Sprintf("/api/v1/connections/%d/test", int64(warehouseID)), access, nil)
	require.Equal(t, http.StatusOK, code, res)
	require.Equal(t, true, res["ok"], res)
	code, q := s.api(t, http.MethodPost, fmt.Sprintf("/api/v1/connections/%d/query", int64(warehouseID)), access, map[string]any{"sql": "SELECT current_database() AS db"})
	require.Equal(t, http.StatusOK, code, q)
	require.Equal(t, fmt.Sprintf("dnk_%s_%d", inst, orgID), q["rows"].([]any)[0].([]any)[0])

	code, _ = s.api(t, http.MethodDelete, "/api/v1/org", access, nil)
	require.Equal(t, http.StatusNoContent, code)
	require.Eventually(t, func() bool { return !warehouseExists(t, inst, orgID) }, 30*time.Second, 200*time.Millisecond, "the warehouse is dropped with the org")
	s.stop(t, 30*time.Second)
}

func warehouseExists(t *testing.T, inst string, orgID int64) bool {
	conn, err := pgx.Connect(context.Background(), testutil.AdminURL())
	require.NoError(t, err)
	defer func() { _ = conn.Close(context.Background()) }()
	var exists bool
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", fmt.Sprintf("dnk_%s_%d", inst, orgID)).Scan(&exists))
	return exists
}

func dropWarehouses(t *testing.T, inst string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testutil.AdminURL())
	if err != nil {
		return
	}
	defer func() { _ = conn.Close(ctx) }()
	rows, _ := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE $1", "dnk_"+inst+"_%")
	var names []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)")
		_, _ = conn.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{n}.Sanitize())
	}
}
