package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/dag"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/run"
)

// Fire outcomes, as schedule_fires records them.
const (
	OutcomeFired   = "fired"
	OutcomeMissed  = "missed"
	OutcomeSkipped = "skipped"
)

// Trigger creates the run (or DAG run) of one fire in the scheduler's transaction tx, scoped to
// the schedule's org, so that it exists exactly when the fire is recorded. An apperr error
// (NotFound, Conflict) means the fire is skipped with its message; any other aborts the tick.
type Trigger interface {
	FireTx(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, sc dbgen.Schedule) (dbgen.Run, error)
}

// NodeTrigger fires a schedule's node through the DAG service: a queued run and its River job,
// trigger schedule; with the schedule's downstream flag, a DAG run of the node and its
// descendants.
type NodeTrigger struct{ Dag *dag.Service }

// FireTx implements Trigger.
func (t NodeTrigger) FireTx(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, sc dbgen.Schedule) (dbgen.Run, error) {
	return t.Dag.TriggerTx(ctx, q, tx, p, dag.Node{Type: sc.TargetType, ID: sc.TargetID},
		dag.TriggerOptions{Trigger: run.TriggerSchedule, Downstream: sc.Downstream, ScheduleID: &sc.ID})
}

// Clock is the scheduler's time: the wall clock in the program, a simulated one in tests.
type Clock interface {
	Now() time.Time
	// After waits d (or until the clock's time moves, for a simulated clock).
	After(d time.Duration) <-chan time.Time
}

// WallClock is the real time.
type WallClock struct{}

// Now implements Clock.
func (WallClock) Now() time.Time { return time.Now() }

// After implements Clock.
func (WallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Scheduler fires due schedules. Any number of schedulers (one per worker process) share one
// database; each fire happens once, whichever claims it.
type Scheduler struct {
	DB      database.DB
	Trigger Trigger
	Clock   Clock
	Logger  *slog.Logger
	// Batch is how many due schedules one transaction claims (default 500).
	Batch int
	// MaxSleep caps the wait between two looks at the earliest fire (default 1 s), so a schedule
	// created or resumed elsewhere is seen within it.
	MaxSleep time.Duration
	// AfterClaim, when set, runs in the tick's transaction right after the claim, with the
	// number of rows claimed (tests: a process killed while it holds claimed rows).
	AfterClaim func(ctx context.Context, claimed int)
}

// TickResult counts what one tick did.
type TickResult struct {
	Claimed, Fired, Missed, Skipped int
}

func (s *Scheduler) batch() int {
	if s.Batch <= 0 {
		return 500
	}
	return s.Batch
}

func (s *Scheduler) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// Run ticks until ctx ends: it sleeps until the earliest next fire (at most MaxSleep), then
// fires what is due. A tick that fails (the database away) is logged and tried again.
func (s *Scheduler) Run(ctx context.Context) {
	clock := s.Clock
	if clock == nil {
		clock = WallClock{}
	}
	maxSleep := s.MaxSleep
	if maxSleep <= 0 {
		maxSleep = time.Second
	}
	for ctx.Err() == nil {
		now := clock.Now()
		wait := maxSleep
		next, err := dbgen.New(s.DB).NextScheduleFire(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				s.logger().Warn("scheduler: cannot read the next fire", "error", err)
			}
		case next.Valid && !next.Time.After(now):
			res, err := s.Tick(ctx, now)
			switch {
			case err != nil:
				if ctx.Err() == nil {
					s.logger().Warn("scheduler: tick failed; trying again", "error", err)
				}
			case res.Claimed == 0:
				// Due rows another scheduler holds: it fires them, or they come back when it dies.
				wait = min(wait, 100*time.Millisecond)
			default:
				continue // look again at once: the next fire may already be due
			}
		case next.Valid:
			wait = min(wait, next.Time.Sub(now))
		}
		if wait <= 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-clock.After(wait):
		}
	}
}

// Tick fires every schedule due at now, in transactions of up to Batch claimed rows, until
// none is due (or only rows other schedulers hold).
//
// One transaction per batch, and what a crash at each point leaves:
//  1. dnk_claim_due_schedules locks the due rows (SKIP LOCKED: rows another scheduler holds are
//     left to it). Nothing is written yet.
//  2. For each row, under its org's scope: the fires due since next_fire_at are worked out with
//     internal/cron; older ones and ones beyond the misfire grace are recorded missed; the
//     latest within the grace is checked (target alive and not paused, no active run) and fired:
//     its run and River job inserted by the Trigger, and recorded in schedule_fires (primary key
//     (schedule_id, fire_at): a second record of one fire cannot exist); next_fire_at advances
//     to the first fire after now.
//  3. COMMIT: the runs, their jobs, the fire records and the advanced rows become visible
//     together, and the locks go.
//
// A crash (or kill) anywhere before 3 rolls everything back: no run, no job, no record, the
// rows still due; the next tick of any scheduler claims them again. A scheduler that claims a
// row after another committed sees it no longer due (FOR UPDATE re-reads the committed row and
// re-checks next_fire_at <= now), so it cannot fire it twice.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) (TickResult, error) {
	var total TickResult
	for {
		res, err := s.tickBatch(ctx, now, false)
		if err != nil && ctx.Err() == nil {
			// One schedule's trigger may fail for good (a poisoned row): the batch is tried
			// again with each trigger in a savepoint, so that one is skipped, not all blocked.
			s.logger().Warn("scheduler: a batch failed; trying it again one schedule at a time", "error", err)
			res, err = s.tickBatch(ctx, now, true)
		}
		total.Claimed += res.Claimed
		total.Fired += res.Fired
		total.Missed += res.Missed
		total.Skipped += res.Skipped
		if err != nil || res.Claimed < s.batch() {
			return total, err
		}
	}
}

func (s *Scheduler) tickBatch(ctx context.Context, now time.Time, isolate bool) (TickResult, error) {
	var res TickResult
	err := pgx.BeginFunc(ctx, s.DB, func(tx pgx.Tx) error {
		res = TickResult{}
		q := dbgen.New(tx)
		rows, err := q.ClaimDueSchedules(ctx, dbgen.ClaimDueSchedulesParams{Now: ts(now), Lim: int32(s.batch())}) //nolint:gosec // small
		if err != nil {
			return fmt.Errorf("claim due schedules: %w", err)
		}
		res.Claimed = len(rows)
		if s.AfterClaim != nil {
			s.AfterClaim(ctx, len(rows))
		}
		// The claimed rows come ordered by fire and org; each org's run of rows is worked under
		// its scope, and its fire records and advances are written in two batched round trips.
		w := work{now: now}
		compiled := map[string]Compiled{}
		org := int64(0)
		for _, sc := range rows {
			if sc.OrgID != org {
				if err := w.flush(ctx, q); err != nil {
					return err
				}
				if err := database.SetScope(ctx, tx, database.Scope{OrgID: sc.OrgID}); err != nil {
					return err
				}
				org, w.org = sc.OrgID, sc.OrgID
			}
			key := sc.Cron + "\x00" + sc.Timezone
			c, ok := compiled[key]
			if !ok {
				if c, err = Compile(sc.Cron, sc.Timezone); err != nil {
					// Saved schedules were valid; one the server can no longer read (a zone gone
					// from its time zone database) stops firing, loudly, rather than block the tick.
					s.logger().Error("scheduler: a stored schedule no longer compiles; it stops firing", "schedule_id", sc.ID, "error", err)
					w.advance(sc.ID, time.Time{}, pgtype.Timestamptz{})
					continue
				}
				compiled[key] = c
			}
			if err := s.fire(ctx, q, tx, sc, c, now, isolate, &w, &res); err != nil {
				return fmt.Errorf("schedule %d: %w", sc.ID, err)
			}
		}
		return w.flush(ctx, q)
	})
	return res, err
}

// work is what a run of one org's claimed rows writes once they are all worked: two
// statements, whatever the number of rows.
type work struct {
	org   int64
	now   time.Time
	fires dbgen.InsertScheduleFiresParams
	adv   dbgen.AdvanceSchedulesParams
}

func (w *work) record(scheduleID int64, at time.Time, outcome string, runID int64, reason string) {
	f := &w.fires
	f.ScheduleIds, f.FireAts = append(f.ScheduleIds, scheduleID), append(f.FireAts, ts(at))
	f.Outcomes, f.RunIds, f.Reasons = append(f.Outcomes, outcome), append(f.RunIds, runID), append(f.Reasons, reason)
}

func (w *work) advance(scheduleID int64, next time.Time, last pgtype.Timestamptz) {
	a := &w.adv
	a.Ids, a.NextFireAts, a.LastFireAts = append(a.Ids, scheduleID), append(a.NextFireAts, ts(next)), append(a.LastFireAts, last)
}

func (w *work) flush(ctx context.Context, q *dbgen.Queries) error {
	if len(w.fires.ScheduleIds) > 0 {
		w.fires.OrgID, w.fires.ClaimedAt = w.org, ts(w.now)
		if err := q.InsertScheduleFires(ctx, w.fires); err != nil {
			return err
		}
	}
	if len(w.adv.Ids) > 0 {
		w.adv.OrgID = w.org
		if err := q.AdvanceSchedules(ctx, w.adv); err != nil {
			return err
		}
	}
	w.fires, w.adv = dbgen.InsertScheduleFiresParams{}, dbgen.AdvanceSchedulesParams{}
	return nil
}

// maxMissedRecords bounds the missed fires recorded for one schedule in one tick (a
// minutely schedule after a week down); the rest are counted in the log line.
const maxMissedRecords = 1000

// fire works one claimed schedule: the fires due since its next_fire_at are recorded missed
// (older than the latest, or beyond the grace) or fired (the latest within the grace, once),
// and it advances to its first fire after now.
func (s *Scheduler) fire(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, sc dbgen.Schedule, c Compiled, now time.Time, isolate bool, w *work, res *TickResult) error {
	grace := time.Duration(sc.MisfireGraceSeconds) * time.Second
	var due []time.Time
	dropped := 0
	for at := sc.NextFireAt.Time; !at.IsZero() && !at.After(now); at = c.Cron.Next(at, c.Loc) {
		if len(due) == maxMissedRecords+1 {
			due = append(due[:0], due[1:]...)
			dropped++
		}
		due = append(due, at.UTC())
	}
	record := func(at time.Time, outcome string, runID int64, reason string) {
		w.record(sc.ID, at, outcome, runID, reason)
	}
	var latest time.Time
	if n := len(due); n > 0 && now.Sub(due[n-1]) <= grace {
		latest, due = due[n-1], due[:n-1]
	}
	for _, at := range due {
		record(at, OutcomeMissed, 0, fmt.Sprintf("missed: no scheduler ran until %s, %s after the fire (misfire grace %s)",
			now.UTC().Format(time.RFC3339), now.Sub(at).Round(time.Second), grace))
	}
	if len(due) > 0 {
		res.Missed += len(due) + dropped
		s.logger().Warn("scheduler: fires missed beyond their misfire grace, not run", "schedule_id", sc.ID, "org_id", sc.OrgID,
			"missed", len(due)+dropped, "first", due[0], "last", due[len(due)-1], "catch_up", !latest.IsZero())
	}
	var lastFire pgtype.Timestamptz
	if !latest.IsZero() {
		runID, reason, err := s.fireOne(ctx, q, tx, sc, isolate)
		if err != nil {
			return err
		}
		if runID != nil {
			record(latest, OutcomeFired, *runID, "")
			res.Fired++
			lastFire = ts(latest)
		} else {
			record(latest, OutcomeSkipped, 0, reason)
			res.Skipped++
			s.logger().Info("scheduler: fire skipped", "schedule_id", sc.ID, "org_id", sc.OrgID, "at", latest, "reason", reason)
		}
	}
	w.advance(sc.ID, c.Cron.Next(now, c.Loc).UTC(), lastFire)
	return nil
}

// fireOne fires the schedule's target through the Trigger: its run, or the reason it is
// skipped (the target deleted or paused, a previous run still active).
// With isolate, the trigger works in a savepoint, and an error it answers skips this fire
// instead of failing the batch.
func (s *Scheduler) fireOne(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, sc dbgen.Schedule, isolate bool) (*int64, string, error) {
	p := auth.Principal{OrgID: sc.OrgID, Name: "schedule"}
	if isolate {
		sp, err := tx.Begin(ctx)
		if err != nil {
			return nil, "", err
		}
		r, err := s.Trigger.FireTx(ctx, dbgen.New(sp), sp, p, sc)
		if err == nil {
			err = sp.Commit(ctx)
		}
		if _, ok := apperr.As(err); err != nil && !ok {
			_ = sp.Rollback(ctx)
			s.logger().Error("scheduler: the run of a fire could not be created; the fire is skipped", "schedule_id", sc.ID, "org_id", sc.OrgID, "error", err)
			return nil, "the run could not be created (an internal error; see the server log)", nil
		}
		if err != nil {
			_ = sp.Rollback(ctx)
			return s.skipReason(sc, err)
		}
		return &r.ID, "", nil
	}
	r, err := s.Trigger.FireTx(ctx, q, tx, p, sc)
	if _, ok := apperr.As(err); ok {
		return s.skipReason(sc, err)
	}
	if err != nil {
		return nil, "", err
	}
	return &r.ID, "", nil
}

// skipReason words the apperr a trigger answered as the reason its fire is skipped.
func (s *Scheduler) skipReason(sc dbgen.Schedule, err error) (*int64, string, error) {
	e, _ := apperr.As(err)
	switch {
	case e.ActiveRunID != 0:
		return nil, fmt.Sprintf("previous run still active (run %d)", e.ActiveRunID), nil
	case e.Kind == apperr.NotFound:
		return nil, fmt.Sprintf("the %s was deleted", sc.TargetType), nil
	}
	return nil, e.Detail, nil
}
