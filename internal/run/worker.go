package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/connection"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/load"
)

// MaxAttempts bounds River's attempts of one run's job. Only infrastructure faults are retried
// (infrastructure), so a few attempts ride out a restart of a database without looping.
const MaxAttempts = 3

// PipelineRunArgs is the job of one pipeline run, inserted with the run's row.
type PipelineRunArgs struct {
	OrgID int64 `json:"org_id"`
	RunID int64 `json:"run_id"`
}

// Kind implements river.JobArgs.
func (PipelineRunArgs) Kind() string { return "pipeline_run" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PipelineRunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts}
}

// WorkerConfig is what the worker needs.
type WorkerConfig struct {
	// Pool connects as the app role; every query runs scoped to the run's org.
	Pool *pgxpool.Pool
	// Connections opens the run's connections (configs decrypted) through the run's org.
	Connections *connection.Service
	// Env is what connectors of the org's run get: the egress Dialer (for the org's managed
	// connection, the one that may reach the managed warehouse), the org's files.
	Env func(orgID int64, managed bool) connectors.Env
	// MaxConcurrentPerOrg bounds the org's running runs (ORG_MAX_CONCURRENT_RUNS).
	MaxConcurrentPerOrg int
	// Timeout ends a run that takes longer as failed (RUN_TIMEOUT).
	Timeout time.Duration
	// LimitWait is how long a run waits before trying again when its org is at the limit.
	LimitWait time.Duration
	// DependencyWait is how long a scheduled run waits for its upstreams' check_timeframe
	// (DEPENDENCY_WAIT); DependencyRecheck how often it looks again (a minute).
	DependencyWait, DependencyRecheck time.Duration
	// StatsInterval is how often progress is written to runs.stats.
	StatsInterval time.Duration
	// Heartbeat is how often a working run is touched (0: HeartbeatFor(StaleAfter); reaper.go).
	Heartbeat time.Duration
	Logger    *slog.Logger
	// Pause, when set, is called with the job's context at named points of a run's work:
	// "started" (the run is running, nothing read yet), "prepared" (its pipeline and connections
	// read, before its log opens), "cursor write" (a table published, before the copy of its
	// incremental state is written to the metadata database) and "log: <message>" as each of
	// its lines is logged. Tests
	// place a cancellation exactly there; nil in the program.
	Pause func(ctx context.Context, runID int64, point string)
	// WithoutDestinationRecord switches the destination's record off (load.Spec's field of the
	// name): only the fault-injection suite sets it, to show what its checks find without it.
	WithoutDestinationRecord bool
}

// PipelineRunWorker works PipelineRunArgs.
type PipelineRunWorker struct {
	river.WorkerDefaults[PipelineRunArgs]
	cfg WorkerConfig
}

// NewPipelineRunWorker returns the worker, with defaults filled in.
func NewPipelineRunWorker(cfg WorkerConfig) *PipelineRunWorker {
	if cfg.MaxConcurrentPerOrg <= 0 {
		cfg.MaxConcurrentPerOrg = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 6 * time.Hour
	}
	if cfg.LimitWait <= 0 {
		cfg.LimitWait = 2 * time.Second
	}
	if cfg.DependencyWait <= 0 {
		cfg.DependencyWait = 30 * time.Minute
	}
	if cfg.DependencyRecheck <= 0 {
		cfg.DependencyRecheck = time.Minute
	}
	if cfg.StatsInterval <= 0 {
		cfg.StatsInterval = time.Second
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = HeartbeatFor(StaleAfter)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Env == nil {
		cfg.Env = func(int64, bool) connectors.Env { return connectors.Env{} }
	}
	return &PipelineRunWorker{cfg: cfg}
}

// Register adds the run job kinds to a River worker registry.
func Register(workers *river.Workers, w *PipelineRunWorker) { river.AddWorker(workers, w) }

// Timeout is River's limit of the job: a little beyond RUN_TIMEOUT, so the run's own deadline
// fires first and ends it failed with a clear reason. River's rescuer also waits this long before
// it considers the job's worker lost, so a long run is never started a second time beside itself.
func (w *PipelineRunWorker) Timeout(*river.Job[PipelineRunArgs]) time.Duration {
	return w.cfg.Timeout + time.Minute
}

// errTimedOut is the cause of a run's context ending at RUN_TIMEOUT.
var errTimedOut = errors.New("run timed out")

// errWorkerLost is the reason of a run found running when its job starts again: the worker that
// was running it stopped without ending it (killed, or lost its database connection for good).
const errWorkerLost = "the worker running it stopped before it finished"

type startOutcome int

const (
	started startOutcome = iota
	atLimit
	waitingUpstream // a scheduled run whose upstreams have no recent enough success yet
	ended           // nothing to do: the run ended already (cancelled while queued)
	workerLost      // the run was left running by a dead attempt
	reaped          // the reaper ended the run failed; its destination may say otherwise
)

// start moves a queued run to running, unless the org is at its limit. The per-org advisory
// lock makes counting and starting one step across workers, and the run's row lock (with the
// status check) means no run ever starts twice.
func (w *PipelineRunWorker) start(ctx context.Context, a PipelineRunArgs) (dbgen.Run, startOutcome, error) {
	var r dbgen.Run
	outcome := started
	err := database.InTx(ctx, w.cfg.Pool, database.Scope{OrgID: a.OrgID}, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		if err := q.LockOrgRuns(ctx, a.OrgID); err != nil {
			return err
		}
		var err error
		r, err = q.LockRun(ctx, dbgen.LockRunParams{OrgID: a.OrgID, ID: a.RunID})
		if err != nil {
			return err
		}
		switch r.Status {
		case StatusQueued:
			if r.Trigger == TriggerSchedule {
				wait, err := w.upstreamsReady(ctx, q, &r)
				if err != nil || wait != started {
					outcome = wait
					return err
				}
			}
		case StatusRunning:
			outcome = workerLost // settled from its destination, or failed, by the caller
			return nil
		case StatusFailed:
			if r.Error != nil && *r.Error == errWorkerSilent {
				outcome = reaped // the reaper ended it while its worker was cut off: settle it
				return nil
			}
			outcome = ended
			return nil
		default:
			outcome = ended
			return nil
		}
		running, err := q.CountRunningRuns(ctx, a.OrgID)
		if err != nil {
			return err
		}
		if running >= int64(w.cfg.MaxConcurrentPerOrg) {
			outcome = atLimit
			return nil
		}
		r, err = q.StartRun(ctx, dbgen.StartRunParams{OrgID: a.OrgID, ID: r.ID, Stats: statsJSON(Stats{Phase: PhaseConnecting})})
		return err
	})
	return r, outcome, err
}

// Work runs one pipeline run.
func (w *PipelineRunWorker) Work(ctx context.Context, job *river.Job[PipelineRunArgs]) error {
	a := job.Args
	r, outcome, err := w.start(ctx, a)
	if errors.Is(err, pgx.ErrNoRows) {
		return river.JobCancel(fmt.Errorf("run %d of org %d does not exist", a.RunID, a.OrgID))
	}
	if err != nil {
		return fmt.Errorf("start run %d: %w", a.RunID, err)
	}
	switch outcome {
	case atLimit:
		return river.JobSnooze(w.cfg.LimitWait)
	case waitingUpstream:
		return river.JobSnooze(w.cfg.DependencyRecheck)
	case ended:
		return nil
	case reaped:
		if settled, err := w.settle(ctx, job, r, false); settled {
			return err
		}
		return nil
	case workerLost:
		if settled, err := w.settle(ctx, job, r, true); settled {
			return err
		}
		if err := w.failLost(ctx, r); err != nil {
			return fmt.Errorf("end run %d: %w", r.ID, err)
		}
		w.cfg.Logger.Warn("run left running by a stopped worker ended failed", "run_id", r.ID, "org_id", r.OrgID, "attempt", job.Attempt)
		if sink, err := w.openLog(ctx, r, nil); err == nil {
			slog.New(&logHandler{sink: sink}).Error("run failed: "+errWorkerLost, "job_attempt", job.Attempt)
			sink.Close()
		}
		return river.JobCancel(errors.New(errWorkerLost))
	}
	return w.execute(ctx, job, r)
}

// runEnd is how a run ended.
type runEnd struct {
	status string
	reason string
	result load.Result
	// reaped: the run was ended failed by the reaper while this worker still worked it.
	reaped bool
}

// errRunReaped stops the load of a run that is no longer running.
var errRunReaped = errors.New("the run was ended while this worker still worked it")

// heartbeat touches the run every Heartbeat until ctx ends; when the run is found no longer
// running, it stops the load through stop.
func (w *PipelineRunWorker) heartbeat(ctx context.Context, r dbgen.Run, stop context.CancelCauseFunc, log *slog.Logger) {
	t := time.NewTicker(w.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var n int64
		err := database.InTx(ctx, w.cfg.Pool, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
			var err error
			n, err = dbgen.New(tx).TouchRun(ctx, dbgen.TouchRunParams{OrgID: r.OrgID, ID: r.ID})
			return err
		})
		switch {
		case err != nil:
			if ctx.Err() == nil {
				log.Warn("run heartbeat not written", "error", err)
			}
		case n == 0:
			stop(errRunReaped)
			return
		}
	}
}

func (w *PipelineRunWorker) execute(ctx context.Context, job *river.Job[PipelineRunArgs], r dbgen.Run) error {
	p := auth.Principal{OrgID: r.OrgID}
	log := w.cfg.Logger.With("run_id", r.ID, "org_id", r.OrgID)
	w.pause(ctx, r.ID, "started")

	// What the run needs, read through its org. Nothing here may carry a secret into a line.
	pl, src, dst, rootID, prepErr := w.prepare(ctx, p, r)
	w.pause(ctx, r.ID, "prepared")
	var scrub *scrubber
	if prepErr == nil {
		reg := w.cfg.Connections.Registry()
		scrub = newScrubber(append(reg.Secrets(src.Type, src.Config), reg.Secrets(dst.Type, dst.Config)...)...)
	}
	sink, err := w.openLog(ctx, r, scrub)
	if err != nil {
		return w.retryOrFail(ctx, job, r, err, log)
	}
	runLog := slog.New(&logHandler{sink: sink, pause: func(msg string) { w.pause(ctx, r.ID, "log: "+msg) }})
	runLog.Info("run started", "run_id", r.ID, "pipeline_id", r.TargetID, "attempt", r.Attempt, "job_attempt", job.Attempt,
		"trigger", r.Trigger, "full_refresh", r.FullRefresh)
	if prepErr != nil {
		return w.finish(ctx, job, r, sink, runLog, runEnd{}, prepErr, scrub, log)
	}
	cfg, err := load.ParseConfig(pl.Config)
	if err != nil {
		return w.finish(ctx, job, r, sink, runLog, runEnd{}, fmt.Errorf("the pipeline's config is invalid: %w", err), scrub, log)
	}
	runLog.Info("connecting", "source_connection_id", src.ID, "source", src.Name, "source_type", src.Type,
		"destination_connection_id", dst.ID, "destination", dst.Name, "destination_type", dst.Type,
		"destination_schema", pl.DestinationSchema)

	spec := load.Spec{
		Pipeline: fmt.Sprintf("pipeline-%d", pl.ID),
		// Retries publish under the tag of the chain's first run, so a table the failed run
		// already appended is not appended again.
		RunID:             fmt.Sprintf("run-%d", rootID),
		Attempt:           attemptTag(r.ID),
		Source:            load.Endpoint{Type: src.Type, Config: src.Config, Env: w.cfg.Env(r.OrgID, src.Managed)},
		Destination:       load.Endpoint{Type: dst.Type, Config: dst.Config, Env: w.cfg.Env(r.OrgID, dst.Managed)},
		DestinationSchema: pl.DestinationSchema,
		Config:            cfg,
		FullRefresh:       r.FullRefresh,
		Logger:            runLog,

		WithoutDestinationRecord: w.cfg.WithoutDestinationRecord,
	}
	tracker := newProgressTracker(func(pr load.Progress, first bool, seconds float64) {
		if first {
			runLog.Info("table started", "table", pr.Table)
		}
		if pr.Done {
			runLog.Info("table verified and published", "table", pr.Table, "rows_read", pr.RowsRead,
				"verify", string(cfg.Verify), "seconds", seconds)
		}
	})
	statsCtx, stopStats := context.WithCancel(context.WithoutCancel(ctx))
	statsDone := make(chan struct{})
	go func() {
		defer close(statsDone)
		tracker.flushEvery(statsCtx, w.cfg.StatsInterval, func(s Stats) {
			wctx, cancel := context.WithTimeout(statsCtx, 10*time.Second)
			defer cancel()
			if err := database.InTx(wctx, w.cfg.Pool, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
				return dbgen.New(tx).SetRunStats(wctx, dbgen.SetRunStatsParams{OrgID: r.OrgID, ID: r.ID, Stats: statsJSON(s)})
			}); err != nil && statsCtx.Err() == nil {
				log.Debug("run stats not written", "error", err)
			}
		})
	}()

	lctx, cancel := context.WithTimeoutCause(ctx, w.cfg.Timeout, errTimedOut)
	hctx, stop := context.WithCancelCause(lctx)
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		w.heartbeat(hctx, r, stop, log)
	}()
	state := &stateStore{pool: w.cfg.Pool, orgID: r.OrgID, pipelineID: pl.ID, pause: func() { w.pause(ctx, r.ID, "cursor write") }}
	res, loadErr := load.Run(hctx, spec, state, tracker.progress)
	timedOut := errors.Is(context.Cause(lctx), errTimedOut)
	reaped := errors.Is(context.Cause(hctx), errRunReaped)
	stop(nil)
	<-beating
	cancel()
	stopStats()
	<-statsDone

	end := runEnd{result: res, reaped: reaped}
	switch {
	case reaped:
	case loadErr == nil:
		end.status = StatusSuccess
		w.addToCatalog(ctx, p, dst, pl.DestinationSchema, res.Tables, w.cfg.Env(r.OrgID, dst.Managed), runLog)
	case timedOut:
		end.status, end.reason = StatusFailed, fmt.Sprintf("timed out after %s (RUN_TIMEOUT)", w.cfg.Timeout)
	}
	return w.finish(ctx, job, r, sink, runLog, end, loadErr, scrub, log)
}

// cleanupTimeout bounds the work done after a run stopped (its last lines, its ending, its
// hand-back), which runs on a context of its own: the job's may have been cancelled.
const cleanupTimeout = 30 * time.Second

// cleanupContext is a fresh bounded context for the work after a run stopped: it keeps ctx's
// values but not its cancellation (a user's cancel, SHUTDOWN_TIMEOUT).
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// openLog opens the run's log sink. It reads only where the run's lines stand, on a context of
// its own: a run cancelled before its log opened must still log why it ended.
func (w *PipelineRunWorker) openLog(ctx context.Context, r dbgen.Run, scrub *scrubber) (*logSink, error) {
	lctx, cancel := cleanupContext(ctx)
	defer cancel()
	return newLogSink(lctx, w.cfg.Pool, r.OrgID, r.ID, scrub, w.cfg.Logger)
}

func (w *PipelineRunWorker) pause(ctx context.Context, runID int64, point string) {
	if w.cfg.Pause != nil {
		w.cfg.Pause(ctx, runID, point)
	}
}

// prepare reads the pipeline, its connections and the run's chain root.
func (w *PipelineRunWorker) prepare(ctx context.Context, p auth.Principal, r dbgen.Run) (
	pl dbgen.Pipeline, src, dst connection.Connection, rootID int64, err error) {
	err = database.InTx(ctx, w.cfg.Pool, database.Scope{OrgID: p.OrgID}, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		var err error
		if pl, err = q.PipelineForRun(ctx, dbgen.PipelineForRunParams{OrgID: p.OrgID, ID: r.TargetID}); errors.Is(err, pgx.ErrNoRows) {
			return apperr.Newf(apperr.NotFound, "pipeline %d was deleted", r.TargetID)
		} else if err != nil {
			return err
		}
		rootID, err = q.RunChainRoot(ctx, dbgen.RunChainRootParams{OrgID: p.OrgID, ID: r.ID})
		return err
	})
	if err != nil {
		return
	}
	if src, err = w.cfg.Connections.Get(ctx, p, pl.SourceConnectionID); err != nil {
		err = fmt.Errorf("source connection %d: %w", pl.SourceConnectionID, err)
		return
	}
	if dst, err = w.cfg.Connections.Get(ctx, p, pl.DestinationConnectionID); err != nil {
		err = fmt.Errorf("destination connection %d: %w", pl.DestinationConnectionID, err)
	}
	return
}

// finish ends the run (or hands it back to River) and says what River should do with the job.
// The last line is written before the status changes, so whoever sees the run ended has seen
// every line of it.
func (w *PipelineRunWorker) finish(ctx context.Context, job *river.Job[PipelineRunArgs], r dbgen.Run, sink *logSink,
	runLog *slog.Logger, end runEnd, loadErr error, scrub *scrubber, log *slog.Logger) error {
	var jobResult error
	if end.reaped {
		// The reaper ended the run failed (this worker was cut off from the database for too
		// long); the load was stopped, leaving the table being loaded as it was.
		runLog.Error("stopped: the run had been ended failed while this worker was cut off", "tables_published", published(end.result, true))
		sink.Close()
		return river.JobCancel(errRunReaped)
	}
	if end.status == "" && errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely) {
		end.status, end.reason = StatusCancelled, "cancelled by a user"
	}
	switch {
	case end.status == StatusSuccess:
		runLog.Info("run succeeded", "rows_loaded", end.result.RowsLoaded, "tables", len(end.result.Tables), "seconds", end.result.Seconds)
	case end.status == StatusCancelled:
		runLog.Warn("run cancelled; the table being loaded was left as it was", "tables_published", published(end.result, true))
		jobResult = river.JobCancel(errors.New("run cancelled"))
	case end.status == StatusFailed: // timeout
		runLog.Error("run failed: "+end.reason, "tables_published", published(end.result, true))
		jobResult = river.JobCancel(errTimedOut)
	case ctx.Err() != nil:
		// The worker is stopping (SIGTERM past SHUTDOWN_TIMEOUT): hand the run back to the queue
		// to start over on the next worker; the table being loaded was left as it was.
		runLog.Warn("worker stopping; the run goes back to the queue", "tables_published", published(end.result, true))
		sink.Close()
		if w.handBack(ctx, job, r, end.result, "the worker stopped; the run was handed back to the queue", log) {
			return river.JobCancel(errors.New("run cancelled"))
		}
		return river.JobSnooze(0)
	case infrastructure(loadErr) && job.Attempt < job.MaxAttempts:
		reason := oneLine(loadErr, scrub)
		runLog.Warn("attempt failed; the run will be tried again", "error", reason, "job_attempt", job.Attempt, "max_attempts", job.MaxAttempts)
		sink.Close()
		if w.handBack(ctx, job, r, end.result, reason, log) {
			return river.JobCancel(errors.New("run cancelled"))
		}
		return errors.New(reason)
	default:
		end.status, end.reason = StatusFailed, oneLine(loadErr, scrub)
		runLog.Error("run failed: "+end.reason, "tables_published", published(end.result, true))
		if infrastructure(loadErr) {
			jobResult = errors.New(end.reason) // the last attempt: River discards the job
		} else {
			jobResult = river.JobCancel(errors.New(end.reason)) // a user error: never retried
		}
	}
	sink.Close()

	stats := Stats{Phase: PhaseDone, Tables: end.result.Tables}
	var reason *string
	if end.reason != "" {
		reason = &end.reason
	}
	if err := w.recordEnd(ctx, r, end.status, reason, end.result.RowsLoaded, stats, log); err != nil {
		// The run stays running; its job's next attempt finds it so and settles it from what
		// the destination committed (settle).
		return fmt.Errorf("end run %d as %s: %w", r.ID, end.status, err)
	}
	log.Info("run ended", "status", end.status, "rows_loaded", end.result.RowsLoaded)
	return jobResult
}

// handBack gives the run back to the queue for River's next attempt of its job — unless the job
// was cancelled (a user's cancel reached River before this hand-back): River would then end the
// job cancelled rather than try it again, and a queued run without a job would wait for ever, so
// the run ends cancelled instead, with a last line saying so. It reports whether it did that.
//
// The job's state is read under the run's row lock, which Service.Cancel takes too, in the
// transaction that cancels the job: either the cancel committed first and is seen here, or it
// waits for this hand-back, finds the run queued and ends it and its job together.
func (w *PipelineRunWorker) handBack(ctx context.Context, job *river.Job[PipelineRunArgs], r dbgen.Run, res load.Result,
	reason string, log *slog.Logger) (cancelled bool) {
	client, cerr := river.ClientFromContextSafely[pgx.Tx](ctx)
	// A run interrupted by a metadata outage is handed back when the database answers again
	// (within the outage budget), so that River, whose completer needs the database too, records
	// the job's error and tries it again rather than giving up on it.
	err := w.acrossOutage(ctx, "the run could not be handed back to the queue", log, func(rctx context.Context) error {
		cancelled = false
		return database.InTx(rctx, w.cfg.Pool, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
			q := dbgen.New(tx)
			cur, err := q.LockRun(rctx, dbgen.LockRunParams{OrgID: r.OrgID, ID: r.ID})
			if err != nil {
				return err
			}
			if cur.Status != StatusRunning {
				return nil // ended by someone else (the reaper); nothing to hand back
			}
			cancelled = errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely)
			if !cancelled && cerr == nil {
				row, err := client.JobGetTx(rctx, tx, job.ID)
				if err != nil && !errors.Is(err, river.ErrNotFound) {
					return fmt.Errorf("read the job of run %d: %w", r.ID, err)
				}
				cancelled = row == nil || jobCancelAsked(row)
			}
			if !cancelled {
				return q.RequeueRun(rctx, dbgen.RequeueRunParams{OrgID: r.OrgID, ID: r.ID, Error: &reason})
			}
			msg := "cancelled by a user"
			if _, err := q.FinishRun(rctx, dbgen.FinishRunParams{OrgID: r.OrgID, ID: r.ID, Status: StatusCancelled, Error: &msg,
				RowsLoaded: res.RowsLoaded, Stats: statsJSON(Stats{Phase: PhaseDone, Tables: res.Tables})}); err != nil {
				return err
			}
			return appendLine(rctx, q, r, "warn", "run cancelled; the table being loaded was left as it was",
				map[string]any{"tables_published": published(res, true)})
		})
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		log.Warn("run not handed back to the queue", "error", err)
	}
	return cancelled
}

// jobCancelAsked reports whether River was asked to cancel the job (JobCancel records
// cancel_attempted_at in a running job's metadata; River then ends the job cancelled whatever
// its worker returns, except success) or has cancelled it already.
func jobCancelAsked(job *rivertype.JobRow) bool {
	if job.State == rivertype.JobStateCancelled {
		return true
	}
	var md map[string]json.RawMessage
	if err := json.Unmarshal(job.Metadata, &md); err != nil {
		return false
	}
	_, ok := md["cancel_attempted_at"]
	return ok
}

// published names the tables a run published before it stopped: all but the last one, which
// was being loaded when it stopped (the engine leaves it as it was).
func published(res load.Result, stopped bool) []string {
	tables := res.Tables
	if stopped && len(tables) > 0 {
		tables = tables[:len(tables)-1]
	}
	out := []string{}
	for _, t := range tables {
		out = append(out, t.Name)
	}
	return out
}

// retryOrFail handles a failure before the run could log (the metadata database is unwell):
// River tries again while attempts remain; the last one ends the run failed.
func (w *PipelineRunWorker) retryOrFail(ctx context.Context, job *river.Job[PipelineRunArgs], r dbgen.Run, err error, log *slog.Logger) error {
	reason := oneLine(err, nil)
	if job.Attempt < job.MaxAttempts {
		if w.handBack(ctx, job, r, load.Result{}, reason, log) {
			return river.JobCancel(errors.New("run cancelled"))
		}
		return err
	}
	fctx, cancel := cleanupContext(ctx)
	defer cancel()
	_ = database.InTx(fctx, w.cfg.Pool, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
		_, err := dbgen.New(tx).FinishRun(fctx, dbgen.FinishRunParams{OrgID: r.OrgID, ID: r.ID, Status: StatusFailed,
			Error: &reason, Stats: statsJSON(Stats{Phase: PhaseDone})})
		return err
	})
	return err
}

// RegisterKinds registers the run job kinds without the means to work them, for insert-only
// clients (the api role), which River lets insert only the kinds they know.
func RegisterKinds(workers *river.Workers) {
	river.AddWorker(workers, NewPipelineRunWorker(WorkerConfig{}))
	river.AddWorker(workers, NewTransformRunWorker(WorkerConfig{}, nil))
}

// OrgEnv is WorkerConfig.Env for the program: connectors dial through the egress policy's
// dialer (managedDialer for the org's managed connection) and read the uploaded files of the
// run's org.
func OrgEnv(dialer, managedDialer connectors.Dialer, files func(ctx context.Context, p auth.Principal, fileID int64) (string, error)) func(int64, bool) connectors.Env {
	return func(orgID int64, managed bool) connectors.Env {
		d := dialer
		if managed {
			d = managedDialer
		}
		return connectors.Env{Dialer: d, Files: func(ctx context.Context, fileID int64) (string, error) {
			return files(ctx, auth.Principal{OrgID: orgID}, fileID)
		}}
	}
}

// attemptTag names a run in its destination's ledger (load.Spec.Attempt).
func attemptTag(runID int64) string { return fmt.Sprintf("run-%d", runID) }

// recordEnd writes a run's ending, retrying across an outage of the metadata database for up
// to the heartbeat timeout (the destination has already committed what the ending describes).
// A success also settles a run the reaper ended failed while this worker was cut off.
func (w *PipelineRunWorker) recordEnd(ctx context.Context, r dbgen.Run, status string, reason *string, rows int64, stats Stats, log *slog.Logger) error {
	err := w.acrossOutage(ctx, "the run's end could not be recorded", log, func(fctx context.Context) error {
		return database.InTx(fctx, w.cfg.Pool, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
			q := dbgen.New(tx)
			if status == StatusSuccess {
				_, err := q.SettleRun(fctx, dbgen.SettleRunParams{OrgID: r.OrgID, ID: r.ID, Status: status, Error: reason,
					RowsLoaded: rows, Stats: statsJSON(stats), ReapedReason: errWorkerSilent})
				return err
			}
			_, err := q.FinishRun(fctx, dbgen.FinishRunParams{OrgID: r.OrgID, ID: r.ID, Status: status,
				Error: reason, RowsLoaded: rows, Stats: statsJSON(stats)})
			return err
		})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // ended meanwhile (cancelled, reaped): that ending stands
	}
	return err
}

// outageBudget is how long a write that must reach the metadata database (a run's ending, its
// hand-back) keeps trying across an outage: the heartbeat timeout, after which the reaper
// settles the run instead.
func (w *PipelineRunWorker) outageBudget() time.Duration {
	return max(4*w.cfg.Heartbeat, 10*time.Second)
}

// acrossOutage runs write, in a transaction of its own each time, until it succeeds, answers
// pgx.ErrNoRows (the row it changes is no longer as expected: not a fault), or the outage
// budget is spent, backing off from 100 ms to 2 s. The first failure is logged as what.
func (w *PipelineRunWorker) acrossOutage(ctx context.Context, what string, log *slog.Logger, write func(context.Context) error) error {
	deadline := time.Now().Add(w.outageBudget())
	pause := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err := write(fctx)
		cancel()
		if err == nil || errors.Is(err, pgx.ErrNoRows) || time.Now().Add(pause).After(deadline) {
			return err
		}
		if attempt == 1 {
			log.Warn(what+"; retrying while the metadata database is unreachable", "error", err)
		}
		time.Sleep(pause)
		pause = min(2*pause, 2*time.Second)
	}
}

// settle ends a run found running when its job starts again: the previous attempt was cut off
// from the metadata database (or its worker died) after or before publishing. The destination's
// ledger says which: tables published by that run make it a success with their true row counts;
// nothing published, and (rework) the run is worked again (loads are idempotent by the
// destination's state and run tags). settled false: the destination could not be asked; the
// caller fails it.
func (w *PipelineRunWorker) settle(ctx context.Context, job *river.Job[PipelineRunArgs], r dbgen.Run, rework bool) (bool, error) {
	tables, ok := w.publishedBy(ctx, r)
	if !ok {
		return false, nil
	}
	if len(tables) == 0 {
		if !rework {
			return true, nil // reaped, and rightly: nothing was published
		}
		w.cfg.Logger.Warn("run left running by an interrupted attempt published nothing; working it again",
			"run_id", r.ID, "org_id", r.OrgID, "job_attempt", job.Attempt)
		return true, w.execute(ctx, job, r)
	}
	if err := w.recordSettled(ctx, r, tables); err != nil {
		return true, err
	}
	return true, nil
}

// SettleReaped looks again at a run the reaper ended failed: when its destination's ledger
// shows tables it published (its worker was cut off from the metadata database, not dead), the
// run is recorded a success with their row counts. It is the reaper's Settle.
func (w *PipelineRunWorker) SettleReaped(ctx context.Context, orgID, runID int64) error {
	var r dbgen.Run
	err := database.InTx(ctx, w.cfg.Pool, database.Scope{OrgID: orgID}, func(tx pgx.Tx) error {
		var err error
		r, err = dbgen.New(tx).LockRun(ctx, dbgen.LockRunParams{OrgID: orgID, ID: runID})
		return err
	})
	if err != nil {
		return err
	}
	if r.Status != StatusFailed || r.Error == nil || *r.Error != errWorkerSilent {
		return nil
	}
	tables, ok := w.publishedBy(ctx, r)
	if !ok || len(tables) == 0 {
		return nil
	}
	return w.recordSettled(ctx, r, tables)
}

// publishedBy asks the run's destination what the run published (its ledger); ok false when it
// cannot be asked.
func (w *PipelineRunWorker) publishedBy(ctx context.Context, r dbgen.Run) (map[string]int64, bool) {
	if w.cfg.Connections == nil || r.TargetType != TargetPipeline {
		return nil, false // a transform run keeps no ledger in its destination
	}
	pl, _, dst, _, err := w.prepare(ctx, auth.Principal{OrgID: r.OrgID}, r)
	if err != nil {
		return nil, false
	}
	actx, cancel := context.WithTimeout(ctx, connectors.TestTimeout)
	defer cancel()
	tables, err := load.PublishedTables(actx, load.Endpoint{Type: dst.Type, Config: dst.Config, Env: w.cfg.Env(r.OrgID, dst.Managed)},
		pl.DestinationSchema, attemptTag(r.ID))
	if err != nil {
		// The driver's message may echo the connection's settings: scrubbed like the run's own.
		scrub := newScrubber(w.cfg.Connections.Registry().Secrets(dst.Type, dst.Config)...)
		w.cfg.Logger.Warn("the run's destination could not be asked what it published", "run_id", r.ID, "org_id", r.OrgID, "error", oneLine(err, scrub))
		return nil, false
	}
	return tables, true
}

// recordSettled records a run a success with what its destination's ledger says it published.
func (w *PipelineRunWorker) recordSettled(ctx context.Context, r dbgen.Run, tables map[string]int64) error {
	log := w.cfg.Logger.With("run_id", r.ID, "org_id", r.OrgID)
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	stats := Stats{Phase: PhaseDone}
	var rows int64
	for _, n := range names {
		stats.Tables = append(stats.Tables, load.TableStats{Name: n, RowsWritten: tables[n]})
		rows += tables[n]
	}
	// The line comes before the ending, as a run's own lines do: a reader that sees the run ended
	// (the live stream's done) has its last line already.
	if sink, err := newLogSink(ctx, w.cfg.Pool, r.OrgID, r.ID, nil, w.cfg.Logger); err == nil {
		slog.New(&logHandler{sink: sink}).Warn("run succeeded: its tables were published before the metadata database became unreachable; settled from the destination's record",
			"tables", names, "rows_loaded", rows)
		sink.Close()
	}
	if err := w.recordEnd(ctx, r, StatusSuccess, nil, rows, stats, log); err != nil {
		return fmt.Errorf("settle run %d: %w", r.ID, err)
	}
	log.Info("run settled from its destination", "status", StatusSuccess, "rows_loaded", rows)
	return nil
}

// failLost ends a run left running whose destination could not be asked what it published.
func (w *PipelineRunWorker) failLost(ctx context.Context, r dbgen.Run) error {
	return database.InTx(ctx, w.cfg.Pool, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
		stats := decodeStats(r.Stats)
		stats.Phase = PhaseDone
		reason := errWorkerLost
		_, err := dbgen.New(tx).FinishRun(ctx, dbgen.FinishRunParams{OrgID: r.OrgID, ID: r.ID, Status: StatusFailed, Error: &reason,
			RowsLoaded: r.RowsLoaded, Stats: statsJSON(stats)})
		return err
	})
}
