package server

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/run"
	"github.com/datanika/datanika/internal/testutil"
)

// A run whose worker stopped touching it (killed: kill -9 leaves it running, and River would
// give its job back only after RUN_TIMEOUT) is ended failed by the reaper, in any org, with a
// last log line saying why; runs whose worker is alive, and queued runs, are left alone.
func TestRuns_TheReaperEndsRunsWhoseWorkerWentSilent(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{noWorker: true})
	e.exec(t, e.src, "CREATE TABLE t (id int)")
	stale := e.trigger(t, e.pipeline(t, "stale", map[string]any{"mode": "single_table", "table": "public.t"}), nil)
	alive := e.trigger(t, e.pipeline(t, "alive", map[string]any{"mode": "single_table", "table": "public.t"}), nil)
	queued := e.trigger(t, e.pipeline(t, "queued", map[string]any{"mode": "single_table", "table": "public.t"}), nil)
	e.exec(t, e.owner, "UPDATE runs SET status = 'running', started_at = now() - interval '10 minutes', updated_at = now() - interval '3 minutes' WHERE id = $1", stale.Id)
	e.exec(t, e.owner, "UPDATE runs SET status = 'running', started_at = now() - interval '10 minutes', updated_at = now() - interval '5 seconds' WHERE id = $1", alive.Id)
	e.exec(t, e.owner, "UPDATE runs SET updated_at = now() - interval '1 hour' WHERE id = $1", queued.Id)
	// The reaper runs on the app role's pool, outside any org.
	w := &run.ReaperWorker{Pool: e.pool, Logger: testutil.Logger()}
	require.NoError(t, w.Work(context.Background(), &river.Job[run.ReaperArgs]{}))

	r := e.run(t, stale.Id)
	require.Equal(t, "failed", r.status)
	require.Contains(t, *r.errMsg, "stopped answering")
	require.NotNil(t, r.finished)
	require.Equal(t, run.PhaseDone, r.stats.Phase)
	lines, _ := e.logMessages(t, stale.Id)
	require.True(t, hasPrefixIn(lines, "error run failed: the worker running it stopped answering"), "%v", lines)
	require.Equal(t, "running", e.run(t, alive.Id).status)
	require.Equal(t, "queued", e.run(t, queued.Id).status)
	// The API shows it ended, and a retry may start it again.
	got := e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/retry", stale.Id), e.f.editor.AccessToken, nil)
	require.Equal(t, http.StatusAccepted, got.Code, got.Body.String())
}

// The worker of a run touches it while it works; when it finds the run no longer running (the
// reaper ended it while this worker was cut off from the database), it stops the load — the
// destination stays as it was — and leaves the run's status alone.
func TestRuns_AWorkerWhoseRunWasReapedStopsAndLeavesTheDestinationAsItWas(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{heartbeat: 100 * time.Millisecond})
	e.slowView(t, "slow", 3000) // about 30 s
	e.exec(t, e.dst, "CREATE SCHEMA raw")
	e.exec(t, e.dst, "CREATE TABLE raw.slow (id int, note text, _dnk_loaded_at timestamptz NOT NULL, _dnk_run_id text NOT NULL)")
	e.exec(t, e.dst, "INSERT INTO raw.slow VALUES (0, 'before', now(), 'earlier')")
	id := e.pipeline(t, "slow", map[string]any{"mode": "single_table", "table": "public.slow"})
	queued := e.trigger(t, id, nil)
	e.waitFor(t, queued.Id, 20*time.Second, "running")

	// The heartbeat moves updated_at while the run works.
	var first, later time.Time
	require.NoError(t, e.owner.QueryRow(context.Background(), "SELECT updated_at FROM runs WHERE id = $1", queued.Id).Scan(&first))
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, e.owner.QueryRow(context.Background(), "SELECT updated_at FROM runs WHERE id = $1", queued.Id).Scan(&later))
	require.True(t, later.After(first), "updated_at %s then %s", first, later)

	e.exec(t, e.owner, "UPDATE runs SET status = 'failed', error = 'reaped', finished_at = now() WHERE id = $1", queued.Id)
	r := e.run(t, queued.Id)
	require.Equal(t, 1, e.waitJob(t, *r.jobID, "cancelled"), "the worker gave up the job at once")
	r = e.run(t, queued.Id)
	require.Equal(t, "failed", r.status)
	require.Equal(t, "reaped", *r.errMsg, "the worker did not overwrite the status")
	require.Equal(t, int64(1), e.count(t, e.dst, "SELECT count(*) FROM raw.slow"), "the destination is as it was")
	require.Equal(t, int64(0), e.count(t, e.dst, "SELECT count(*) FROM pg_tables WHERE schemaname = 'raw' AND tablename LIKE '_dnk_%'"))
}

// A run reaped while its worker was only cut off from the metadata database, after its
// destination committed, is settled a success from the destination's ledger (issue #15 item 2):
// the reaper asks before it leaves the run failed.
func TestRuns_TheReaperSettlesARunWhoseDestinationCommitted(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{noWorker: true})
	e.exec(t, e.src, "CREATE TABLE t (id int)")
	id := e.pipeline(t, "t", map[string]any{"mode": "single_table", "table": "public.t"})
	committed := e.trigger(t, id, nil)
	e.exec(t, e.owner, "UPDATE runs SET status = 'running', started_at = now() - interval '10 minutes', updated_at = now() - interval '3 minutes' WHERE id = $1", committed.Id)
	e.recordPublished(t, committed.Id, "t", 42)
	other := e.trigger(t, e.pipeline(t, "other", map[string]any{"mode": "single_table", "table": "public.t"}), nil)
	e.exec(t, e.owner, "UPDATE runs SET status = 'running', started_at = now() - interval '10 minutes', updated_at = now() - interval '3 minutes' WHERE id = $1", other.Id)

	w := &run.ReaperWorker{Pool: e.pool, Logger: testutil.Logger(), Settle: newRunWorker(t, e.pool, runEnvOptions{}).SettleReaped}
	require.NoError(t, w.Work(context.Background(), &river.Job[run.ReaperArgs]{}))

	r := e.run(t, committed.Id)
	require.Equal(t, "success", r.status, "error: %v", r.errMsg)
	require.Equal(t, int64(42), r.rowsLoaded)
	lines, _ := e.logMessages(t, committed.Id)
	require.True(t, hasPrefixIn(lines, "warn run succeeded: its tables were published"), "%v", lines)
	require.Equal(t, "failed", e.run(t, other.Id).status, "nothing published: the reaper's failure stands")
}

// A run handed back to the queue whose job River then ended (a user's cancel reached River
// first, the job was discarded, or River's cleaner removed it) would wait queued for ever: the
// reaper ends it — cancelled for a cancelled job, failed otherwise — with a last line saying
// why. A run whose job is waiting (available, snoozed at the org's limit, retryable) or
// running stays queued.
func TestRuns_TheReaperEndsRunsLeftQueuedWithoutALiveJob(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{noWorker: true})
	e.exec(t, e.src, "CREATE TABLE t (id int)")
	runs := map[string]int64{}
	for _, name := range []string{"cancelled", "discarded", "gone", "available", "scheduled", "retryable", "running"} {
		runs[name] = e.trigger(t, e.pipeline(t, name, map[string]any{"mode": "single_table", "table": "public.t"}), nil).Id
	}
	job := func(name, set string) {
		e.exec(t, e.owner, "UPDATE river_job SET "+set+" WHERE id = (SELECT job_id FROM runs WHERE id = $1)", runs[name])
	}
	job("cancelled", "state = 'cancelled', finalized_at = now()")
	job("discarded", "state = 'discarded', finalized_at = now()")
	e.exec(t, e.owner, "DELETE FROM river_job WHERE id = (SELECT job_id FROM runs WHERE id = $1)", runs["gone"])
	job("scheduled", "state = 'scheduled', scheduled_at = now() + interval '1 hour'")
	job("retryable", "state = 'retryable', attempt = 1, attempted_at = now(), scheduled_at = now() + interval '1 hour'")
	job("running", "state = 'running', attempt = 1, attempted_at = now()")

	w := &run.ReaperWorker{Pool: e.pool, Logger: testutil.Logger()}
	require.NoError(t, w.Work(context.Background(), &river.Job[run.ReaperArgs]{}))

	r := e.run(t, runs["cancelled"])
	require.Equal(t, "cancelled", r.status)
	require.Contains(t, *r.errMsg, "its job was cancelled")
	require.NotNil(t, r.finished)
	require.Equal(t, run.PhaseDone, r.stats.Phase)
	lines, _ := e.logMessages(t, runs["cancelled"])
	require.True(t, hasPrefixIn(lines, "warn run cancelled: its job was cancelled"), "%v", lines)
	for _, name := range []string{"discarded", "gone"} {
		r := e.run(t, runs[name])
		require.Equal(t, "failed", r.status, name)
		require.Equal(t, "its job left the queue without running it", *r.errMsg, name)
		lines, _ := e.logMessages(t, runs[name])
		require.True(t, hasPrefixIn(lines, "error run failed: its job left the queue"), "%s: %v", name, lines)
	}
	for _, name := range []string{"available", "scheduled", "retryable", "running"} {
		require.Equal(t, "queued", e.run(t, runs[name]).status, name)
	}
	// A run ended so may be retried.
	got := e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/retry", runs["cancelled"]), e.f.editor.AccessToken, nil)
	require.Equal(t, http.StatusAccepted, got.Code, got.Body.String())
}
