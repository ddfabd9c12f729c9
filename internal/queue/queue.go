// Package queue owns background work: the River client (a worker that fetches and works jobs, or
// an insert-only client for API processes), the registry of job kinds, graceful stop, and the
// queue gauges exported to Prometheus. Jobs are always inserted with InsertTx in the transaction
// that writes the row they concern, so a job is never lost nor started twice.
package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// DefaultFetchPollInterval is how often an idle worker looks for jobs when no insert
// notification woke it. River's default of 1 s set the tail of trigger-to-running: over 100
// runs of a tiny pipeline one after the other, p50 was 35 ms (notified) but p90 890 ms (missed
// notifications waiting for the poll; bench/runs). One indexed query per worker process every
// 200 ms bounds that wait.
const DefaultFetchPollInterval = 200 * time.Millisecond

// FetchCooldown is the least time between two fetches of a worker, and between two insert
// notifications of one queue from one client. River's default of 100 ms made a run triggered
// on a quiet worker wait up to that long for its pickup whenever the last poll's fetch had
// just happened (the notification is debounced behind it): a job of 100 views spent 2–94 ms,
// median about 60, between queued and started (issue 18's job benchmark). At 10 ms a worker
// fetches at most 100 times a second under a burst of inserts, each one indexed query.
const FetchCooldown = 10 * time.Millisecond

// DefaultQueue is the queue jobs go to unless their kind says otherwise.
const DefaultQueue = river.QueueDefault

// Client is the River client type used across Datanika.
type Client = river.Client[pgx.Tx]

// Options configure New.
type Options struct {
	Logger *slog.Logger
	// Work makes the client fetch and work jobs (the worker role). Without it the client only
	// inserts (the api role).
	Work bool
	// MaxWorkers bounds the jobs worked at once by this process.
	MaxWorkers int
	// Workers overrides the registry of job kinds (tests); nil means NewWorkers(pool).
	Workers *river.Workers
	// Register adds job kinds of optional features (the managed warehouse) to NewWorkers'.
	Register func(*river.Workers)
	// Periodic are more periodic jobs for a worker (their kinds added by Register).
	Periodic []*river.PeriodicJob
	// FetchPollInterval overrides how often an idle worker polls; zero is DefaultFetchPollInterval.
	FetchPollInterval time.Duration
}

// NewWorkers registers every job kind Datanika works. Domain packages add theirs here.
func NewWorkers(pool *pgxpool.Pool) *river.Workers {
	workers := river.NewWorkers()
	river.AddWorker(workers, &HeartbeatWorker{Pool: pool})
	return workers
}

// New builds a River client on pool. It is not started: call Start for a worker.
func New(pool *pgxpool.Pool, opts Options) (*Client, error) {
	cfg := &river.Config{Logger: opts.Logger, Workers: opts.Workers}
	if cfg.Workers == nil {
		cfg.Workers = NewWorkers(pool)
		if opts.Register != nil {
			opts.Register(cfg.Workers)
		}
		if opts.Work {
			cfg.PeriodicJobs = append(periodicJobs(), opts.Periodic...)
		}
	}
	if opts.Work {
		if opts.MaxWorkers <= 0 {
			opts.MaxWorkers = 10
		}
		cfg.Queues = map[string]river.QueueConfig{DefaultQueue: {MaxWorkers: opts.MaxWorkers}}
		if opts.FetchPollInterval <= 0 {
			opts.FetchPollInterval = DefaultFetchPollInterval
		}
		cfg.FetchPollInterval = opts.FetchPollInterval
	}
	// Both roles: a worker's fetches, and an inserting client's notifications (a second
	// insert of a queue within the cooldown sends none and waits for the worker's next fetch).
	cfg.FetchCooldown = min(cmp.Or(cfg.FetchPollInterval, FetchCooldown), FetchCooldown)
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return client, nil
}

// Stop stops a started worker gracefully: it stops fetching and lets running jobs finish. If ctx
// ends first, running jobs are cancelled and River hands them back to the queue to be retried.
func Stop(ctx context.Context, client *Client) error {
	err := client.Stop(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return err
	}
	hardCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if hardErr := client.StopAndCancel(hardCtx); hardErr != nil {
		return fmt.Errorf("hard stop of the worker: %w", hardErr)
	}
	return nil
}
