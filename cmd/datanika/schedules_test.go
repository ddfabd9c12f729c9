package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/testutil"
)

// A schedule saved through an API-only process is fired by a worker-role process: its run is
// created with trigger schedule, worked, and recorded once.
func TestServe_AScheduleSavedThroughTheAPIIsFiredByAWorkerProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, metaURL := testutil.NewDatabase(t)
	srcURL, dstURL := testutil.EmptyDatabase(t), testutil.EmptyDatabase(t)
	src, err := pgx.Connect(ctx, srcURL)
	require.NoError(t, err)
	defer func() { _ = src.Close(ctx) }()
	_, err = src.Exec(ctx, `CREATE TABLE public.tiny AS SELECT g AS id, 'row ' || g AS name FROM generate_series(1, 5) g`)
	require.NoError(t, err)

	env := baseEnv("DATABASE_URL="+metaURL, "HTTP_ADDR=127.0.0.1:0", "EGRESS_ALLOW_PRIVATE=true", "EGRESS_ALLOWLIST=127.0.0.1,localhost", "DATA_DIR="+t.TempDir())
	api := startServer(t, env, "--role", "api")
	startServer(t, env, "--role", "worker")
	code, tok := api.api(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": "cron@example.com",
		"password": "correct horse battery", "full_name": "Cron Test"})
	require.Equal(t, http.StatusCreated, code, tok)
	access := tok["access_token"].(string)
	conn := func(name, raw string) int64 {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		port, _ := strconv.Atoi(u.Port())
		cfg := map[string]any{"host": u.Hostname(), "port": port, "database": u.Path[1:], "user": u.User.Username(), "sslmode": "disable"}
		if p, ok := u.User.Password(); ok {
			cfg["password"] = p
		}
		code, c := api.api(t, http.MethodPost, "/api/v1/connections", access, map[string]any{"name": name, "type": "postgres", "config": cfg})
		require.Equal(t, http.StatusCreated, code, c)
		return int64(c["id"].(float64))
	}
	code, p := api.api(t, http.MethodPost, "/api/v1/pipelines", access, map[string]any{"name": "tiny", "source_connection_id": conn("source", srcURL),
		"destination_connection_id": conn("destination", dstURL), "status": "active",
		"config": map[string]any{"mode": "single_table", "table": "public.tiny", "write_disposition": "replace"}})
	require.Equal(t, http.StatusCreated, code, p)
	code, sc := api.api(t, http.MethodPost, "/api/v1/schedules", access, map[string]any{"target_type": "pipeline", "target_id": p["id"],
		"cron": "@yearly", "timezone": "Europe/London"})
	require.Equal(t, http.StatusCreated, code, sc)
	id := int64(sc["id"].(float64))

	// Not a year's wait: the schedule's next fire is brought forward to a second from now.
	meta, err := pgx.Connect(ctx, metaURL)
	require.NoError(t, err)
	defer func() { _ = meta.Close(ctx) }()
	var due time.Time
	require.NoError(t, meta.QueryRow(ctx, `UPDATE schedules SET next_fire_at = date_trunc('second', now()) + interval '1 second' WHERE id = $1 RETURNING next_fire_at`, id).Scan(&due))

	var runID int64
	require.Eventually(t, func() bool {
		return meta.QueryRow(ctx, `SELECT run_id FROM schedule_fires WHERE schedule_id = $1 AND fire_at = $2 AND outcome = 'fired'`, id, due).Scan(&runID) == nil
	}, 15*time.Second, 50*time.Millisecond, "the fire is recorded")
	var status string
	require.Eventually(t, func() bool {
		code, r := api.api(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d", runID), access, nil)
		status, _ = r["status"].(string)
		return code == http.StatusOK && r["trigger"] == "schedule" && status == "success"
	}, 30*time.Second, 100*time.Millisecond, "the scheduled run succeeds")
	code, got := api.api(t, http.MethodGet, fmt.Sprintf("/api/v1/schedules/%d", id), access, nil)
	require.Equal(t, http.StatusOK, code)
	last, err := time.Parse(time.RFC3339, got["last_fire_at"].(string))
	require.NoError(t, err)
	require.True(t, last.Equal(due))
	next, err := time.Parse(time.RFC3339, got["next_fire_at"].(string))
	require.NoError(t, err)
	london, _ := time.LoadLocation("Europe/London")
	require.Equal(t, time.Date(due.In(london).Year()+1, 1, 1, 0, 0, 0, 0, london), next.In(london), "the next fire is the next new year")
	var fires int
	require.NoError(t, meta.QueryRow(ctx, `SELECT count(*) FROM runs WHERE trigger = 'schedule'`).Scan(&fires))
	require.Equal(t, 1, fires)
}
