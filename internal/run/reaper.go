package run

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/database"
)

// A worker killed mid-run (kill -9, a lost machine) leaves its run `running`, and River gives
// its job back only once the job's timeout (RUN_TIMEOUT + 1 min, 6 h by default) has passed —
// it cannot tell a dead worker from a slow one sooner. So a working run is touched regularly,
// and a periodic job ends as failed every run untouched for the heartbeat timeout
// (RUN_HEARTBEAT_TIMEOUT, StaleAfter by default). The worker of a run found no longer running
// (reaped while it was merely cut off from the database) stops its load, which leaves the
// destination as it was.
const (
	StaleAfter      = 2 * time.Minute
	maxHeartbeat    = 10 * time.Second
	maxReapInterval = 30 * time.Second
)

// HeartbeatFor is how often a worker touches its run for a heartbeat timeout: four beats fit in
// it, at most every 10 s.
func HeartbeatFor(stale time.Duration) time.Duration { return min(maxHeartbeat, stale/4) }

// ReapIntervalFor is how often the reaper looks for a heartbeat timeout: twice in it, at most
// every 30 s.
func ReapIntervalFor(stale time.Duration) time.Duration { return min(maxReapInterval, stale/2) }

// errWorkerSilent is the reason of a reaped run.
const errWorkerSilent = "the worker running it stopped answering (no heartbeat); it was killed or lost its database"

// Reasons of a run found queued without a live job (handed back to the queue, then its job was
// cancelled or discarded, or River's cleaner removed it): nothing would ever start it.
const (
	errJobCancelled = "cancelled: its job was cancelled while the run waited in the queue"
	errJobGone      = "its job left the queue without running it"
)

// ReaperArgs is the periodic job that ends the runs stopped workers left running.
type ReaperArgs struct{}

// Kind implements river.JobArgs.
func (ReaperArgs) Kind() string { return "run_reaper" }

// InsertOpts makes one attempt: a missed tick is the next tick's work.
func (ReaperArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// ReaperWorker works ReaperArgs on the app role's pool; the reaping itself goes through a
// SECURITY DEFINER function, which alone crosses orgs.
type ReaperWorker struct {
	river.WorkerDefaults[ReaperArgs]
	Pool   *pgxpool.Pool
	Stale  time.Duration // 0: StaleAfter
	Logger *slog.Logger
	// Settle, when set, asks a reaped run's destination what it published and records the run
	// a success when it did (PipelineRunWorker.SettleReaped): a worker cut off from the
	// metadata database after its destination committed was not dead.
	Settle func(ctx context.Context, orgID, runID int64) error
}

// Work ends the stale runs, and the runs left queued without a live job (see
// dnk_end_orphaned_runs, migration 000012), each with a last log line saying why.
func (w *ReaperWorker) Work(ctx context.Context, _ *river.Job[ReaperArgs]) error {
	stale := w.Stale
	if stale <= 0 {
		stale = StaleAfter
	}
	q := dbgen.New(w.Pool)
	reaped, err := q.ReapStaleRuns(ctx, dbgen.ReapStaleRunsParams{Reason: errWorkerSilent, StaleSeconds: stale.Seconds()})
	if err != nil {
		return fmt.Errorf("reap stale runs: %w", err)
	}
	for _, r := range reaped {
		if w.Logger != nil {
			w.Logger.Warn("run left running by a silent worker ended failed", "run_id", r.ID, "org_id", r.OrgID)
		}
		w.lastLine(ctx, r, "error", "run failed: "+errWorkerSilent)
	}
	orphans, err := q.EndOrphanedRuns(ctx, dbgen.EndOrphanedRunsParams{CancelledReason: errJobCancelled, FailedReason: errJobGone})
	if err != nil {
		return fmt.Errorf("end runs queued without a job: %w", err)
	}
	for _, r := range orphans {
		if w.Logger != nil {
			w.Logger.Warn("run left queued without a job ended", "run_id", r.ID, "org_id", r.OrgID, "status", r.Status)
		}
		if r.Status == StatusCancelled {
			w.lastLine(ctx, r, "warn", "run "+errJobCancelled)
		} else {
			w.lastLine(ctx, r, "error", "run failed: "+errJobGone)
		}
	}
	for _, r := range reaped {
		if w.Settle == nil {
			break
		}
		if err := w.Settle(ctx, r.OrgID, r.ID); err != nil && w.Logger != nil {
			w.Logger.Warn("reaped run not settled from its destination", "run_id", r.ID, "org_id", r.OrgID, "error", err)
		}
	}
	return nil
}

// lastLine adds the line that says why the reaper ended a run, best effort: the run has ended
// either way.
func (w *ReaperWorker) lastLine(ctx context.Context, r dbgen.Run, level, msg string) {
	_ = database.InTx(ctx, w.Pool, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
		return appendLine(ctx, dbgen.New(tx), r, level, msg, map[string]any{})
	})
}

// PeriodicJobs are the run package's periodic jobs, for the worker role's River client, for a
// heartbeat timeout of stale (0: StaleAfter).
func PeriodicJobs(stale time.Duration) []*river.PeriodicJob {
	if stale <= 0 {
		stale = StaleAfter
	}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(ReapIntervalFor(stale)),
			func() (river.JobArgs, *river.InsertOpts) { return ReaperArgs{}, nil },
			&river.PeriodicJobOpts{ID: "run_reaper", RunOnStart: true}),
	}
}
