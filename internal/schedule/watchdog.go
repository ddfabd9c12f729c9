package schedule

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/database"
)

// OverdueSchedule is an active schedule whose fire DueAt is older than its grace: no scheduler
// claimed it (no worker process runs, or every one is stuck).
type OverdueSchedule struct {
	ID, OrgID        int64
	TargetType       string
	TargetID         int64
	TargetName, Cron string
	Timezone         string
	DueAt            time.Time
}

// Notifier is told of each overdue fire once, in the transaction that marks it (so a
// notification outbox row exists exactly when the mark does), scoped to the schedule's org.
type Notifier interface {
	ScheduleOverdue(ctx context.Context, tx pgx.Tx, o OverdueSchedule) error
}

// Watchdog finds overdue schedules. It runs in every process, API processes too: it is the
// alarm for the case where no worker process is there to fire anything.
type Watchdog struct {
	DB       database.Beginner
	Clock    Clock
	Logger   *slog.Logger
	Notifier Notifier // nil: log only
	// Interval between checks (default 30 s).
	Interval time.Duration
}

// Run checks until ctx ends.
func (w *Watchdog) Run(ctx context.Context) {
	clock := w.Clock
	if clock == nil {
		clock = WallClock{}
	}
	interval := w.Interval
	if interval <= 0 {
		interval = 30 * time.Second
	}
	for {
		if _, err := w.Check(ctx, clock.Now()); err != nil && ctx.Err() == nil {
			w.logger().Warn("schedule watchdog: check failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-clock.After(interval):
		}
	}
}

func (w *Watchdog) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}

// Check marks the schedules overdue at now that were not reported for their current fire,
// logs and notifies each, and returns them.
func (w *Watchdog) Check(ctx context.Context, now time.Time) ([]OverdueSchedule, error) {
	var out []OverdueSchedule
	err := pgx.BeginFunc(ctx, w.DB, func(tx pgx.Tx) error {
		out = nil
		q := dbgen.New(tx)
		rows, err := q.MarkOverdueSchedules(ctx, dbgen.MarkOverdueSchedulesParams{Now: ts(now), Lim: 100})
		if err != nil {
			return err
		}
		for _, sc := range rows {
			if err := database.SetScope(ctx, tx, database.Scope{OrgID: sc.OrgID}); err != nil {
				return err
			}
			o := OverdueSchedule{ID: sc.ID, OrgID: sc.OrgID, TargetType: sc.TargetType, TargetID: sc.TargetID,
				Cron: sc.Cron, Timezone: sc.Timezone, DueAt: sc.NextFireAt.Time.UTC()}
			if n, err := q.ScheduleTarget(ctx, dbgen.ScheduleTargetParams{OrgID: sc.OrgID, TargetType: sc.TargetType, TargetID: sc.TargetID}); err == nil {
				o.TargetName = n.Name
			} else if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			w.logger().Warn("schedule overdue: no scheduler fired it within its misfire grace", "schedule_id", o.ID, "org_id", o.OrgID,
				"target", o.TargetType, "target_id", o.TargetID, "due_at", o.DueAt, "late", now.Sub(o.DueAt).Round(time.Second))
			if w.Notifier != nil {
				if err := w.Notifier.ScheduleOverdue(ctx, tx, o); err != nil {
					return err
				}
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}
