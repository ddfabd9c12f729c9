// Package run owns runs (SPEC §8), writing side: triggering a pipeline (the run row and its River
// job in one transaction), the worker that works it (per-org concurrency limit, timeout,
// cancellation, retries only for infrastructure faults), its structured log lines in run_logs,
// its incremental state in pipeline_state, its stats, and the catalog entries of the tables it
// loaded; cancelling and retrying runs. The reading side (lists with filters and paging, one run,
// its log lines, the dashboard) is internal/history; server/runs.go and server/run_logs.go are its HTTP face.
package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// Run statuses.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusSuccess   = "success"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Triggers.
const (
	TriggerManual = "manual"
	TriggerAPI    = "api"
	TriggerRetry  = "retry"
)

// TargetPipeline is the target type of a pipeline's runs.
const TargetPipeline = "pipeline"

// Service triggers, cancels and retries runs.
type Service struct {
	db    database.DB
	queue *river.Client[pgx.Tx]
}

// NewService returns the runs service; queue inserts and cancels the runs' jobs.
func NewService(db database.DB, queue *river.Client[pgx.Tx]) *Service {
	return &Service{db: db, queue: queue}
}

// errActive is the 409 of a trigger or retry while a run is active, naming it (the HTTP layer
// answers its id as the problem's active_run_id).
func errActive(id int64) error {
	e := apperr.Conflictf("The target already has an active run (%d); wait for it or cancel it.", id)
	e.ActiveRunID = id
	return e
}

// TriggerOptions are the choices of one trigger.
type TriggerOptions struct {
	FullRefresh bool
}

// TriggerPipeline creates a queued run of the pipeline (the pipeline alone: cascades are
// internal/dag's) and enqueues its job in the same transaction. A pipeline with an active run
// answers a Conflict naming it.
func (s *Service) TriggerPipeline(ctx context.Context, p auth.Principal, pipelineID int64, opts TriggerOptions) (dbgen.Run, error) {
	var out dbgen.Run
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		var err error
		out, err = s.EnqueueNode(ctx, q, tx, p, TargetPipeline, pipelineID, NodeOptions{Trigger: triggerOf(p), FullRefresh: opts.FullRefresh})
		return err
	})
	return out, err
}

func userOf(p auth.Principal) *int64 {
	if p.UserID == 0 {
		return nil
	}
	return &p.UserID
}

// enqueue inserts the run and its job. The pre-check gives the common case a clear answer; the
// unique index runs_one_active settles a race between two triggers.
func (s *Service) enqueue(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, params dbgen.CreateRunParams) (dbgen.Run, error) {
	return s.enqueueWith(ctx, q, tx, p, params, nil)
}

// enqueueWith is enqueue; spec, when set, is what a transformation or job run does.
func (s *Service) enqueueWith(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, params dbgen.CreateRunParams, spec *TransformSpec) (dbgen.Run, error) {
	if id, err := q.ActiveRunOf(ctx, dbgen.ActiveRunOfParams{OrgID: p.OrgID, TargetType: params.TargetType, TargetID: params.TargetID}); err == nil {
		return dbgen.Run{}, errActive(id)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return dbgen.Run{}, err
	}
	if s.queue == nil {
		return dbgen.Run{}, apperr.New(apperr.Unavailable, "Runs cannot be queued: this server has no job queue.")
	}
	params.Stats = statsJSON(Stats{Phase: PhaseQueued})
	// A savepoint, so that a lost race leaves the transaction usable to look the winner up.
	sp, err := tx.Begin(ctx)
	if err != nil {
		return dbgen.Run{}, err
	}
	var r dbgen.Run
	if spec == nil {
		r, err = dbgen.New(sp).CreateRun(ctx, params)
	} else {
		r, err = dbgen.New(sp).CreateTransformRun(ctx, dbgen.CreateTransformRunParams{
			OrgID: params.OrgID, TargetType: params.TargetType, TargetID: params.TargetID, Trigger: params.Trigger,
			Attempt: params.Attempt, RetryOf: params.RetryOf, FullRefresh: params.FullRefresh, CreatedBy: params.CreatedBy,
			Stats: params.Stats, Command: &spec.Command, Selector: &spec.Select, Exclude: &spec.Exclude, Threads: &spec.Threads,
		})
	}
	if isActiveViolation(err) {
		_ = sp.Rollback(ctx)
		if id, lerr := q.ActiveRunOf(ctx, dbgen.ActiveRunOfParams{OrgID: p.OrgID, TargetType: params.TargetType, TargetID: params.TargetID}); lerr == nil {
			return dbgen.Run{}, errActive(id)
		}
		return dbgen.Run{}, apperr.Conflictf("The %s already has an active run.", params.TargetType).WithCause(err)
	}
	if err != nil {
		return dbgen.Run{}, err
	}
	if err := sp.Commit(ctx); err != nil {
		return dbgen.Run{}, err
	}
	var args river.JobArgs = PipelineRunArgs{OrgID: p.OrgID, RunID: r.ID}
	if spec != nil {
		args = TransformRunArgs{OrgID: p.OrgID, RunID: r.ID}
	}
	job, err := s.queue.InsertTx(ctx, tx, args, nil)
	if err != nil {
		return dbgen.Run{}, fmt.Errorf("enqueue run %d: %w", r.ID, err)
	}
	return q.SetRunJob(ctx, dbgen.SetRunJobParams{OrgID: p.OrgID, ID: r.ID, JobID: &job.Job.ID})
}

func isActiveViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "runs_one_active"
}

// Cancel cancels a run. A queued run ends cancelled at once (its job cancelled with it); a
// running one gets River's cancel, which cancels the worker's context wherever it works, and the
// worker ends the run cancelled with the destination as it was. An ended run is a Conflict.
//
// The commits of a cancel, in order, and what a crash between them leaves:
//  1. This transaction (the run's row lock held): a queued run and its job end cancelled together;
//     for a running run River's JobCancelTx records cancel_attempted_at in the job's metadata and
//     notifies the worker on commit. Nothing is half done if it does not commit.
//  2. The worker's context is cancelled; the load rolls back what it had not published. Its
//     ending work runs on a fresh bounded context (worker.go cleanupContext).
//  3. The worker commits the run's ending in the runs table: cancelled (or success when its last
//     publish won the race) — or, had it been handing the run back to the queue, it reads the job
//     under the run's lock (handBack) and ends the run cancelled instead, since River ends a job
//     with cancel_attempted_at cancelled rather than try it again.
//  4. River's completer commits the job's state (cancelled; completed after a success).
//
// A crash between 1 and 3 leaves the run running and its job running with cancel_attempted_at:
// the run goes untouched and the reaper ends it failed after RUN_HEARTBEAT_TIMEOUT; River's
// rescuer later finds the job stuck and cancels it. A crash between 3 and 4 leaves an ended run
// and a running job: should River work the job again, it finds the run ended and does nothing.
// A run left queued with no live job (a hand-back whose job River then cancelled or discarded)
// is ended by the reaper (reaper.go).
func (s *Service) Cancel(ctx context.Context, p auth.Principal, runID int64) (dbgen.Run, error) {
	var out dbgen.Run
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		var err error
		out, err = s.CancelTx(ctx, q, tx, p, runID)
		return err
	})
	return out, err
}

// CancelTx is Cancel inside the caller's transaction (a DAG run's cancel).
func (s *Service) CancelTx(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, runID int64) (dbgen.Run, error) {
	r, err := lockRun(ctx, q, p, runID)
	if err != nil {
		return r, err
	}
	who := p.Name
	switch r.Status {
	case StatusQueued:
		if r.JobID != nil && s.queue != nil {
			if err := s.cancelJob(ctx, tx, r); err != nil {
				return r, err
			}
		}
		stats := decodeStats(r.Stats)
		stats.Phase = PhaseDone
		out, err := q.FinishRun(ctx, dbgen.FinishRunParams{OrgID: p.OrgID, ID: r.ID, Status: StatusCancelled,
			RowsLoaded: r.RowsLoaded, Stats: statsJSON(stats)})
		if err != nil {
			return out, err
		}
		// No worker holds a queued run, so this line cannot collide with a worker's.
		return out, appendLine(ctx, q, r, "info", "run cancelled before it started", map[string]any{"by": who})
	case StatusRunning:
		if r.JobID == nil || s.queue == nil {
			return r, apperr.New(apperr.Unavailable, "This run cannot be cancelled: this server has no job queue.")
		}
		return r, s.cancelJob(ctx, tx, r)
	default:
		return r, apperr.Conflictf("Run %d has already ended (%s).", r.ID, r.Status)
	}
}

// lockRun locks the run of the principal's org for the transaction; another org's is Not Found.
func lockRun(ctx context.Context, q *dbgen.Queries, p auth.Principal, runID int64) (dbgen.Run, error) {
	r, err := q.LockRun(ctx, dbgen.LockRunParams{OrgID: p.OrgID, ID: runID})
	if errors.Is(err, pgx.ErrNoRows) {
		return r, apperr.NotFoundf("No run %d.", runID)
	}
	return r, err
}

// cancelJob cancels the run's River job in tx: a queued job never starts, a running one has
// its worker's context cancelled. A job River has already cleaned away is no error.
func (s *Service) cancelJob(ctx context.Context, tx pgx.Tx, r dbgen.Run) error {
	if _, err := s.queue.JobCancelTx(ctx, tx, *r.JobID); err != nil && !errors.Is(err, river.ErrNotFound) {
		return fmt.Errorf("cancel the job of run %d: %w", r.ID, err)
	}
	return nil
}

// Retry runs an ended failed or cancelled run's target again: a new run with attempt + 1,
// trigger retry, retry_of the old run, and the same full_refresh.
func (s *Service) Retry(ctx context.Context, p auth.Principal, runID int64) (dbgen.Run, error) {
	var out dbgen.Run
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		r, err := lockRun(ctx, q, p, runID)
		if err != nil {
			return err
		}
		switch r.Status {
		case StatusQueued, StatusRunning:
			return errActive(r.ID)
		case StatusFailed, StatusCancelled:
		default:
			return apperr.Conflictf("Run %d ended %s; only failed or cancelled runs are retried.", r.ID, r.Status)
		}
		if r.TargetType != TargetPipeline {
			out, err = s.retryTransform(ctx, q, tx, p, r)
			return err
		}
		pl, err := q.PipelineForRun(ctx, dbgen.PipelineForRunParams{OrgID: p.OrgID, ID: r.TargetID})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.Conflictf("The pipeline of run %d was deleted.", r.ID)
		}
		if err != nil {
			return err
		}
		if pl.Status == "paused" {
			return apperr.Conflictf("Pipeline %q is paused; set it active to run it.", pl.Name)
		}
		out, err = s.enqueue(ctx, q, tx, p, dbgen.CreateRunParams{
			OrgID: p.OrgID, TargetType: r.TargetType, TargetID: r.TargetID, Trigger: TriggerRetry,
			Attempt: r.Attempt + 1, RetryOf: &r.ID, FullRefresh: r.FullRefresh, CreatedBy: userOf(p),
		})
		return err
	})
	return out, err
}

// appendLine adds one log line to a run no worker is writing to.
func appendLine(ctx context.Context, q *dbgen.Queries, r dbgen.Run, level, msg string, fields map[string]any) error {
	last, err := q.LastRunLogSeq(ctx, dbgen.LastRunLogSeqParams{OrgID: r.OrgID, RunID: r.ID})
	if err != nil {
		return err
	}
	f, _ := json.Marshal(fields)
	return q.InsertRunLogs(ctx, dbgen.InsertRunLogsParams{
		RunID: r.ID, OrgID: r.OrgID, Seqs: []int64{last + 1},
		Ats:    []pgtype.Timestamptz{{Time: time.Now(), Valid: true}},
		Levels: []string{level}, Messages: []string{msg}, Fields: [][]byte{f},
	})
}
