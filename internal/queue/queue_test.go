package queue_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/queue"
	dnktest "github.com/datanika/datanika/internal/testutil"
)

// probeArgs is a job that counts its executions on the row it concerns.
type probeArgs struct {
	RowID int64 `json:"row_id"`
	Hold  bool  `json:"hold"`
}

func (probeArgs) Kind() string { return "test_probe" }

type probeWorker struct {
	river.WorkerDefaults[probeArgs]
	pool    *pgxpool.Pool
	started chan int64
	release chan struct{}
}

func (w *probeWorker) Work(ctx context.Context, job *river.Job[probeArgs]) error {
	if job.Args.Hold {
		w.started <- job.Args.RowID
		select {
		case <-w.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	_, err := w.pool.Exec(ctx, "UPDATE probe SET worked = worked + 1 WHERE id = $1", job.Args.RowID)
	return err
}

func setup(t *testing.T) (*pgxpool.Pool, *queue.Client, *probeWorker) {
	t.Helper()
	pool, _ := dnktest.NewDatabase(t)
	_, err := pool.Exec(context.Background(), "CREATE TABLE probe (id bigint PRIMARY KEY, worked int NOT NULL DEFAULT 0)")
	require.NoError(t, err)
	worker := &probeWorker{pool: pool, started: make(chan int64, 1), release: make(chan struct{})}
	workers := river.NewWorkers()
	river.AddWorker(workers, worker)
	client, err := queue.New(pool, queue.Options{
		Logger: dnktest.Logger(), Work: true, MaxWorkers: 2, Workers: workers,
		FetchPollInterval: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	return pool, client, worker
}

func insertRowAndJob(t *testing.T, pool *pgxpool.Pool, client *queue.Client, id int64, hold, commit bool) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "INSERT INTO probe (id) VALUES ($1)", id)
	require.NoError(t, err)
	_, err = client.InsertTx(ctx, tx, probeArgs{RowID: id, Hold: hold}, nil)
	require.NoError(t, err)
	if commit {
		require.NoError(t, tx.Commit(ctx))
	} else {
		require.NoError(t, tx.Rollback(ctx))
	}
}

func TestQueue_JobInsertedWithRowIsWorkedExactlyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, client, _ := setup(t)
	completed, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	require.NoError(t, client.Start(ctx))
	defer func() { require.NoError(t, queue.Stop(ctx, client)) }()

	insertRowAndJob(t, pool, client, 1, false, true)
	insertRowAndJob(t, pool, client, 2, false, false) // rolled back: neither row nor job exists

	select {
	case ev := <-completed:
		require.Equal(t, river.EventKindJobCompleted, ev.Kind)
		require.Equal(t, rivertype.JobStateCompleted, ev.Job.State)
	case <-time.After(10 * time.Second):
		t.Fatal("the job was not worked within 10s")
	}
	// Give a duplicate execution every chance to happen before counting.
	time.Sleep(300 * time.Millisecond)

	var worked int
	require.NoError(t, pool.QueryRow(ctx, "SELECT worked FROM probe WHERE id = 1").Scan(&worked))
	require.Equal(t, 1, worked)
	var jobs int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM river_job").Scan(&jobs))
	require.Equal(t, 1, jobs, "the rolled-back transaction's job must not exist")
}

func TestQueue_GracefulStopLetsRunningJobFinish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, client, worker := setup(t)
	require.NoError(t, client.Start(ctx))
	insertRowAndJob(t, pool, client, 7, true, true)
	select {
	case <-worker.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not start")
	}

	stopped := make(chan error, 1)
	go func() { stopped <- queue.Stop(ctx, client) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a job was still running", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(worker.release)
	require.NoError(t, <-stopped)

	var worked int
	require.NoError(t, pool.QueryRow(ctx, "SELECT worked FROM probe WHERE id = 7").Scan(&worked))
	require.Equal(t, 1, worked)
}

func TestQueue_StopPastDeadlineHandsJobBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, client, worker := setup(t)
	require.NoError(t, client.Start(ctx))
	insertRowAndJob(t, pool, client, 9, true, true)
	<-worker.started

	stopCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	require.NoError(t, queue.Stop(stopCtx, client))

	var state string
	require.NoError(t, pool.QueryRow(ctx, "SELECT state::text FROM river_job").Scan(&state))
	require.Contains(t, []string{string(rivertype.JobStateAvailable), string(rivertype.JobStateRetryable)}, state,
		"a job cancelled by the stop goes back to the queue")
	var worked int
	require.NoError(t, pool.QueryRow(ctx, "SELECT worked FROM probe WHERE id = 9").Scan(&worked))
	require.Zero(t, worked)
}

func TestCollector_ReportsJobCountsByState(t *testing.T) {
	t.Parallel()
	pool, client, _ := setup(t) // not started: the jobs stay available
	insertRowAndJob(t, pool, client, 1, false, true)
	insertRowAndJob(t, pool, client, 2, false, true)

	c := queue.NewCollector(pool, dnktest.Logger())
	expected := `
# HELP datanika_queue_jobs Jobs in the River queue by queue and state.
# TYPE datanika_queue_jobs gauge
datanika_queue_jobs{queue="default",state="available"} 2
datanika_queue_jobs{queue="default",state="cancelled"} 0
datanika_queue_jobs{queue="default",state="completed"} 0
datanika_queue_jobs{queue="default",state="discarded"} 0
datanika_queue_jobs{queue="default",state="pending"} 0
datanika_queue_jobs{queue="default",state="retryable"} 0
datanika_queue_jobs{queue="default",state="running"} 0
datanika_queue_jobs{queue="default",state="scheduled"} 0
`
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(expected), "datanika_queue_jobs"))
}

func TestHeartbeat_WorkerRecordsLivenessOnStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dnktest.NewDatabase(t)
	client, err := queue.New(pool, queue.Options{Logger: dnktest.Logger(), Work: true, FetchPollInterval: 50 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	defer func() { require.NoError(t, queue.Stop(ctx, client)) }()

	require.Eventually(t, func() bool {
		inst, err := dbgen.New(pool).GetInstallation(ctx)
		return err == nil && inst.WorkerHeartbeatAt.Valid
	}, 15*time.Second, 100*time.Millisecond, "the leader runs the heartbeat at start")
}

// An inserting client (the api role) notifies the workers of every insert more than
// queue.FetchCooldown after the last: River's default limiter (100 ms) kept quiet for the second
// of two runs triggered 30 ms apart, which then waited for a worker's poll.
func TestQueue_InsertsApartByMoreThanTheCooldownEachNotify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dnktest.NewDatabase(t)
	_, err := pool.Exec(ctx, "CREATE TABLE probe (id bigint PRIMARY KEY, worked int NOT NULL DEFAULT 0)")
	require.NoError(t, err)
	workers := river.NewWorkers()
	river.AddWorker(workers, &probeWorker{pool: pool})
	inserter, err := queue.New(pool, queue.Options{Logger: dnktest.Logger(), Workers: workers})
	require.NoError(t, err)

	listener, err := pool.Acquire(ctx)
	require.NoError(t, err)
	defer listener.Release()
	var schema string
	require.NoError(t, listener.QueryRow(ctx, "SELECT current_schema()").Scan(&schema))
	_, err = listener.Exec(ctx, "LISTEN "+pgx.Identifier{schema + ".river_insert"}.Sanitize())
	require.NoError(t, err)

	insertRowAndJob(t, pool, inserter, 1, false, true)
	time.Sleep(30 * time.Millisecond)
	insertRowAndJob(t, pool, inserter, 2, false, true)
	got := 0
	for got < 2 {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := listener.Conn().WaitForNotification(wctx)
		cancel()
		if err != nil {
			break
		}
		got++
	}
	require.Equal(t, 2, got, "each insert must wake the workers")
}

// A worker picks up a job inserted just after its last fetch without waiting for its poll nor
// River's default cooldown (100 ms): each of five jobs, inserted as soon as the one before was
// worked, starts well within that.
func TestQueue_AWorkerPicksUpAJobInsertedJustAfterItsLastFetch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dnktest.NewDatabase(t)
	_, err := pool.Exec(ctx, "CREATE TABLE probe (id bigint PRIMARY KEY, worked int NOT NULL DEFAULT 0)")
	require.NoError(t, err)
	worker := &probeWorker{pool: pool, started: make(chan int64, 1), release: make(chan struct{})}
	workers := river.NewWorkers()
	river.AddWorker(workers, worker)
	client, err := queue.New(pool, queue.Options{Logger: dnktest.Logger(), Work: true, MaxWorkers: 2, Workers: workers,
		FetchPollInterval: 5 * time.Second}) // no poll within the test: only notifications wake it
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	defer func() { require.NoError(t, queue.Stop(ctx, client)) }()
	time.Sleep(200 * time.Millisecond) // the worker's first fetch and listener are up

	var waits []time.Duration
	for id := int64(1); id <= 5; id++ {
		begin := time.Now()
		insertRowAndJob(t, pool, client, id, true, true)
		select {
		case <-worker.started:
		case <-time.After(10 * time.Second):
			t.Fatalf("job %d was not picked up within 10s", id)
		}
		waits = append(waits, time.Since(begin))
		worker.release <- struct{}{}
	}
	slices.Sort(waits)
	require.Less(t, waits[2], 60*time.Millisecond, "median pickup %v (all %v)", waits[2], waits)
}
