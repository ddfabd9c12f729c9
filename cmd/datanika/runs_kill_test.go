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

// SPEC §10: a worker killed (SIGKILL) during a run's load leaves the run `running`; after a
// worker is back, the run ends failed with a clear reason, the destination holds exactly what it
// held before, and the pipeline runs again. RUN_HEARTBEAT_TIMEOUT is short here (8 s) so the
// test does not wait the default 2 minutes.
func TestServe_ARunWhoseWorkerIsKilledEndsFailedAndTheDestinationIsUnchanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, metaURL := testutil.NewDatabase(t)
	srcURL, dstURL := testutil.EmptyDatabase(t), testutil.EmptyDatabase(t)
	src, err := pgx.Connect(ctx, srcURL)
	require.NoError(t, err)
	defer func() { _ = src.Close(ctx) }()
	dst, err := pgx.Connect(ctx, dstURL)
	require.NoError(t, err)
	defer func() { _ = dst.Close(ctx) }()
	// A slow source (about 30 s to read), and a destination table that must survive.
	for _, s := range []string{
		`CREATE FUNCTION slow_id(g int) RETURNS int LANGUAGE plpgsql VOLATILE AS $$ BEGIN PERFORM pg_sleep(0.01); RETURN g; END $$`,
		`CREATE VIEW public.slow AS SELECT slow_id(g) AS id, 'row ' || g AS note FROM generate_series(1, 3000) g`,
	} {
		_, err := src.Exec(ctx, s)
		require.NoError(t, err, s)
	}
	for _, s := range []string{"CREATE SCHEMA slow", "CREATE TABLE slow.slow (id int, note text, _dnk_loaded_at timestamptz, _dnk_run_id text)",
		"INSERT INTO slow.slow VALUES (0, 'before', now(), 'earlier')"} {
		_, err := dst.Exec(ctx, s)
		require.NoError(t, err, s)
	}

	env := baseEnv("DATABASE_URL="+metaURL, "HTTP_ADDR=127.0.0.1:0", "EGRESS_ALLOW_PRIVATE=true", "EGRESS_ALLOWLIST=127.0.0.1,localhost", "RUN_HEARTBEAT_TIMEOUT=8s",
		"DATA_DIR="+t.TempDir())
	first := startServer(t, env)
	code, tok := first.api(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": "kill@example.com",
		"password": "correct horse battery", "full_name": "Kill Test"})
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
		code, c := first.api(t, http.MethodPost, "/api/v1/connections", access, map[string]any{"name": name, "type": "postgres", "config": cfg})
		require.Equal(t, http.StatusCreated, code, c)
		return int64(c["id"].(float64))
	}
	srcID, dstID := conn("source", srcURL), conn("destination", dstURL)
	code, p := first.api(t, http.MethodPost, "/api/v1/pipelines", access, map[string]any{"name": "slow", "source_connection_id": srcID,
		"destination_connection_id": dstID, "config": map[string]any{"mode": "single_table", "table": "public.slow", "write_disposition": "replace"}})
	require.Equal(t, http.StatusCreated, code, p)
	pipeline := int64(p["id"].(float64))
	code, r := first.api(t, http.MethodPost, fmt.Sprintf("/api/v1/pipelines/%d/runs", pipeline), access, nil)
	require.Equal(t, http.StatusAccepted, code, r)
	runID := int64(r["id"].(float64))
	status := func(s *process) (string, string) {
		_, got := s.api(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d", runID), access, nil)
		e, _ := got["error"].(string)
		st, _ := got["status"].(string)
		return st, e
	}
	require.Eventually(t, func() bool { st, _ := status(first); return st == "running" }, 30*time.Second, 100*time.Millisecond)
	time.Sleep(time.Second) // well into the copy

	require.NoError(t, first.cmd.Process.Kill()) // SIGKILL: no shutdown, no last word
	require.Error(t, <-first.done, "the process died of the signal")
	meta, err := pgx.Connect(ctx, metaURL)
	require.NoError(t, err)
	defer func() { _ = meta.Close(ctx) }()
	var left string
	require.NoError(t, meta.QueryRow(ctx, "SELECT status FROM runs WHERE id = $1", runID).Scan(&left))
	require.Equal(t, "running", left, "the killed worker left its run running")

	second := startServer(t, env)
	var reason string
	require.Eventually(t, func() bool { var st string; st, reason = status(second); return st == "failed" }, 30*time.Second, 200*time.Millisecond,
		"the run of the killed worker ends failed:\n%s", second.log())
	require.Contains(t, reason, "stopped answering")
	var rows int64
	require.NoError(t, dst.QueryRow(ctx, "SELECT count(*) FROM slow.slow WHERE note = 'before'").Scan(&rows))
	require.Equal(t, int64(1), rows, "the destination holds what it held")
	require.NoError(t, dst.QueryRow(ctx, "SELECT count(*) FROM slow.slow").Scan(&rows))
	require.Equal(t, int64(1), rows)

	// The pipeline is free to run again.
	code, r = second.api(t, http.MethodPost, fmt.Sprintf("/api/v1/pipelines/%d/runs", pipeline), access, nil)
	require.Equal(t, http.StatusAccepted, code, r)
}
