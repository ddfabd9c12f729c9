package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/testutil"
)

// SPEC §10: on SIGTERM the API drains and the workers get SHUTDOWN_TIMEOUT to finish their jobs.
// An open live-log stream (of a run that goes on) ends at the start of the shutdown, so it does
// not hold the drain for the whole timeout: the process exits promptly.
func TestServe_SIGTERMWithAnOpenLogStreamExitsPromptly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, metaURL := testutil.NewDatabase(t)
	env := baseEnv("DATABASE_URL="+metaURL, "HTTP_ADDR=127.0.0.1:0", "SHUTDOWN_TIMEOUT=20s", "DATA_DIR="+t.TempDir())
	srv := startServer(t, env)
	code, tok := srv.api(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": "stream@example.com",
		"password": "correct horse battery", "full_name": "Stream Test"})
	require.Equal(t, http.StatusCreated, code, tok)
	access := tok["access_token"].(string)
	// A run that never ends: queued, with no job to start it.
	var runID int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO runs (org_id, target_type, target_id, trigger)
		SELECT id, 'pipeline', 1, 'manual' FROM organizations RETURNING id`).Scan(&runID))

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/runs/%d/logs/stream", srv.url, runID), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+access)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = res.Body.Close() }()
	require.Equal(t, http.StatusOK, res.StatusCode)
	first, err := bufio.NewReader(res.Body).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(first, "event: status"), first)

	start := time.Now()
	srv.stop(t, 15*time.Second)
	require.Less(t, time.Since(start), 5*time.Second, "the stream held the shutdown:\n%s", srv.log())
	require.NotContains(t, srv.log(), "did not drain in time")
}
