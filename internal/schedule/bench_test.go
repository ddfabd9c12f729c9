package schedule

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/queue"
	"github.com/datanika/datanika/internal/testutil"
)

// The schedule benchmarks (make bench-schedules; figures in docs/benchmarks.md "Schedules").
// They run only with DNK_BENCH_SCHEDULES=1.

func benchOnly(t *testing.T) {
	if os.Getenv("DNK_BENCH_SCHEDULES") == "" {
		t.Skip("a benchmark: make bench-schedules (DNK_BENCH_SCHEDULES=1)")
	}
}

// benchRunArgs is the River job of a benchmark run: its worker only marks the run running
// (started_at, as a pipeline's worker does first) and then success. A trivially cheap target.
type benchRunArgs struct {
	OrgID int64 `json:"org_id"`
	RunID int64 `json:"run_id"`
}

func (benchRunArgs) Kind() string { return "bench_schedule_run" }

type benchRunWorker struct {
	river.WorkerDefaults[benchRunArgs]
	owner *pgxpool.Pool
}

func (w *benchRunWorker) Work(ctx context.Context, job *river.Job[benchRunArgs]) error {
	if _, err := w.owner.Exec(ctx, `UPDATE runs SET status = 'running', started_at = clock_timestamp() WHERE id = $1`, job.Args.RunID); err != nil {
		return err
	}
	_, err := w.owner.Exec(ctx, `UPDATE runs SET status = 'success', finished_at = clock_timestamp() WHERE id = $1`, job.Args.RunID)
	return err
}

// benchTrigger does what the runs service does for a fire: a queued run and its River job, in
// the scheduler's transaction.
type benchTrigger struct{ client *queue.Client }

func (b benchTrigger) FireTx(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, sc dbgen.Schedule) (dbgen.Run, error) {
	r, err := q.CreateRun(ctx, dbgen.CreateRunParams{OrgID: p.OrgID, TargetType: sc.TargetType, TargetID: sc.TargetID, Trigger: "schedule", Attempt: 1, Stats: []byte("{}")})
	if err != nil {
		return r, err
	}
	job, err := b.client.InsertTx(ctx, tx, benchRunArgs{OrgID: p.OrgID, RunID: r.ID}, nil)
	if err != nil {
		return r, err
	}
	return q.SetRunJob(ctx, dbgen.SetRunJobParams{OrgID: p.OrgID, ID: r.ID, JobID: &job.Job.ID})
}

// seed makes n pipelines with one schedule each (a yearly expression: the benchmark sets
// next_fire_at itself), spread over four orgs.
func (e *env) seed(t *testing.T, n int) {
	t.Helper()
	orgs := []int64{e.org}
	for i := 1; i < 4; i++ {
		org, _, _ := e.newOrg(t, fmt.Sprintf("bench%d", i))
		orgs = append(orgs, org)
	}
	for _, org := range orgs { // n is a multiple of 4
		e.exec(t, `WITH c AS (SELECT id FROM connections WHERE org_id = $1 ORDER BY id LIMIT 1)
			INSERT INTO pipelines (org_id, name, source_connection_id, destination_connection_id, destination_schema, status)
			SELECT $1, 'p' || g, c.id, c.id, 'raw', 'active' FROM c, generate_series(1, $2) g`, org, n/len(orgs))
	}
	e.exec(t, `INSERT INTO schedules (org_id, target_type, target_id, cron, timezone, is_active, next_fire_at)
		SELECT org_id, 'pipeline', id, '0 0 1 1 *', 'UTC', false, NULL FROM pipelines`)
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// Fire latency: from a fire's instant to its run being running (started_at), through the real
// scheduler loop (wall clock, 1 s cap on its sleep) and a real River worker, with idle workers.
// The 500 fires are 50 ms apart: the benchmark sets each schedule's next_fire_at to its instant
// (cron has minute resolution; the loop sleeps until the earliest next_fire_at whatever it is).
func TestBenchFireLatency(t *testing.T) {
	benchOnly(t)
	e := newEnv(t)
	const n = 500
	e.seed(t, n)
	workers := river.NewWorkers()
	river.AddWorker(workers, &benchRunWorker{owner: e.owner})
	client, err := queue.New(e.app, queue.Options{Logger: testutil.Logger(), Work: true, MaxWorkers: 10, Workers: workers})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, client.Start(ctx))
	defer func() { _ = queue.Stop(context.Background(), client) }()
	s := &Scheduler{DB: e.app, Trigger: benchTrigger{client}, Logger: testutil.Logger()}
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	first := time.Now().Add(2 * time.Second).Truncate(time.Millisecond)
	e.exec(t, `UPDATE schedules s SET is_active = true, next_fire_at = $1::timestamptz + (o.rn - 1) * interval '50 milliseconds'
		FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM schedules) o WHERE o.id = s.id`, first)
	require.Eventually(t, func() bool {
		return e.count(t, `SELECT count(*) FROM runs WHERE status = 'success'`) == n
	}, time.Until(first.Add(n*50*time.Millisecond))+30*time.Second, 100*time.Millisecond)

	rows, err := e.owner.Query(ctx, `SELECT r.started_at - f.fire_at FROM schedule_fires f JOIN runs r ON r.id = f.run_id`)
	require.NoError(t, err)
	lat, err := pgx.CollectRows(rows, pgx.RowTo[time.Duration])
	require.NoError(t, err)
	require.Len(t, lat, n)
	require.Equal(t, n, e.count(t, `SELECT count(*) FROM schedule_fires WHERE outcome = 'fired'`))
	slices.Sort(lat)
	t.Logf("fire latency over %d fires (fire instant → run running): p50 %s, p90 %s, p99 %s, max %s",
		n, percentile(lat, 0.50).Round(time.Millisecond), percentile(lat, 0.90).Round(time.Millisecond),
		percentile(lat, 0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	require.LessOrEqual(t, percentile(lat, 0.99), time.Second, "goal: p99 ≤ 1 s")
}

// One tick claiming 10,000 due schedules at once: its time, and no fire twice — with one
// scheduler, then with two ticking at once.
func TestBenchTickOf10000DueSchedules(t *testing.T) {
	benchOnly(t)
	e := newEnv(t)
	const n = 10000
	e.seed(t, n)
	workers := river.NewWorkers()
	river.AddWorker(workers, &benchRunWorker{owner: e.owner})
	client, err := queue.New(e.app, queue.Options{Logger: testutil.Logger(), Workers: workers}) // inserts only
	require.NoError(t, err)
	ctx := context.Background()
	for _, schedulers := range []int{1, 2} {
		e.exec(t, `DELETE FROM schedule_fires`)
		e.exec(t, `DELETE FROM runs`)
		now := time.Now()
		e.exec(t, `UPDATE schedules SET is_active = true, next_fire_at = $1`, now.Add(-time.Second))
		results := make([]TickResult, schedulers)
		var wg sync.WaitGroup
		began := time.Now()
		for i := range schedulers {
			s := &Scheduler{DB: e.app, Trigger: benchTrigger{client}, Logger: testutil.Logger()}
			wg.Go(func() {
				res, err := s.Tick(ctx, now)
				require.NoError(t, err)
				results[i] = res
			})
		}
		wg.Wait()
		took := time.Since(began)
		fired := 0
		for _, r := range results {
			fired += r.Fired
		}
		require.Equal(t, n, fired)
		require.Equal(t, n, e.count(t, `SELECT count(*) FROM schedule_fires WHERE outcome = 'fired'`))
		require.Equal(t, n, e.count(t, `SELECT count(DISTINCT schedule_id) FROM schedule_fires`))
		require.Equal(t, n, e.count(t, `SELECT count(*) FROM runs`))
		require.Equal(t, n, e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'bench_schedule_run' AND state = 'available'`))
		require.Zero(t, e.count(t, `SELECT count(*) FROM schedules WHERE next_fire_at <= $1`, now))
		t.Logf("%d due schedules, %d scheduler(s) at once: %s (%.0f fires/s), claims per scheduler %v, 0 duplicates",
			n, schedulers, took.Round(time.Millisecond), float64(n)/took.Seconds(), results)
		e.exec(t, `DELETE FROM river_job WHERE kind = 'bench_schedule_run'`)
	}
}
