package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/datanika/datanika/db/dbgen"
)

// HeartbeatInterval is how often the worker leader records that workers are alive.
const HeartbeatInterval = 30 * time.Second

// HeartbeatArgs is the periodic job that records worker liveness in the installation row, so any
// process (an API process included) can tell whether a worker is working the queue.
type HeartbeatArgs struct{}

// Kind implements river.JobArgs.
func (HeartbeatArgs) Kind() string { return "worker_heartbeat" }

// InsertOpts keeps at most one heartbeat per interval in the queue.
func (HeartbeatArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: HeartbeatInterval}}
}

// HeartbeatWorker works HeartbeatArgs.
type HeartbeatWorker struct {
	river.WorkerDefaults[HeartbeatArgs]
	Pool *pgxpool.Pool
}

// Work touches the heartbeat.
func (w *HeartbeatWorker) Work(ctx context.Context, _ *river.Job[HeartbeatArgs]) error {
	if err := dbgen.New(w.Pool).TouchWorkerHeartbeat(ctx); err != nil {
		return fmt.Errorf("touch worker heartbeat: %w", err)
	}
	return nil
}

func periodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(HeartbeatInterval),
			func() (river.JobArgs, *river.InsertOpts) { return HeartbeatArgs{}, nil },
			&river.PeriodicJobOpts{ID: "worker_heartbeat", RunOnStart: true}),
	}
}
