package dag

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// Event is an ended run, as the run_events outbox recorded it.
type Event struct {
	ID, OrgID, RunID int64
	Status           string
}

// EventHandler reacts to an ended run inside the dispatcher's transaction, scoped to the run's
// org; r is the run as committed. Whatever it writes commits with the event's dispatch, or not
// at all (the event is then dispatched again).
type EventHandler func(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, ev Event, r dbgen.Run) error

// Dispatcher turns ended runs into what follows them: the cascade's next runs (Advance) and
// whatever other handlers are registered (notifications).
//
// The commit order, and what a crash leaves:
//  1. The worker (or a cancel, or a reaper) commits the run's ending; the runs_ended trigger
//     writes the run_events row in that same transaction and NOTIFY wakes the dispatchers.
//  2. A dispatcher claims pending events (FOR UPDATE SKIP LOCKED, so each event is handled by
//     one process at a time) and, in the same transaction, runs the handlers: the next runs
//     and their River jobs, the notification deliveries and their jobs; then commits.
//
// A crash before 1 commits leaves the run as it was and no event. A crash between 1 and 2, or
// inside 2, leaves the event pending (2 rolled back as a whole): the next dispatcher takes it.
// Handlers are idempotent per event, so an event handled twice changes nothing more.
type Dispatcher struct {
	db       database.DB
	handlers []EventHandler
	log      *slog.Logger
	// Poll is the longest wait between two passes when no notification arrives.
	Poll time.Duration
}

// NewDispatcher returns a dispatcher whose first handler advances the cascades of s.
func NewDispatcher(db database.DB, s *Service, log *slog.Logger) *Dispatcher {
	d := &Dispatcher{db: db, log: log, Poll: time.Second}
	d.Handle(func(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, _ Event, r dbgen.Run) error {
		if r.DagRunID == nil {
			return nil
		}
		return s.Advance(ctx, q, tx, auth.Principal{OrgID: r.OrgID, Name: "dag"}, *r.DagRunID)
	})
	return d
}

// Handle adds a handler; handlers run in the order they were added.
func (d *Dispatcher) Handle(h EventHandler) { d.handlers = append(d.handlers, h) }

// DispatchOnce handles the pending events it can claim (at most 100) and answers how many.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, d.db, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		events, err := q.ClaimRunEvents(ctx, 100)
		if err != nil {
			return err
		}
		n = len(events)
		for _, e := range events {
			ev := Event{ID: e.ID, OrgID: e.OrgID, RunID: e.RunID, Status: e.Status}
			if err := d.handle(ctx, tx, ev); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				d.log.Error("handling an ended run failed; it is tried again", "run_id", ev.RunID, "event_id", ev.ID, "error", err)
				if err := database.SetScope(ctx, tx, database.Scope{}); err != nil {
					return err
				}
				if err := q.ReleaseRunEvent(ctx, dbgen.ReleaseRunEventParams{ID: ev.ID, Error: err.Error()}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return n, err
}

// handle runs the handlers of one event in a savepoint, scoped to the event's org.
func (d *Dispatcher) handle(ctx context.Context, tx pgx.Tx, ev Event) error {
	return pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
		if err := database.SetScope(ctx, sp, database.Scope{OrgID: ev.OrgID}); err != nil {
			return err
		}
		q := dbgen.New(sp)
		r, err := q.GetRunByID(ctx, dbgen.GetRunByIDParams{OrgID: ev.OrgID, ID: ev.RunID})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, h := range d.handlers {
			if err := h(ctx, q, sp, ev, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// Run dispatches until ctx ends: at once on every NOTIFY of an ended run, and at least every
// Poll (a lost notification, or events a failed pass put back). Without a listening connection
// it polls.
func (d *Dispatcher) Run(ctx context.Context, pool *pgxpool.Pool) {
	var conn *pgxpool.Conn
	defer func() {
		if conn != nil {
			conn.Release()
		}
	}()
	for ctx.Err() == nil {
		for {
			n, err := d.DispatchOnce(ctx)
			if err != nil {
				if ctx.Err() == nil {
					d.log.Warn("dispatching ended runs failed", "error", err)
				}
				break
			}
			if n == 0 {
				break
			}
		}
		if conn == nil && pool != nil {
			if c, err := pool.Acquire(ctx); err == nil {
				if _, err := c.Exec(ctx, "LISTEN datanika_run_events"); err == nil {
					conn = c
				} else {
					c.Release()
				}
			}
		}
		if conn == nil {
			select {
			case <-ctx.Done():
			case <-time.After(d.Poll):
			}
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, d.Poll)
		_, err := conn.Conn().WaitForNotification(wctx)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			// The listening connection broke: drop it and listen anew on the next round.
			conn.Conn().Close(context.Background()) //nolint:errcheck // the connection is broken anyway
			conn.Release()
			conn = nil
		}
	}
}
