package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// cancelPoint places a cancellation at one point of a run's work (run.WorkerConfig.Pause): the
// worker stops there, the test cancels the run, and the worker goes on once its job's context
// has been cancelled — so the cancel lands exactly between two steps.
type cancelPoint struct {
	mu     sync.Mutex
	point  string // "<point>#<n>": the nth time the point is reached; "" when placed already
	seen   map[string]int
	paused chan int64
}

func newCancelPoint() *cancelPoint { return &cancelPoint{paused: make(chan int64, 1)} }

func (c *cancelPoint) set(point string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.point, c.seen = point, map[string]int{}
}

func (c *cancelPoint) pause(ctx context.Context, runID int64, point string) {
	c.mu.Lock()
	c.seen[point]++
	hit := c.point != "" && c.point == fmt.Sprintf("%s#%d", point, c.seen[point])
	if hit {
		c.point = ""
	}
	c.mu.Unlock()
	if !hit {
		return
	}
	c.paused <- runID
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
}

// A run cancelled at any boundary of its work — queued, before and after its first log line,
// connecting, at the start of each table, while publishing one, between tables, at its end —
// ends cancelled (or success, when its last publish won the race) within 5 s, its job ended
// with it, and the destination holds each table as it was or as this run published it, with no
// staging table left behind.
func TestRuns_ACancelAtEveryPhaseBoundaryEndsTheRunAndLeavesNoTrace(t *testing.T) {
	t.Parallel()
	cp := newCancelPoint()
	e := setupRuns(t, runEnvOptions{pause: cp.pause})
	for _, name := range []string{"a", "b"} {
		e.exec(t, e.src, fmt.Sprintf("CREATE TABLE %s (id int PRIMARY KEY, note text)", name))
		e.exec(t, e.src, fmt.Sprintf("INSERT INTO %s SELECT g, 'new ' || g FROM generate_series(1, 200) g", name))
	}
	id := e.pipeline(t, "two", map[string]any{"mode": "full_database", "source_schema": "public",
		"table_names": []string{"a", "b"}, "write_disposition": "replace"})

	points := []string{"", "started#1", "prepared#1", "log: run started#1", "log: connecting#1",
		"log: table started#1", "log: staged#1", "log: table verified and published#1",
		"log: table started#2", "log: staged#2", "log: table verified and published#2", "log: run succeeded#1"}
	const tries = 3
	for _, point := range points {
		for try := range tries {
			e.exec(t, e.dst, "DROP SCHEMA IF EXISTS raw CASCADE")
			e.exec(t, e.dst, "CREATE SCHEMA raw")
			for _, name := range []string{"a", "b"} {
				e.exec(t, e.dst, fmt.Sprintf("CREATE TABLE raw.%s (id int, note text, _dnk_loaded_at timestamptz NOT NULL, _dnk_run_id text NOT NULL)", name))
				e.exec(t, e.dst, fmt.Sprintf("INSERT INTO raw.%s VALUES (0, 'before', now(), 'earlier')", name))
			}
			cp.set(point)
			queued := e.trigger(t, id, nil)
			if point != "" {
				select {
				case runID := <-cp.paused:
					require.Equal(t, queued.Id, runID)
				case <-time.After(10 * time.Second):
					t.Fatalf("run %d never reached %q", queued.Id, point)
				}
			}
			got := e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/cancel", queued.Id), e.f.editor.AccessToken, nil)
			require.Contains(t, []int{http.StatusAccepted, http.StatusConflict}, got.Code, got.Body.String())

			what := fmt.Sprintf("run %d cancelled at %q (try %d)", queued.Id, point, try+1)
			r := e.waitFor(t, queued.Id, 5*time.Second, "cancelled", "success", "failed")
			require.Contains(t, []string{"cancelled", "success"}, r.status, "%s: error %v", what, r.errMsg)
			if r.jobID != nil {
				// No job is left to start the run again (a job fetched just before a cancel of
				// its queued run finds the run ended and completes).
				require.Contains(t, []string{"cancelled", "completed"}, e.waitJobEnded(t, *r.jobID), what)
			}
			tag := fmt.Sprintf("run-%d", queued.Id)
			for _, name := range []string{"a", "b"} {
				var rows, before, ours int64
				require.NoError(t, e.dst.QueryRow(context.Background(), fmt.Sprintf(`SELECT count(*), count(*) FILTER (WHERE note = 'before'),
					count(*) FILTER (WHERE _dnk_run_id = $1) FROM raw.%s`, name), tag).Scan(&rows, &before, &ours), what)
				asItWas, published := rows == 1 && before == 1, rows == 200 && ours == 200
				require.True(t, asItWas || published, "%s: raw.%s holds %d rows, %d from before, %d of the run", what, name, rows, before, ours)
				if r.status == "success" {
					require.True(t, published, "%s: raw.%s", what, name)
				}
			}
			require.Zero(t, e.count(t, e.dst, `SELECT count(*) FROM pg_class WHERE relname LIKE '\_dnk\_new\_%' OR relname LIKE '\_dnk\_stage\_%'`), what)
		}
	}
}

// waitJobEnded waits until the River job has left the running state and returns its state.
func (e *runEnv) waitJobEnded(t *testing.T, jobID int64) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		state, _ := e.jobState(t, jobID)
		if !strings.EqualFold(state, "running") {
			return state
		}
		require.True(t, time.Now().Before(deadline), "job %d is still running", jobID)
		time.Sleep(20 * time.Millisecond)
	}
}
