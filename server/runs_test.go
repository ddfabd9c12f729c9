package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/connection"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/standard"
	"github.com/datanika/datanika/internal/dag"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/queue"
	"github.com/datanika/datanika/internal/run"
	"github.com/datanika/datanika/internal/secrets"
	"github.com/datanika/datanika/internal/testutil"
	"github.com/datanika/datanika/internal/transformation"
)

// runPassword is in every connection of these tests: it must never reach a log line or an error.
const runPassword = "Run-s3cret-Pa55word"

// runEnv is a server with a real River worker working pipeline runs, an org, and two PostgreSQL
// databases (source and destination) with a connection to each.
type runEnv struct {
	*testServer
	dstURL   string
	owner    *pgxpool.Pool // the metadata database, outside row-level security
	f        orgFixture
	src, dst *pgxpool.Pool
	srcURL   string // the source database, as the env's connection reaches it
	srcConn  api.Connection
	dstConn  api.Connection
	proxy    *testutil.FaultProxy
	queue    *queue.Client
}

type runEnvOptions struct {
	noWorker   bool // an insert-only queue: runs stay queued
	orgLimit   int
	runTimeout time.Duration
	heartbeat  time.Duration
	// metadataFaults puts the worker's connections to the metadata database behind a proxy
	// the test can break (runEnv.proxy); the API's stay direct.
	metadataFaults bool
	pause          func(ctx context.Context, runID int64, point string) // run.WorkerConfig.Pause
	// withoutRecord switches the destination's record off (run.WorkerConfig's field).
	withoutRecord bool
	// programQueue runs the worker with the program's queue poll and stats interval rather
	// than these tests' faster ones (benchmarks).
	programQueue bool
	// dispatch, when set, is given the worker's dispatcher of ended runs (to add handlers).
	dispatch func(*dag.Dispatcher)
	// dependencyWait and dependencyRecheck are run.WorkerConfig's.
	dependencyWait, dependencyRecheck time.Duration
}

func testKeyring(t *testing.T) *secrets.Keyring {
	kr, err := secrets.NewKeyring([]secrets.Key{{ID: "test", Key: bytes.Repeat([]byte{7}, 32)}})
	require.NoError(t, err)
	return kr
}

// newRunWorker is the pipeline-run worker of these tests, on pool.
func newRunWorker(t *testing.T, pool *pgxpool.Pool, o runEnvOptions) *run.PipelineRunWorker {
	t.Helper()
	return run.NewPipelineRunWorker(runWorkerConfig(t, pool, o))
}

// runWorkerConfig is the config of these tests' run workers, on pool.
func runWorkerConfig(t *testing.T, pool *pgxpool.Pool, o runEnvOptions) run.WorkerConfig {
	t.Helper()
	policy, err := egress.New(true, "")
	require.NoError(t, err)
	statsInterval := 100 * time.Millisecond
	if o.programQueue {
		statsInterval = 0 // the program's default
	}
	return run.WorkerConfig{
		Pool:                pool,
		Connections:         connection.New(pool, standard.Registry(), testKeyring(t), connectors.Env{}, testutil.Logger()),
		Env:                 func(int64, bool) connectors.Env { return connectors.Env{Dialer: policy.Dialer(10 * time.Second)} },
		MaxConcurrentPerOrg: o.orgLimit,
		Timeout:             o.runTimeout,
		LimitWait:           200 * time.Millisecond,
		DependencyWait:      o.dependencyWait,
		DependencyRecheck:   o.dependencyRecheck,
		StatsInterval:       statsInterval,
		Heartbeat:           o.heartbeat,
		Logger:              testutil.Logger(),
		Pause:               o.pause,

		WithoutDestinationRecord: o.withoutRecord,
	}
}

// startRunWorker starts a River client on pool that works runs, stopped when the test ends.
func startRunWorker(t *testing.T, pool *pgxpool.Pool, o runEnvOptions) *queue.Client {
	t.Helper()
	w := newRunWorker(t, pool, o)
	tw := run.NewTransformRunWorker(runWorkerConfig(t, pool, o), transformation.New(pool, nil, testutil.Logger()))
	poll := 50 * time.Millisecond
	if o.programQueue {
		poll = 0 // queue.DefaultFetchPollInterval
	}
	client, err := queue.New(pool, queue.Options{Logger: testutil.Logger(), Work: true, MaxWorkers: 10,
		FetchPollInterval: poll, Register: func(ws *river.Workers) {
			run.Register(ws, w)
			run.RegisterTransform(ws, tw)
		}})
	require.NoError(t, err)
	require.NoError(t, client.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = queue.Stop(ctx, client)
	})
	// The worker process also dispatches ended runs (cascades, notifications), as serve does.
	dispatcher := dag.NewDispatcher(pool, dag.New(pool, run.NewService(pool, client), transformation.New(pool, nil, testutil.Logger())), testutil.Logger())
	dispatcher.Poll = 100 * time.Millisecond
	if o.dispatch != nil {
		o.dispatch(dispatcher)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); dispatcher.Run(ctx, pool) }()
	t.Cleanup(func() { cancel(); <-done })
	return client
}

func setupRuns(t *testing.T, o runEnvOptions) *runEnv {
	t.Helper()
	_, dbURL := testutil.NewDatabase(t)
	pool := testutil.AppPool(t, dbURL)
	var client *queue.Client
	var proxy *testutil.FaultProxy
	if o.metadataFaults {
		u, err := url.Parse(dbURL)
		require.NoError(t, err)
		proxy = testutil.NewFaultProxy(t, u.Host)
		// The worker, behind the proxy, works the jobs the API (connected directly) inserts.
		startRunWorker(t, testutil.AppPool(t, proxy.URL(t, dbURL)), o)
	}
	if o.metadataFaults || o.noWorker {
		var err error
		client, err = queue.New(pool, queue.Options{Logger: testutil.Logger(), Register: run.RegisterKinds})
		require.NoError(t, err)
	} else {
		client = startRunWorker(t, pool, o)
	}
	s := setupWithPool(t, pool, func(d *Deps) { d.Queue = client; d.MaxBodyBytes = 1 << 20 })
	env := &runEnv{testServer: s, owner: testutil.OwnerPool(t, pool), f: s.newOrg(t), proxy: proxy, queue: client}
	srcURL, dstURL := testutil.EmptyDatabase(t), testutil.EmptyDatabase(t)
	var err error
	env.srcURL, env.dstURL = srcURL, dstURL
	env.src, err = pgxpool.New(context.Background(), srcURL)
	require.NoError(t, err)
	t.Cleanup(env.src.Close)
	env.dst, err = pgxpool.New(context.Background(), dstURL)
	require.NoError(t, err)
	t.Cleanup(env.dst.Close)
	env.srcConn = decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", env.f.owner.AccessToken,
		map[string]any{"name": "source", "type": "postgres", "config": pgConfigFor(srcURL, runPassword)}), http.StatusCreated)
	env.dstConn = decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", env.f.owner.AccessToken,
		map[string]any{"name": "destination", "type": "postgres", "config": pgConfigFor(dstURL, runPassword)}), http.StatusCreated)
	return env
}

func (e *runEnv) exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	_, err := pool.Exec(context.Background(), sql, args...)
	require.NoError(t, err)
}

// pipeline stores an active pipeline of the env's org loading into schema "raw".
func (e *runEnv) pipeline(t *testing.T, name string, cfg map[string]any) int64 {
	t.Helper()
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	var id int64
	require.NoError(t, e.owner.QueryRow(context.Background(), `INSERT INTO pipelines
		(org_id, name, source_connection_id, destination_connection_id, destination_schema, status, config)
		VALUES ($1, $2, $3, $4, 'raw', 'active', $5) RETURNING id`, e.f.orgID, name, e.srcConn.Id, e.dstConn.Id, raw).Scan(&id))
	return id
}

func (e *runEnv) trigger(t *testing.T, pipelineID int64, body any) api.Run {
	t.Helper()
	return decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/pipelines/%d/runs", pipelineID), e.f.editor.AccessToken, body), http.StatusAccepted)
}

type storedRun struct {
	status, trigger   string
	attempt           int32
	retryOf           *int64
	rowsLoaded        int64
	errMsg            *string
	stats             run.Stats
	started, finished *time.Time
	jobID             *int64
}

func (e *runEnv) run(t *testing.T, id int64) storedRun {
	t.Helper()
	var r storedRun
	var stats []byte
	require.NoError(t, e.owner.QueryRow(context.Background(), `SELECT status, trigger, attempt, retry_of, rows_loaded, error,
		stats, started_at, finished_at, job_id FROM runs WHERE id = $1`, id).Scan(&r.status, &r.trigger, &r.attempt, &r.retryOf,
		&r.rowsLoaded, &r.errMsg, &stats, &r.started, &r.finished, &r.jobID))
	require.NoError(t, json.Unmarshal(stats, &r.stats))
	return r
}

// waitForEnd polls the run until it ended (success, failed, cancelled); ended false when the
// timeout came first.
func (e *runEnv) waitForEnd(t *testing.T, id int64, timeout time.Duration) (storedRun, bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := e.run(t, id)
		switch r.status {
		case "success", "failed", "cancelled":
			return r, true
		}
		if time.Now().After(deadline) {
			return r, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor polls the run until its status is one of want.
func (e *runEnv) waitFor(t *testing.T, id int64, timeout time.Duration, want ...string) storedRun {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := e.run(t, id)
		for _, w := range want {
			if r.status == w {
				return r
			}
		}
		if time.Now().After(deadline) {
			reason := "none"
			if r.errMsg != nil {
				reason = *r.errMsg
			}
			t.Fatalf("run %d is %s after %s, want %v (error: %s)", id, r.status, timeout, want, reason)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *runEnv) jobState(t *testing.T, jobID int64) (state string, attempt int) {
	t.Helper()
	require.NoError(t, e.owner.QueryRow(context.Background(), "SELECT state, attempt FROM river_job WHERE id = $1", jobID).Scan(&state, &attempt))
	return state, attempt
}

// waitJob waits until the River job is in state (River records it just after the run ends) and
// returns its attempt.
func (e *runEnv) waitJob(t *testing.T, jobID int64, want string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		state, attempt := e.jobState(t, jobID)
		if state == want {
			return attempt
		}
		require.True(t, time.Now().Before(deadline), "job %d is %s, want %s", jobID, state, want)
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *runEnv) count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// logMessages returns the run's lines as "level message" plus the raw text of all of them.
func (e *runEnv) logMessages(t *testing.T, runID int64) ([]string, string) {
	t.Helper()
	rows, err := e.owner.Query(context.Background(), "SELECT seq, level, message, fields::text FROM run_logs WHERE run_id = $1 ORDER BY seq", runID)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	var all strings.Builder
	var last int64
	for rows.Next() {
		var seq int64
		var level, msg, fields string
		require.NoError(t, rows.Scan(&seq, &level, &msg, &fields))
		require.Equal(t, last+1, seq, "seq runs 1, 2, 3… per run")
		last = seq
		out = append(out, level+" "+msg)
		all.WriteString(msg + " " + fields + "\n")
	}
	require.NoError(t, rows.Err())
	return out, all.String()
}

func hasPrefixIn(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func TestRuns_TriggerLoadsTheTableLogsAndCatalogsIt(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	e.exec(t, e.src, "CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10,2), note text)")
	e.exec(t, e.src, "INSERT INTO orders SELECT g, g * 1.5, 'n' || g FROM generate_series(1, 250) g")
	id := e.pipeline(t, "orders", map[string]any{"mode": "single_table", "table": "public.orders"})

	queued := e.trigger(t, id, map[string]any{})
	require.Equal(t, api.RunStatus("queued"), queued.Status)
	require.Equal(t, api.RunTrigger("manual"), queued.Trigger)
	require.Equal(t, int32(1), queued.Attempt)
	require.Equal(t, id, queued.TargetId)

	r := e.waitFor(t, queued.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "error: %v", r.errMsg)
	require.Nil(t, r.errMsg)
	require.Equal(t, int64(250), r.rowsLoaded)
	require.NotNil(t, r.started)
	require.NotNil(t, r.finished)
	require.Equal(t, run.PhaseDone, r.stats.Phase)
	require.Len(t, r.stats.Tables, 1)
	require.Equal(t, "orders", r.stats.Tables[0].Name)
	require.Equal(t, int64(250), r.stats.Tables[0].RowsWritten)
	require.Equal(t, int64(250), e.count(t, e.dst, "SELECT count(*) FROM raw.orders"))
	require.Equal(t, int64(250), e.count(t, e.dst, "SELECT count(*) FROM raw.orders WHERE _dnk_run_id = $1", fmt.Sprintf("run-%d", queued.Id)))
	require.Equal(t, 1, e.waitJob(t, *r.jobID, "completed"))

	lines, all := e.logMessages(t, queued.Id)
	for _, want := range []string{"info run started", "info connecting", "info table started", "info table loaded",
		"info table verified and published", "info catalog updated", "info run succeeded"} {
		require.True(t, hasPrefixIn(lines, want), "no line %q in %v", want, lines)
	}
	require.NotContains(t, all, runPassword)

	// The loaded table is a `source` entry of the destination's catalog, with its columns.
	var origin, kind string
	var cols []byte
	require.NoError(t, e.owner.QueryRow(context.Background(), `SELECT origin, kind, columns FROM catalog_entries
		WHERE connection_id = $1 AND schema_name = 'raw' AND table_name = 'orders'`, e.dstConn.Id).Scan(&origin, &kind, &cols))
	require.Equal(t, "source", origin)
	require.Equal(t, "table", kind)
	var columns []connectors.Column
	require.NoError(t, json.Unmarshal(cols, &columns))
	require.Equal(t, "amount", columns[1].Name)
	require.Equal(t, "numeric(10,2)", columns[1].Type)

	// The run has ended: the pipeline can run again, this time as an API key (trigger api).
	key := decode[api.ApiKeyCreated](t, e.call(t, http.MethodPost, "/api/v1/api-keys", e.f.owner.AccessToken,
		map[string]any{"name": "ci", "scopes": []string{"run"}}), http.StatusCreated)
	again := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/pipelines/%d/runs", id), key.Key, map[string]any{"full_refresh": true}), http.StatusAccepted)
	require.Equal(t, api.RunTrigger("api"), again.Trigger)
	r = e.waitFor(t, again.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "error: %v", r.errMsg)
	require.Equal(t, int64(250), e.count(t, e.dst, "SELECT count(*) FROM raw.orders"), "full_refresh replaces")
}

func TestRuns_SecondTriggerCancelAndRetryOfQueuedRuns(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{noWorker: true})
	id := e.pipeline(t, "p", map[string]any{"mode": "single_table", "table": "public.t"})
	path := fmt.Sprintf("/api/v1/pipelines/%d/runs", id)

	first := e.trigger(t, id, map[string]any{"full_refresh": true, "downstream": true})
	p := decodeProblem(t, e.call(t, http.MethodPost, path, e.f.editor.AccessToken, nil), http.StatusConflict)
	require.NotNil(t, p.ActiveRunId)
	require.Equal(t, first.Id, *p.ActiveRunId)
	// The index settles what the pre-check cannot see: a second active row is refused.
	_, err := e.owner.Exec(context.Background(), "INSERT INTO runs (org_id, target_type, target_id, trigger) VALUES ($1, 'pipeline', $2, 'manual')", e.f.orgID, id)
	require.ErrorContains(t, err, "runs_one_active")

	// Roles and tenancy: a viewer may not, another org sees nothing.
	decodeProblem(t, e.call(t, http.MethodPost, path, e.f.viewer.AccessToken, nil), http.StatusForbidden)
	other := e.newOrg(t)
	decodeProblem(t, e.call(t, http.MethodPost, path, other.editor.AccessToken, nil), http.StatusNotFound)
	decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/cancel", first.Id), other.editor.AccessToken, nil), http.StatusNotFound)
	decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/retry", first.Id), other.editor.AccessToken, nil), http.StatusNotFound)
	decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/cancel", first.Id), e.f.viewer.AccessToken, nil), http.StatusForbidden)
	decodeProblem(t, e.call(t, http.MethodPost, "/api/v1/pipelines/999999/runs", e.f.editor.AccessToken, nil), http.StatusNotFound)

	// An active run cannot be retried.
	p = decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/retry", first.Id), e.f.editor.AccessToken, nil), http.StatusConflict)
	require.Equal(t, first.Id, *p.ActiveRunId)

	// A queued run is cancelled at once, its job with it.
	cancelled := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/cancel", first.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	require.Equal(t, api.RunStatus("cancelled"), cancelled.Status)
	require.NotNil(t, cancelled.FinishedAt)
	r := e.run(t, first.Id)
	state, _ := e.jobState(t, *r.jobID)
	require.Equal(t, "cancelled", state)
	decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/cancel", first.Id), e.f.editor.AccessToken, nil), http.StatusConflict)
	lines, _ := e.logMessages(t, first.Id)
	require.Equal(t, []string{"info run cancelled before it started"}, lines)

	// Retry: a new run, attempt 2, trigger retry, same full_refresh.
	retry := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/retry", first.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	require.Equal(t, api.RunTrigger("retry"), retry.Trigger)
	require.Equal(t, int32(2), retry.Attempt)
	require.Equal(t, first.Id, *retry.RetryOf)
	require.Equal(t, api.RunStatus("queued"), retry.Status)
	var fullRefresh bool
	require.NoError(t, e.owner.QueryRow(context.Background(), "SELECT full_refresh FROM runs WHERE id = $1", retry.Id).Scan(&fullRefresh))
	require.True(t, fullRefresh)
	// The target now has an active run: retrying the old one again is a 409 naming it.
	p = decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/retry", first.Id), e.f.editor.AccessToken, nil), http.StatusConflict)
	require.Equal(t, retry.Id, *p.ActiveRunId)

	// A paused pipeline does not run; a deleted one does not exist.
	e.exec(t, e.owner, "UPDATE pipelines SET status = 'paused' WHERE id = $1", id)
	e.exec(t, e.owner, "UPDATE runs SET status = 'cancelled' WHERE id = $1", retry.Id)
	decodeProblem(t, e.call(t, http.MethodPost, path, e.f.editor.AccessToken, nil), http.StatusConflict)
	e.exec(t, e.owner, "UPDATE pipelines SET deleted_at = now() WHERE id = $1", id)
	decodeProblem(t, e.call(t, http.MethodPost, path, e.f.editor.AccessToken, nil), http.StatusNotFound)
}

// slowView makes a source relation that yields rows at about 100 per second. Pipelines reading
// it filter (slowFilter): the engine reads an unfiltered relation with COPY <table>, which
// PostgreSQL refuses for views.
func (e *runEnv) slowView(t *testing.T, name string, rows int) {
	t.Helper()
	e.exec(t, e.src, `CREATE OR REPLACE FUNCTION slow_id(g int) RETURNS int LANGUAGE plpgsql VOLATILE AS
		$$ BEGIN PERFORM pg_sleep(0.005); RETURN g; END $$`)
	e.exec(t, e.src, fmt.Sprintf(`CREATE VIEW %s AS SELECT slow_id(g) AS id, 'row ' || g AS note
		FROM generate_series(1, %d) g`, name, rows))
}

var slowFilter = []map[string]any{{"column": "id", "op": "gt", "value": 0}}

func TestRuns_CancelDuringCopyEndsCancelledAndLeavesTheDestinationAsItWas(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	e.slowView(t, "slow", 3000) // about 30 s
	e.exec(t, e.dst, "CREATE SCHEMA raw")
	e.exec(t, e.dst, "CREATE TABLE raw.slow (id int, note text, _dnk_loaded_at timestamptz NOT NULL, _dnk_run_id text NOT NULL)")
	e.exec(t, e.dst, "INSERT INTO raw.slow VALUES (0, 'before', now(), 'earlier')")
	id := e.pipeline(t, "slow", map[string]any{"mode": "single_table", "table": "public.slow", "filters": slowFilter})

	queued := e.trigger(t, id, nil)
	e.waitFor(t, queued.Id, 20*time.Second, "running")
	time.Sleep(time.Second) // well into the copy
	got := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/cancel", queued.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	require.Equal(t, api.RunStatus("running"), got.Status, "the worker ends it")

	start := time.Now()
	r := e.waitFor(t, queued.Id, 15*time.Second, "cancelled", "failed", "success")
	require.Equal(t, "cancelled", r.status, "error: %v", r.errMsg)
	require.Less(t, time.Since(start), 10*time.Second)
	require.Equal(t, 1, e.waitJob(t, *r.jobID, "cancelled"))
	require.Equal(t, int64(1), e.count(t, e.dst, "SELECT count(*) FROM raw.slow"), "the destination is as it was")
	require.Equal(t, int64(1), e.count(t, e.dst, "SELECT count(*) FROM raw.slow WHERE note = 'before'"))
	lines, all := e.logMessages(t, queued.Id)
	require.True(t, hasPrefixIn(lines, "warn run cancelled"), "%v", lines)
	require.NotContains(t, all, runPassword)
	decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/cancel", queued.Id), e.f.editor.AccessToken, nil), http.StatusConflict)
}

func TestRuns_UserErrorFailsWithoutRetryAndRetrySucceedsOnceFixed(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	id := e.pipeline(t, "missing", map[string]any{"mode": "single_table", "table": "public.missing"})

	first := e.trigger(t, id, nil)
	r := e.waitFor(t, first.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "failed", r.status)
	require.NotNil(t, r.errMsg)
	require.Contains(t, *r.errMsg, "missing")
	require.NotContains(t, *r.errMsg, "\n")
	require.NotContains(t, *r.errMsg, runPassword)
	require.Equal(t, 1, e.waitJob(t, *r.jobID, "cancelled"), "a user error is not retried")
	lines, all := e.logMessages(t, first.Id)
	require.True(t, hasPrefixIn(lines, "error run failed: "), "%v", lines)
	require.NotContains(t, all, runPassword)

	e.exec(t, e.src, "CREATE TABLE missing (id int PRIMARY KEY)")
	e.exec(t, e.src, "INSERT INTO missing SELECT generate_series(1, 7)")
	retry := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/retry", first.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	r = e.waitFor(t, retry.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "error: %v", r.errMsg)
	require.Equal(t, int32(2), r.attempt)
	require.Equal(t, "retry", r.trigger)
	require.Equal(t, first.Id, *r.retryOf)
	require.Equal(t, int64(7), e.count(t, e.dst, "SELECT count(*) FROM raw.missing"))
	// Retries publish under the tag of the chain's first run.
	require.Equal(t, int64(7), e.count(t, e.dst, "SELECT count(*) FROM raw.missing WHERE _dnk_run_id = $1", fmt.Sprintf("run-%d", first.Id)))

	// A success is not retried.
	decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/retry", retry.Id), e.f.editor.AccessToken, nil), http.StatusConflict)
}

func TestRuns_IncrementalStateIsCommittedPerTableAndTheNextRunReadsOnlyNewRows(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	e.exec(t, e.src, "CREATE TABLE events (id int PRIMARY KEY, v text)")
	e.exec(t, e.src, "INSERT INTO events SELECT g, 'v' || g FROM generate_series(1, 3) g")
	id := e.pipeline(t, "events", map[string]any{"mode": "single_table", "table": "public.events",
		"incremental": map[string]any{"cursor_path": "id", "row_order": "asc"}})

	first := e.trigger(t, id, nil)
	r := e.waitFor(t, first.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "error: %v", r.errMsg)
	var mark string
	require.NoError(t, e.owner.QueryRow(context.Background(), "SELECT cursor_value FROM pipeline_state WHERE pipeline_id = $1", id).Scan(&mark))
	require.Equal(t, "3", mark)

	e.exec(t, e.src, "INSERT INTO events VALUES (4, 'v4'), (5, 'v5')")
	second := e.trigger(t, id, nil)
	r = e.waitFor(t, second.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "error: %v", r.errMsg)
	require.Equal(t, int64(2), r.rowsLoaded, "only the new rows")
	require.Equal(t, int64(5), e.count(t, e.dst, "SELECT count(*) FROM raw.events"))
	require.NoError(t, e.owner.QueryRow(context.Background(), "SELECT cursor_value FROM pipeline_state WHERE pipeline_id = $1", id).Scan(&mark))
	require.Equal(t, "5", mark)
}

func TestRuns_OrgLimitKeepsTheSecondRunQueuedUntilTheFirstEnds(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{orgLimit: 1})
	e.slowView(t, "a", 150)
	e.slowView(t, "b", 150)
	pa := e.pipeline(t, "a", map[string]any{"mode": "single_table", "table": "public.a", "filters": slowFilter})
	pb := e.pipeline(t, "b", map[string]any{"mode": "single_table", "table": "public.b", "filters": slowFilter})

	ra, rb := e.trigger(t, pa, nil), e.trigger(t, pb, nil)
	deadline := time.Now().Add(60 * time.Second)
	for {
		running := e.count(t, e.owner, "SELECT count(*) FROM runs WHERE org_id = $1 AND status = 'running'", e.f.orgID)
		require.LessOrEqual(t, running, int64(1), "the org's limit is 1")
		ended := e.count(t, e.owner, "SELECT count(*) FROM runs WHERE org_id = $1 AND status IN ('success', 'failed', 'cancelled')", e.f.orgID)
		if ended == 2 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the runs did not end")
		time.Sleep(20 * time.Millisecond)
	}
	a, b := e.run(t, ra.Id), e.run(t, rb.Id)
	require.Equal(t, "success", a.status, "error: %v", a.errMsg)
	require.Equal(t, "success", b.status, "error: %v", b.errMsg)
	firstEnd, secondStart := a.finished, b.started
	if b.started.Before(*a.started) {
		firstEnd, secondStart = b.finished, a.started
	}
	require.False(t, secondStart.Before(*firstEnd), "the second run started after the first ended")
	// Each run started once: one job attempt each, however often the limit snoozed them.
	for _, r := range []storedRun{a, b} {
		require.Equal(t, 1, e.waitJob(t, *r.jobID, "completed"))
	}
}

// leaveRunning makes a run look like what an interrupted attempt leaves: the run running, its
// job available again (River's rescuer, or its retry).
func (e *runEnv) leaveRunning(t *testing.T, runID int64) {
	t.Helper()
	e.exec(t, e.owner, "UPDATE runs SET status = 'running', started_at = now() WHERE id = $1", runID)
	e.exec(t, e.owner, "UPDATE river_job SET attempt = 1, attempted_at = now() - interval '1 hour' WHERE id = (SELECT job_id FROM runs WHERE id = $1)", runID)
}

// recordPublished writes what the destination's ledger (raw._dnk_loads) holds once a run's
// table was published, as the load engine writes it.
func (e *runEnv) recordPublished(t *testing.T, runID int64, table string, rows int64) {
	t.Helper()
	tag := fmt.Sprintf("run-%d", runID)
	e.exec(t, e.dst, "CREATE SCHEMA IF NOT EXISTS raw")
	e.exec(t, e.dst, `CREATE TABLE IF NOT EXISTS raw._dnk_loads (run_id text NOT NULL, table_name text NOT NULL, pipeline text NOT NULL,
		attempt text NOT NULL, rows_written bigint NOT NULL, cursor_value text, published_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (run_id, table_name))`)
	e.exec(t, e.dst, "INSERT INTO raw._dnk_loads (run_id, table_name, pipeline, attempt, rows_written) VALUES ($1, $2, 'p', $1, $3)", tag, table, rows)
}

// A run found running when its job comes back (its worker was killed, or its attempt could not
// record anything while the metadata database was away) is settled from its destination:
// nothing published, it is worked again (issue #15 item 3; it used to end failed, "the worker
// running it stopped before it finished", naming a lost worker that may never have been lost).
func TestRuns_ARunLeftRunningThatPublishedNothingIsWorkedAgain(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{noWorker: true})
	e.exec(t, e.src, "CREATE TABLE t (id int)")
	e.exec(t, e.src, "INSERT INTO t SELECT generate_series(1, 7)")
	id := e.pipeline(t, "t", map[string]any{"mode": "single_table", "table": "public.t"})
	queued := e.trigger(t, id, nil)
	e.leaveRunning(t, queued.Id)

	startRunWorker(t, e.pool, runEnvOptions{})
	r := e.waitFor(t, queued.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "error: %v", r.errMsg)
	require.Equal(t, int64(7), r.rowsLoaded)
	require.Equal(t, int64(7), e.count(t, e.dst, "SELECT count(*) FROM raw.t"))
	lines, _ := e.logMessages(t, queued.Id)
	require.True(t, hasPrefixIn(lines, "info run succeeded"), "%v", lines)
}

// Tables the interrupted attempt published are not loaded again: the run ends success with the
// rows its destination's ledger records.
func TestRuns_ARunLeftRunningThatPublishedIsSettledFromItsDestination(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{noWorker: true})
	e.exec(t, e.src, "CREATE TABLE t (id int)")
	e.exec(t, e.src, "INSERT INTO t SELECT generate_series(1, 7)")
	id := e.pipeline(t, "t", map[string]any{"mode": "single_table", "table": "public.t"})
	queued := e.trigger(t, id, nil)
	e.leaveRunning(t, queued.Id)
	// What the attempt committed in the destination before it was cut off.
	tag := fmt.Sprintf("run-%d", queued.Id)
	e.exec(t, e.dst, "CREATE SCHEMA raw")
	e.exec(t, e.dst, "CREATE TABLE raw.t (id int, _dnk_loaded_at timestamptz, _dnk_run_id text)")
	e.exec(t, e.dst, "INSERT INTO raw.t SELECT g, now(), $1 FROM generate_series(1, 7) g", tag)
	e.recordPublished(t, queued.Id, "t", 7)

	startRunWorker(t, e.pool, runEnvOptions{})
	r := e.waitFor(t, queued.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "error: %v", r.errMsg)
	require.Equal(t, int64(7), r.rowsLoaded)
	require.Len(t, r.stats.Tables, 1)
	require.Equal(t, int64(7), e.count(t, e.dst, "SELECT count(*) FROM raw.t"), "not loaded again")
	lines, _ := e.logMessages(t, queued.Id)
	require.True(t, hasPrefixIn(lines, "warn run succeeded: its tables were published"), "%v", lines)
}

func TestRuns_TimeoutFailsTheRunAndLeavesNoTable(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{runTimeout: 1500 * time.Millisecond})
	e.slowView(t, "slow", 3000)
	id := e.pipeline(t, "slow", map[string]any{"mode": "single_table", "table": "public.slow", "filters": slowFilter})
	queued := e.trigger(t, id, nil)
	r := e.waitFor(t, queued.Id, 20*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "failed", r.status)
	require.Contains(t, *r.errMsg, "timed out after 1.5s")
	require.Equal(t, 1, e.waitJob(t, *r.jobID, "cancelled"))
	var exists bool
	require.NoError(t, e.dst.QueryRow(context.Background(), "SELECT to_regclass('raw.slow') IS NOT NULL").Scan(&exists))
	require.False(t, exists)
}

// The run operations in the RBAC and cross-tenant walks of rbac_test.go: a fresh target each time.
func init() {
	trigger := func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, fmt.Sprintf("/api/v1/pipelines/%d/runs", s.storedPipeline(t, g)), map[string]any{}}
	}
	cancel := func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/cancel", s.storedRun(t, g, "queued")), nil}
	}
	retry := func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/retry", s.storedRun(t, g, "failed")), nil}
	}
	for op, b := range map[string]func(*testing.T, *testServer, orgFixture) request{
		"triggerPipelineRun": trigger, "cancelRun": cancel, "retryRun": retry,
	} {
		requestBuilders[op] = b
		crossTenantTargets[op] = b
	}
}

// storedPipeline stores an active pipeline of g between two new connections.
func (s *testServer) storedPipeline(t *testing.T, g orgFixture) int64 {
	t.Helper()
	src, dst := s.createConnection(t, g), s.createConnection(t, g)
	var id int64
	require.NoError(t, testutil.OwnerPool(t, s.pool).QueryRow(context.Background(), `INSERT INTO pipelines
		(org_id, name, source_connection_id, destination_connection_id, destination_schema, status, config)
		VALUES ($1, $2, $3, $4, 'raw', 'active', '{"mode": "single_table", "table": "public.t"}') RETURNING id`,
		g.orgID, uniqueEmail("pipeline"), src.Id, dst.Id).Scan(&id))
	return id
}

// storedRun stores a run of a new pipeline of g with the given status.
func (s *testServer) storedRun(t *testing.T, g orgFixture, status string) int64 {
	t.Helper()
	pipelineID := s.storedPipeline(t, g)
	var id int64
	require.NoError(t, testutil.OwnerPool(t, s.pool).QueryRow(context.Background(), `INSERT INTO runs
		(org_id, target_type, target_id, trigger, status) VALUES ($1, 'pipeline', $2, 'manual', $3) RETURNING id`,
		g.orgID, pipelineID, status).Scan(&id))
	return id
}
