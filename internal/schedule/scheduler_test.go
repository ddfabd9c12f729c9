package schedule

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/dag"
	"github.com/datanika/datanika/internal/queue"
	"github.com/datanika/datanika/internal/run"
	"github.com/datanika/datanika/internal/testutil"
	"github.com/datanika/datanika/internal/transformation"
)

// env is a migrated database of its own (the scheduler commits), its app pool (row-level
// security applies) and owner pool (fixtures, checks), and an org with two connections.
type env struct {
	app, owner *pgxpool.Pool
	url        string
	org        int64
	src, dst   int64
}

func newEnv(t testing.TB) *env {
	t.Helper()
	owner, url := testutil.NewDatabase(t)
	e := &env{app: testutil.AppPool(t, url), owner: owner, url: url}
	e.org, e.src, e.dst = e.newOrg(t, "acme")
	return e
}

func (e *env) id(t testing.TB, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	require.NoError(t, e.owner.QueryRow(context.Background(), sql, args...).Scan(&id))
	return id
}

func (e *env) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	_, err := e.owner.Exec(context.Background(), sql, args...)
	require.NoError(t, err)
}

func (e *env) newOrg(t testing.TB, name string) (org, src, dst int64) {
	t.Helper()
	org = e.id(t, `INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id`, name)
	conn := func(n string) int64 {
		return e.id(t, `INSERT INTO connections (org_id, name, type, direction, config_sealed) VALUES ($1, $2, 'postgres', 'both', '\x00') RETURNING id`, org, n)
	}
	return org, conn("src"), conn("dst")
}

func (e *env) pipeline(t testing.TB, name, status string) int64 {
	t.Helper()
	return e.id(t, `INSERT INTO pipelines (org_id, name, source_connection_id, destination_connection_id, destination_schema, status)
		VALUES ($1, $2, $3, $4, 'raw', $5) RETURNING id`, e.org, name, e.src, e.dst, status)
}

// schedule stores a schedule of a pipeline directly, with next_fire_at its first fire after `after`.
func (e *env) schedule(t testing.TB, pipeline int64, expr, zone string, grace int, after time.Time) int64 {
	t.Helper()
	c, err := Compile(expr, zone)
	require.NoError(t, err)
	return e.id(t, `INSERT INTO schedules (org_id, target_type, target_id, cron, timezone, misfire_grace_seconds, next_fire_at)
		VALUES ($1, 'pipeline', $2, $3, $4, $5, $6) RETURNING id`, e.org, pipeline, c.Cron.String(), zone, grace, c.Cron.Next(after, c.Loc))
}

// scheduler fires through the real runs service (runs and River jobs; no worker works them).
func (e *env) scheduler(t testing.TB) *Scheduler {
	t.Helper()
	client, err := queue.New(e.app, queue.Options{Logger: testutil.Logger(), Register: run.RegisterKinds})
	require.NoError(t, err)
	cascades := dag.New(e.app, run.NewService(e.app, client), transformation.New(e.app, nil, testutil.Logger()))
	return &Scheduler{DB: e.app, Trigger: NodeTrigger{Dag: cascades}, Logger: testutil.Logger()}
}

type fireRow struct {
	At      time.Time
	Outcome string
	RunID   *int64
	Reason  *string
}

func (e *env) fires(t testing.TB, scheduleID int64) []fireRow {
	t.Helper()
	rows, err := e.owner.Query(context.Background(), `SELECT fire_at, outcome, run_id, reason FROM schedule_fires WHERE schedule_id = $1 ORDER BY fire_at`, scheduleID)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireRow, error) {
		var f fireRow
		err := r.Scan(&f.At, &f.Outcome, &f.RunID, &f.Reason)
		f.At = f.At.UTC()
		return f, err
	})
	require.NoError(t, err)
	return out
}

func (e *env) row(t testing.TB, id int64) dbgen.Schedule {
	t.Helper()
	var s dbgen.Schedule
	require.NoError(t, e.owner.QueryRow(context.Background(), `SELECT next_fire_at, last_fire_at, is_active FROM schedules WHERE id = $1`, id).
		Scan(&s.NextFireAt, &s.LastFireAt, &s.IsActive))
	return s
}

func (e *env) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	return int(e.id(t, sql, args...))
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestTick_FiresADueScheduleOnceWithItsRunAndJobAndAdvancesIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pl := e.pipeline(t, "orders", "active")
	id := e.schedule(t, pl, "30 2 * * *", "America/New_York", 300, utc("2026-03-07T12:00:00Z"))
	require.Equal(t, utc("2026-03-08T07:00:00Z"), e.row(t, id).NextFireAt.Time.UTC(), "02:30 does not exist on 8 March: the transition")
	s := e.scheduler(t)
	ctx := context.Background()

	res, err := s.Tick(ctx, utc("2026-03-08T06:59:59Z"))
	require.NoError(t, err)
	require.Equal(t, TickResult{}, res, "not due yet")

	res, err = s.Tick(ctx, utc("2026-03-08T07:00:01Z"))
	require.NoError(t, err)
	require.Equal(t, TickResult{Claimed: 1, Fired: 1}, res)
	fires := e.fires(t, id)
	require.Len(t, fires, 1)
	require.Equal(t, fireRow{At: utc("2026-03-08T07:00:00Z"), Outcome: OutcomeFired, RunID: fires[0].RunID}, fires[0])
	require.NotNil(t, fires[0].RunID)
	var trigger, status string
	var jobID *int64
	require.NoError(t, e.owner.QueryRow(ctx, `SELECT trigger, status, job_id FROM runs WHERE id = $1`, *fires[0].RunID).Scan(&trigger, &status, &jobID))
	require.Equal(t, "schedule", trigger)
	require.Equal(t, "queued", status)
	require.NotNil(t, jobID, "the run's River job was inserted with it")
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM river_job WHERE id = $1`, *jobID))
	r := e.row(t, id)
	require.Equal(t, utc("2026-03-09T06:30:00Z"), r.NextFireAt.Time.UTC(), "advanced to the next fire, after the change of offset")
	require.Equal(t, utc("2026-03-08T07:00:00Z"), r.LastFireAt.Time.UTC())

	res, err = s.Tick(ctx, utc("2026-03-08T07:00:02Z"))
	require.NoError(t, err)
	require.Equal(t, TickResult{}, res, "fired once")
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM runs`))
}

func TestTick_MisfireGrace_OneCatchUpWithinItMissedBeyondIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	s := e.scheduler(t)
	start := utc("2026-06-01T09:58:00Z")
	down3 := e.schedule(t, e.pipeline(t, "a", "active"), "0 * * * *", "UTC", 300, start)
	down10 := e.schedule(t, e.pipeline(t, "b", "active"), "0 * * * *", "UTC", 300, start)
	minutely := e.schedule(t, e.pipeline(t, "c", "active"), "* * * * *", "UTC", 300, start)

	e.exec(t, `UPDATE schedules SET is_active = false, next_fire_at = NULL WHERE id = $1`, down10)

	// Down from 09:58 to 10:03: the 10:00 fire of down3 runs once, late; the minutely schedule's
	// 09:59 to 10:02 fires are missed (older than its latest), 10:03 runs.
	res, err := s.Tick(ctx, utc("2026-06-01T10:03:00Z"))
	require.NoError(t, err)
	require.Equal(t, TickResult{Claimed: 2, Fired: 2, Missed: 4}, res)
	fires := e.fires(t, down3)
	require.Len(t, fires, 1)
	require.Equal(t, OutcomeFired, fires[0].Outcome)
	require.Equal(t, utc("2026-06-01T10:00:00Z"), fires[0].At)
	require.NotNil(t, fires[0].RunID)
	require.Equal(t, utc("2026-06-01T11:00:00Z"), e.row(t, down3).NextFireAt.Time.UTC())
	mf := e.fires(t, minutely)
	require.Len(t, mf, 5)
	for i, f := range mf[:4] {
		require.Equal(t, start.Add(time.Duration(i+1)*time.Minute), f.At)
		require.Equal(t, OutcomeMissed, f.Outcome)
		require.Nil(t, f.RunID)
		require.Contains(t, *f.Reason, "misfire grace")
	}
	require.Equal(t, fireRow{At: utc("2026-06-01T10:03:00Z"), Outcome: OutcomeFired, RunID: mf[4].RunID}, mf[4])
	require.Equal(t, 2, e.count(t, `SELECT count(*) FROM runs WHERE trigger = 'schedule'`))

	// down10's 12:00 fire is first seen at 12:10: beyond its grace, missed and not run.
	e.exec(t, `UPDATE schedules SET is_active = false, next_fire_at = NULL WHERE id <> $1`, down10)
	e.exec(t, `UPDATE schedules SET is_active = true, next_fire_at = '2026-06-01T12:00:00Z' WHERE id = $1`, down10)
	res, err = s.Tick(ctx, utc("2026-06-01T12:10:00Z"))
	require.NoError(t, err)
	require.Equal(t, TickResult{Claimed: 1, Missed: 1}, res)
	f10 := e.fires(t, down10)
	require.Len(t, f10, 1)
	require.Equal(t, OutcomeMissed, f10[0].Outcome)
	require.Nil(t, f10[0].RunID)
	require.Equal(t, utc("2026-06-01T13:00:00Z"), e.row(t, down10).NextFireAt.Time.UTC())
	require.Equal(t, 2, e.count(t, `SELECT count(*) FROM runs WHERE trigger = 'schedule'`), "no run for a missed fire")
}

func TestTick_PausedSchedulesAndDeletedOrPausedTargetsNeverFire(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	s := e.scheduler(t)
	start := utc("2026-06-01T09:58:00Z")
	paused := e.schedule(t, e.pipeline(t, "paused-schedule", "active"), "0 10 * * *", "UTC", 300, start)
	e.exec(t, `UPDATE schedules SET is_active = false, next_fire_at = NULL WHERE id = $1`, paused)
	pausedTarget := e.schedule(t, e.pipeline(t, "paused-pipeline", "paused"), "0 10 * * *", "UTC", 300, start)
	busyPipeline := e.pipeline(t, "busy", "active")
	busy := e.schedule(t, busyPipeline, "0 10 * * *", "UTC", 300, start)
	active := e.id(t, `INSERT INTO runs (org_id, target_type, target_id, status, trigger) VALUES ($1, 'pipeline', $2, 'running', 'manual') RETURNING id`, e.org, busyPipeline)
	deletedPipeline := e.pipeline(t, "deleted", "active")
	deleted := e.schedule(t, deletedPipeline, "0 10 * * *", "UTC", 300, start)
	// A target deleted behind the schedules table's back (the delete path's trigger off): the
	// tick's own check skips it.
	orphanPipeline := e.pipeline(t, "orphan", "active")
	orphan := e.schedule(t, orphanPipeline, "0 10 * * *", "UTC", 300, start)
	e.exec(t, `ALTER TABLE pipelines DISABLE TRIGGER pipelines_drop_schedules`)
	e.exec(t, `UPDATE pipelines SET deleted_at = now() WHERE id = $1`, orphanPipeline)
	e.exec(t, `ALTER TABLE pipelines ENABLE TRIGGER pipelines_drop_schedules`)
	e.exec(t, `UPDATE pipelines SET deleted_at = now() WHERE id = $1`, deletedPipeline)
	require.Equal(t, 0, e.count(t, `SELECT count(*) FROM schedules WHERE id = $1`, deleted), "deleting the pipeline deleted its schedule")

	res, err := s.Tick(ctx, utc("2026-06-01T10:00:05Z"))
	require.NoError(t, err)
	require.Equal(t, TickResult{Claimed: 3, Skipped: 3}, res)
	require.Empty(t, e.fires(t, paused))
	reason := func(id int64) string {
		f := e.fires(t, id)
		require.Len(t, f, 1)
		require.Equal(t, OutcomeSkipped, f[0].Outcome)
		require.Nil(t, f[0].RunID)
		return *f[0].Reason
	}
	require.Equal(t, `Pipeline "paused-pipeline" is paused; set it active to run it.`, reason(pausedTarget))
	require.Equal(t, fmt.Sprintf("previous run still active (run %d)", active), reason(busy))
	require.Equal(t, "the pipeline was deleted", reason(orphan))
	require.Equal(t, 0, e.count(t, `SELECT count(*) FROM runs WHERE trigger = 'schedule'`))
	require.Equal(t, utc("2026-06-02T10:00:00Z"), e.row(t, busy).NextFireAt.Time.UTC(), "a skipped fire advances too")
}

type notified struct {
	mu  sync.Mutex
	got []OverdueSchedule
}

func (n *notified) ScheduleOverdue(_ context.Context, tx pgx.Tx, o OverdueSchedule) error {
	var org string
	if err := tx.QueryRow(context.Background(), `SELECT current_setting('app.org_id')`).Scan(&org); err != nil {
		return err
	}
	if org != fmt.Sprint(o.OrgID) {
		return fmt.Errorf("notified outside the org's scope: %q", org)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, o)
	return nil
}

func TestWatchdog_ReportsEachOverdueFireOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	pl := e.pipeline(t, "orders", "active")
	id := e.schedule(t, pl, "0 10 * * *", "Europe/London", 300, utc("2026-06-01T00:00:00Z"))
	due := e.row(t, id).NextFireAt.Time.UTC()
	require.Equal(t, utc("2026-06-01T09:00:00Z"), due)
	n := &notified{}
	w := &Watchdog{DB: e.app, Notifier: n, Logger: testutil.Logger()}

	got, err := w.Check(ctx, due.Add(299*time.Second))
	require.NoError(t, err)
	require.Empty(t, got, "within its grace")
	got, err = w.Check(ctx, due.Add(301*time.Second))
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, OverdueSchedule{ID: id, OrgID: e.org, TargetType: "pipeline", TargetID: pl, TargetName: "orders",
		Cron: "0 10 * * *", Timezone: "Europe/London", DueAt: due}, got[0])
	require.Len(t, n.got, 1)
	got, err = w.Check(ctx, due.Add(time.Hour))
	require.NoError(t, err)
	require.Empty(t, got, "reported once per fire")

	// The scheduler comes back, misses it, and the next fire is overdue again later: reported.
	_, err = e.scheduler(t).Tick(ctx, due.Add(2*time.Hour))
	require.NoError(t, err)
	next := e.row(t, id).NextFireAt.Time.UTC()
	require.Equal(t, utc("2026-06-02T09:00:00Z"), next)
	got, err = w.Check(ctx, next.Add(10*time.Minute))
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, next, got[0].DueAt)
	require.Len(t, n.got, 2)
}

// fakeClock is a simulated time for the scheduler loop.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }
func (c *fakeClock) After(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() { time.Sleep(5 * time.Millisecond); ch <- c.Now() }()
	return ch
}

func TestRun_TheLoopFiresWhatBecomesDueOnItsClock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.schedule(t, e.pipeline(t, "orders", "active"), "0 */6 * * *", "Australia/Melbourne", 300, utc("2026-04-04T00:00:00Z"))
	clock := &fakeClock{now: utc("2026-04-04T00:00:00Z")}
	s := &Scheduler{DB: e.app, Trigger: endedRunTrigger{}, Logger: testutil.Logger(), Clock: clock}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// Melbourne leaves daylight time on 5 April 2026 at 03:00 (+11 → +10).
	for at := clock.Now(); at.Before(utc("2026-04-06T00:00:00Z")); at = at.Add(30 * time.Minute) {
		clock.set(at)
		require.Eventually(t, func() bool {
			return e.count(t, `SELECT count(*) FROM schedules WHERE id = $1 AND next_fire_at > $2`, id, at) == 1
		}, 5*time.Second, 5*time.Millisecond)
	}
	var got []time.Time
	for _, f := range e.fires(t, id) {
		require.Equal(t, OutcomeFired, f.Outcome)
		got = append(got, f.At)
	}
	c, err := Compile("0 */6 * * *", "Australia/Melbourne")
	require.NoError(t, err)
	var exp []time.Time
	for _, f := range c.Cron.NextN(utc("2026-04-04T00:00:00Z"), c.Loc, 100) {
		if f.Before(utc("2026-04-06T00:00:00Z")) {
			exp = append(exp, f.UTC())
		}
	}
	require.Equal(t, exp, got)
	require.Len(t, exp, 8)
}

// endedRunTrigger is a cheap Trigger for tests of the firing itself: it inserts a run that has
// already succeeded (so the next fire finds no active run), with no River job.
type endedRunTrigger struct{}

func (endedRunTrigger) FireTx(ctx context.Context, _ *dbgen.Queries, tx pgx.Tx, p auth.Principal, sc dbgen.Schedule) (dbgen.Run, error) {
	var r dbgen.Run
	err := tx.QueryRow(ctx, `INSERT INTO runs (org_id, target_type, target_id, status, trigger, finished_at)
		VALUES ($1, $2, $3, 'success', 'schedule', now()) RETURNING id`, p.OrgID, sc.TargetType, sc.TargetID).Scan(&r.ID)
	return r, err
}

func TestTick_ADownstreamScheduleFiresOneDagRunOfTheNodeAndItsDescendants(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a, b := e.pipeline(t, "a", "active"), e.pipeline(t, "b", "active")
	e.exec(t, `INSERT INTO dependencies (org_id, upstream_type, upstream_id, downstream_type, downstream_id) VALUES ($1, 'pipeline', $2, 'pipeline', $3)`, e.org, a, b)
	id := e.schedule(t, a, "0 6 * * *", "Europe/London", 300, utc("2026-03-28T12:00:00Z"))
	e.exec(t, `UPDATE schedules SET downstream = true WHERE id = $1`, id)
	// London springs forward on 29 March at 01:00 UTC: 06:00 local is 05:00 UTC.
	res, err := e.scheduler(t).Tick(ctx, utc("2026-03-29T05:00:00Z"))
	require.NoError(t, err)
	require.Equal(t, TickResult{Claimed: 1, Fired: 1}, res)
	f := e.fires(t, id)
	require.Len(t, f, 1)
	require.Equal(t, utc("2026-03-29T05:00:00Z"), f[0].At)
	var dagRun, scheduleID *int64
	var trigger string
	require.NoError(t, e.owner.QueryRow(ctx, `SELECT r.dag_run_id, d.schedule_id, d.trigger FROM runs r JOIN dag_runs d ON d.id = r.dag_run_id WHERE r.id = $1`, *f[0].RunID).
		Scan(&dagRun, &scheduleID, &trigger))
	require.NotNil(t, dagRun)
	require.Equal(t, id, *scheduleID)
	require.Equal(t, "schedule", trigger)
	require.Equal(t, 2, e.count(t, `SELECT count(*) FROM dag_run_nodes WHERE dag_run_id = $1`, *dagRun), "a and its descendant b, as one DAG run")
}

// poisonTrigger fails, with an error no apperr explains, for one schedule.
type poisonTrigger struct{ poisoned int64 }

func (p poisonTrigger) FireTx(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, pr auth.Principal, sc dbgen.Schedule) (dbgen.Run, error) {
	if sc.ID == p.poisoned {
		// A statement that fails leaves the transaction aborted, as a real fault would.
		_, err := tx.Exec(ctx, `SELECT 1/0`)
		return dbgen.Run{}, err
	}
	return endedRunTrigger{}.FireTx(ctx, q, tx, pr, sc)
}

func TestTick_OneFailingTriggerSkipsItsFireAndBlocksNoOther(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	start := utc("2026-06-01T09:58:00Z")
	var ids []int64
	for i := range 3 {
		ids = append(ids, e.schedule(t, e.pipeline(t, fmt.Sprintf("p%d", i), "active"), "0 10 * * *", "UTC", 300, start))
	}
	s := &Scheduler{DB: e.app, Trigger: poisonTrigger{poisoned: ids[1]}, Logger: testutil.Logger()}
	res, err := s.Tick(context.Background(), utc("2026-06-01T10:00:01Z"))
	require.NoError(t, err)
	require.Equal(t, TickResult{Claimed: 3, Fired: 2, Skipped: 1}, res)
	for i, id := range ids {
		f := e.fires(t, id)
		require.Len(t, f, 1)
		if i == 1 {
			require.Equal(t, OutcomeSkipped, f[0].Outcome)
			require.Contains(t, *f[0].Reason, "could not be created")
		} else {
			require.Equal(t, OutcomeFired, f[0].Outcome)
		}
		require.Equal(t, utc("2026-06-02T10:00:00Z"), e.row(t, id).NextFireAt.Time.UTC())
	}
	require.Equal(t, 2, e.count(t, `SELECT count(*) FROM runs`))
}
