package run

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/queue"
	"github.com/datanika/datanika/internal/testutil"
)

// svcEnv is the runs service with an insert-only River client (no worker: runs stay as the
// service leaves them), and an org with an editor and a pipeline: in a rolled-back transaction
// (newSvcEnv, the fast tier) or on a database of its own (newSvcEnvDB, for racing tests).
type svcEnv struct {
	s       *Service
	app     database.DB
	owner   dbgen.DBTX
	domain  string
	editor  auth.Principal
	orgID   int64
	src     int64
	dst     int64
	orders  int64
	another svcOrg
}

// svcOrg is a second org, whose runs and pipelines the first must not reach.
type svcOrg struct {
	p        auth.Principal
	pipeline int64
	run      int64
}

var envSeq atomic.Int64

func newSvcEnv(t *testing.T) *svcEnv {
	t.Helper()
	tx := testutil.Tx(t)
	// The client only inserts, on the transaction it is given; its pool is never written to.
	client, err := queue.New(testutil.SharedPool(t), queue.Options{Logger: testutil.Logger(), Register: RegisterKinds})
	require.NoError(t, err)
	return buildSvcEnv(t, &svcEnv{s: NewService(tx, client), app: tx, owner: testutil.AsOwner(t, tx),
		domain: fmt.Sprintf("t%d.example.com", envSeq.Add(1))})
}

func newSvcEnvDB(t *testing.T) *svcEnv {
	t.Helper()
	_, url := testutil.NewDatabase(t)
	app := testutil.AppPool(t, url)
	client, err := queue.New(app, queue.Options{Logger: testutil.Logger(), Register: RegisterKinds})
	require.NoError(t, err)
	return buildSvcEnv(t, &svcEnv{s: NewService(app, client), app: app, owner: testutil.OwnerPool(t, app), domain: "example.com"})
}

func buildSvcEnv(t *testing.T, e *svcEnv) *svcEnv {
	t.Helper()
	e.editor, e.src, e.dst = e.org(t, "acme")
	e.orgID = e.editor.OrgID
	e.orders = e.pipeline(t, e.editor, e.src, e.dst, "orders", "active")
	op, osrc, odst := e.org(t, "other")
	e.another.p = op
	e.another.pipeline = e.pipeline(t, op, osrc, odst, "orders", "active")
	e.another.run = e.id(t, `INSERT INTO runs (org_id, target_type, target_id, status, trigger) VALUES ($1, 'pipeline', $2, 'failed', 'manual') RETURNING id`,
		op.OrgID, e.another.pipeline)
	return e
}

func (e *svcEnv) id(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	require.NoError(t, e.owner.QueryRow(context.Background(), sql, args...).Scan(&id))
	return id
}

func (e *svcEnv) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	_, err := e.owner.Exec(context.Background(), sql, args...)
	require.NoError(t, err)
}

func (e *svcEnv) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	return int(e.id(t, sql, args...))
}

// org makes an org with an editor, name-editor@domain, and two connections. Its slug is made
// unique: parallel fast-tier tests' uncommitted rows would make a second insert of one slug or
// email wait for the first test's end.
func (e *svcEnv) org(t *testing.T, name string) (auth.Principal, int64, int64) {
	t.Helper()
	email := name + "-editor@" + e.domain
	orgID := e.id(t, `INSERT INTO organizations (name, slug) VALUES ($1, $2) RETURNING id`, name, fmt.Sprintf("%s-%d", name, envSeq.Add(1)))
	userID := e.id(t, `INSERT INTO users (email, full_name) VALUES ($1, 'Editor') RETURNING id`, email)
	e.id(t, `INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'editor') RETURNING id`, orgID, userID)
	conn := func(name string) int64 {
		return e.id(t, `INSERT INTO connections (org_id, name, type, direction, config_sealed) VALUES ($1, $2, 'postgres', 'both', '\x00') RETURNING id`, orgID, name)
	}
	return auth.Principal{UserID: userID, OrgID: orgID, Role: auth.RoleEditor, Name: email}, conn("src"), conn("dst")
}

func (e *svcEnv) pipeline(t *testing.T, p auth.Principal, src, dst int64, name, status string) int64 {
	t.Helper()
	return e.id(t, `INSERT INTO pipelines (org_id, name, source_connection_id, destination_connection_id, destination_schema, status)
		VALUES ($1, $2, $3, $4, 'raw', $5) RETURNING id`, p.OrgID, name, src, dst, status)
}

// job reads the state, kind and args of a run's River job.
func (e *svcEnv) job(t *testing.T, r dbgen.Run) (state, kind string, args PipelineRunArgs, metadata map[string]any) {
	t.Helper()
	require.NotNil(t, r.JobID, "run %d has a job", r.ID)
	var rawArgs, rawMeta []byte
	require.NoError(t, e.owner.QueryRow(context.Background(), `SELECT state, kind, args, metadata FROM river_job WHERE id = $1`, *r.JobID).
		Scan(&state, &kind, &rawArgs, &rawMeta))
	require.NoError(t, json.Unmarshal(rawArgs, &args))
	require.NoError(t, json.Unmarshal(rawMeta, &metadata))
	return state, kind, args, metadata
}

// requireActive asserts err is the Conflict of an active run, naming it.
func requireActive(t *testing.T, err error, id int64) {
	t.Helper()
	e := testutil.RequireKind(t, err, apperr.Conflict)
	require.Equal(t, id, e.ActiveRunID, "the conflict names the active run: %v", err)
}

func TestTriggerPipeline_CreatesAQueuedRunAndItsJobTogether(t *testing.T) {
	t.Parallel()
	e, ctx := newSvcEnv(t), context.Background()
	r, err := e.s.TriggerPipeline(ctx, e.editor, e.orders, TriggerOptions{FullRefresh: true})
	require.NoError(t, err)
	require.Equal(t, StatusQueued, r.Status)
	require.Equal(t, TargetPipeline, r.TargetType)
	require.Equal(t, e.orders, r.TargetID)
	require.Equal(t, TriggerManual, r.Trigger)
	require.Equal(t, int32(1), r.Attempt)
	require.Nil(t, r.RetryOf)
	require.True(t, r.FullRefresh)
	require.Equal(t, &e.editor.UserID, r.CreatedBy)
	require.Equal(t, PhaseQueued, decodeStats(r.Stats).Phase)

	state, kind, args, _ := e.job(t, r)
	require.Equal(t, "available", state)
	require.Equal(t, PipelineRunArgs{}.Kind(), kind)
	require.Equal(t, PipelineRunArgs{OrgID: e.orgID, RunID: r.ID}, args)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM runs WHERE org_id = $1`, e.orgID))

	// An API key's run is triggered by "api", on behalf of the key's creator.
	other := e.pipeline(t, e.editor, e.src, e.dst, "customers", "active")
	key := e.editor
	key.APIKeyID, key.Scopes = 9, []auth.Scope{auth.ScopeRun}
	r, err = e.s.TriggerPipeline(ctx, key, other, TriggerOptions{})
	require.NoError(t, err)
	require.Equal(t, TriggerAPI, r.Trigger)
	require.False(t, r.FullRefresh)
	require.Equal(t, &e.editor.UserID, r.CreatedBy)
}

func TestTriggerPipeline_OneActiveRunPerPipeline(t *testing.T) {
	t.Parallel()
	e, ctx := newSvcEnv(t), context.Background()
	first, err := e.s.TriggerPipeline(ctx, e.editor, e.orders, TriggerOptions{})
	require.NoError(t, err)

	_, err = e.s.TriggerPipeline(ctx, e.editor, e.orders, TriggerOptions{FullRefresh: true})
	requireActive(t, err, first.ID)
	e.exec(t, `UPDATE runs SET status = 'running' WHERE id = $1`, first.ID)
	_, err = e.s.TriggerPipeline(ctx, e.editor, e.orders, TriggerOptions{})
	requireActive(t, err, first.ID)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM runs WHERE org_id = $1`, e.orgID), "a refused trigger leaves no run")
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'pipeline_run'`), "and no job")

	// Another pipeline runs beside it; another org's pipeline of the same id space is its own.
	other := e.pipeline(t, e.editor, e.src, e.dst, "customers", "active")
	_, err = e.s.TriggerPipeline(ctx, e.editor, other, TriggerOptions{})
	require.NoError(t, err)

	// Once the run ended, the pipeline runs again.
	e.exec(t, `UPDATE runs SET status = 'success' WHERE id = $1`, first.ID)
	next, err := e.s.TriggerPipeline(ctx, e.editor, e.orders, TriggerOptions{})
	require.NoError(t, err)
	require.NotEqual(t, first.ID, next.ID)
}

// Triggers racing on one pipeline: the unique index settles it, one run is created and the
// others are refused, naming it.
func TestTriggerPipeline_ConcurrentTriggersCreateOneRun(t *testing.T) {
	t.Parallel()
	e, ctx := newSvcEnvDB(t), context.Background()
	const n = 6
	runs := make([]dbgen.Run, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			runs[i], errs[i] = e.s.TriggerPipeline(ctx, e.editor, e.orders, TriggerOptions{})
		}()
	}
	close(start)
	wg.Wait()
	var winner int64
	for i, err := range errs {
		if err == nil {
			require.Zero(t, winner, "one trigger only succeeds")
			winner = runs[i].ID
		}
	}
	require.NotZero(t, winner)
	for _, err := range errs {
		if err != nil {
			e := testutil.RequireKind(t, err, apperr.Conflict)
			require.Equal(t, winner, e.ActiveRunID)
		}
	}
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM runs WHERE org_id = $1`, e.orgID))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'pipeline_run'`))
}

func TestTriggerPipeline_Refusals(t *testing.T) {
	t.Parallel()
	e, ctx := newSvcEnv(t), context.Background()
	paused := e.pipeline(t, e.editor, e.src, e.dst, "paused", "paused")
	deleted := e.pipeline(t, e.editor, e.src, e.dst, "deleted", "active")
	e.exec(t, `UPDATE pipelines SET deleted_at = now() WHERE id = $1`, deleted)

	_, err := e.s.TriggerPipeline(ctx, e.editor, paused, TriggerOptions{})
	testutil.RequireKind(t, err, apperr.Conflict)
	for _, id := range []int64{deleted, e.another.pipeline, 999999} {
		_, err := e.s.TriggerPipeline(ctx, e.editor, id, TriggerOptions{})
		testutil.RequireKind(t, err, apperr.NotFound)
	}

	// Without a job queue nothing is created: the run and its job go together or not at all.
	noQueue := NewService(e.app, nil)
	_, err = noQueue.TriggerPipeline(ctx, e.editor, e.orders, TriggerOptions{})
	testutil.RequireKind(t, err, apperr.Unavailable)
	require.Zero(t, e.count(t, `SELECT count(*) FROM runs WHERE org_id = $1`, e.orgID))
}

func TestCancel_AQueuedRunEndsCancelledWithItsJob(t *testing.T) {
	t.Parallel()
	e, ctx := newSvcEnv(t), context.Background()
	r, err := e.s.TriggerPipeline(ctx, e.editor, e.orders, TriggerOptions{})
	require.NoError(t, err)

	out, err := e.s.Cancel(ctx, e.editor, r.ID)
	require.NoError(t, err)
	require.Equal(t, StatusCancelled, out.Status)
	require.True(t, out.FinishedAt.Valid)
	require.Equal(t, PhaseDone, decodeStats(out.Stats).Phase)
	state, _, _, _ := e.job(t, r)
	require.Equal(t, "cancelled", state, "the job never starts")
	var msg, fields string
	require.NoError(t, e.owner.QueryRow(ctx, `SELECT message, fields::text FROM run_logs WHERE run_id = $1 ORDER BY seq DESC LIMIT 1`, r.ID).Scan(&msg, &fields))
	require.Equal(t, "run cancelled before it started", msg)
	require.JSONEq(t, `{"by": "acme-editor@`+e.domain+`"}`, fields)

	_, err = e.s.Cancel(ctx, e.editor, r.ID)
	testutil.RequireKind(t, err, apperr.Conflict)
	_, err = e.s.TriggerPipeline(ctx, e.editor, e.orders, TriggerOptions{})
	require.NoError(t, err, "a cancelled run is no longer active")
}

func TestCancel_ARunningRunIsLeftToItsWorker(t *testing.T) {
	t.Parallel()
	e, ctx := newSvcEnv(t), context.Background()
	r, err := e.s.TriggerPipeline(ctx, e.editor, e.orders, TriggerOptions{})
	require.NoError(t, err)
	e.exec(t, `UPDATE runs SET status = 'running', started_at = now() WHERE id = $1`, r.ID)
	e.exec(t, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() WHERE id = $1`, *r.JobID)

	out, err := e.s.Cancel(ctx, e.editor, r.ID)
	require.NoError(t, err)
	require.Equal(t, StatusRunning, out.Status, "the worker ends the run")
	var status string
	require.NoError(t, e.owner.QueryRow(ctx, `SELECT status FROM runs WHERE id = $1`, r.ID).Scan(&status))
	require.Equal(t, StatusRunning, status)
	state, _, _, meta := e.job(t, r)
	require.Equal(t, "running", state)
	require.Contains(t, meta, "cancel_attempted_at", "River's cancel reaches the worker")

	// Without a job queue a running run cannot be reached.
	_, err = NewService(e.app, nil).Cancel(ctx, e.editor, r.ID)
	testutil.RequireKind(t, err, apperr.Unavailable)
}

func TestCancel_EndedAndForeignRuns(t *testing.T) {
	t.Parallel()
	e, ctx := newSvcEnv(t), context.Background()
	for _, status := range []string{"success", "failed", "cancelled", "skipped"} {
		id := e.id(t, `INSERT INTO runs (org_id, target_type, target_id, status, trigger) VALUES ($1, 'pipeline', $2, $3, 'manual') RETURNING id`,
			e.orgID, e.orders, status)
		_, err := e.s.Cancel(ctx, e.editor, id)
		testutil.RequireKind(t, err, apperr.Conflict)
	}
	for _, id := range []int64{e.another.run, 999999} {
		_, err := e.s.Cancel(ctx, e.editor, id)
		testutil.RequireKind(t, err, apperr.NotFound)
	}
}

func TestRetry_ANewRunWithTheNextAttempt(t *testing.T) {
	t.Parallel()
	e, ctx := newSvcEnv(t), context.Background()
	first, err := e.s.TriggerPipeline(ctx, e.editor, e.orders, TriggerOptions{FullRefresh: true})
	require.NoError(t, err)
	e.exec(t, `UPDATE runs SET status = 'failed' WHERE id = $1`, first.ID)

	second, err := e.s.Retry(ctx, e.editor, first.ID)
	require.NoError(t, err)
	require.NotEqual(t, first.ID, second.ID)
	require.Equal(t, StatusQueued, second.Status)
	require.Equal(t, TriggerRetry, second.Trigger)
	require.Equal(t, int32(2), second.Attempt)
	require.Equal(t, &first.ID, second.RetryOf)
	require.True(t, second.FullRefresh, "the same full refresh")
	require.Equal(t, e.orders, second.TargetID)
	_, _, args, _ := e.job(t, second)
	require.Equal(t, second.ID, args.RunID)

	// Retrying the retry, once cancelled, counts on.
	_, err = e.s.Cancel(ctx, e.editor, second.ID)
	require.NoError(t, err)
	third, err := e.s.Retry(ctx, e.editor, second.ID)
	require.NoError(t, err)
	require.Equal(t, int32(3), third.Attempt)
	require.Equal(t, &second.ID, third.RetryOf)

	// While the third is active, neither it nor an older run is retried: the conflict names it.
	_, err = e.s.Retry(ctx, e.editor, third.ID)
	requireActive(t, err, third.ID)
	_, err = e.s.Retry(ctx, e.editor, first.ID)
	requireActive(t, err, third.ID)
	require.Equal(t, 3, e.count(t, `SELECT count(*) FROM runs WHERE org_id = $1`, e.orgID))
}

func TestRetry_OnlyFailedOrCancelledRunsOfARunnablePipeline(t *testing.T) {
	t.Parallel()
	e, ctx := newSvcEnv(t), context.Background()
	runOf := func(pipeline int64, status string) int64 {
		return e.id(t, `INSERT INTO runs (org_id, target_type, target_id, status, trigger) VALUES ($1, 'pipeline', $2, $3, 'manual') RETURNING id`,
			e.orgID, pipeline, status)
	}
	for _, status := range []string{"success", "skipped"} {
		_, err := e.s.Retry(ctx, e.editor, runOf(e.orders, status))
		testutil.RequireKind(t, err, apperr.Conflict)
	}
	paused := e.pipeline(t, e.editor, e.src, e.dst, "paused", "paused")
	_, err := e.s.Retry(ctx, e.editor, runOf(paused, "failed"))
	testutil.RequireKind(t, err, apperr.Conflict)
	deleted := e.pipeline(t, e.editor, e.src, e.dst, "deleted", "active")
	e.exec(t, `UPDATE pipelines SET deleted_at = now() WHERE id = $1`, deleted)
	_, err = e.s.Retry(ctx, e.editor, runOf(deleted, "failed"))
	testutil.RequireKind(t, err, apperr.Conflict)
	job := e.id(t, `INSERT INTO runs (org_id, target_type, target_id, status, trigger) VALUES ($1, 'job', 1, 'failed', 'manual') RETURNING id`, e.orgID)
	_, err = e.s.Retry(ctx, e.editor, job)
	testutil.RequireKind(t, err, apperr.Conflict)
	for _, id := range []int64{e.another.run, 999999} {
		_, err := e.s.Retry(ctx, e.editor, id)
		testutil.RequireKind(t, err, apperr.NotFound)
	}
	require.Zero(t, e.count(t, `SELECT count(*) FROM runs WHERE org_id = $1 AND trigger = 'retry'`, e.orgID))

	_, err = e.s.Retry(ctx, e.editor, runOf(e.orders, "cancelled"))
	require.NoError(t, err, "a cancelled run is retried")
}
