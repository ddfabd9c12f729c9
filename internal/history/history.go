// Package history owns reading what runs did: the org's runs with their filters and keyset
// paging, one run, its log lines in order (and whether more can follow), and the dashboard's
// aggregates. It only reads; internal/run writes runs and their logs.
package history

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// Service reads runs through the principal's org (row-level security and an explicit org_id).
type Service struct {
	db database.DB
}

// New returns the history service.
func New(db database.DB) *Service { return &Service{db: db} }

// Ended reports whether a run status is final: nothing about the run changes afterwards.
func Ended(status string) bool {
	switch status {
	case "success", "failed", "cancelled", "skipped":
		return true
	}
	return false
}

// Position is where a page of runs stopped: runs are listed newest first by (created_at, id).
type Position struct {
	CreatedAt time.Time
	ID        int64
}

// Filter selects runs; nil fields do not filter.
type Filter struct {
	Status, TargetType, Trigger *string
	TargetID                    *int64
	// DagRunID keeps the runs of one DAG run (cascade).
	DagRunID *int64
	// Since includes runs created at that time; Until excludes them.
	Since, Until *time.Time
	// After is the position of the last run of the previous page.
	After *Position
	Limit int32
}

// Listed is a run with the name of its target ("" when the target is unknown, such as a job
// before jobs exist).
type Listed = dbgen.ReadRunsRow

// ListRuns returns a page of the org's runs, newest first.
func (s *Service) ListRuns(ctx context.Context, p auth.Principal, f Filter) ([]Listed, error) {
	if f.Since != nil && f.Until != nil && !f.Since.Before(*f.Until) {
		return nil, apperr.Invalidf([]apperr.FieldError{{Field: "until", Message: "must be after since"}}, "The time range is empty.")
	}
	if f.TargetID != nil && *f.TargetID <= 0 {
		return nil, apperr.Invalidf([]apperr.FieldError{{Field: "target_id", Message: "must be a positive id"}}, "The target id is invalid.")
	}
	args := dbgen.ReadRunsParams{
		OrgID: p.OrgID, Status: f.Status, TargetType: f.TargetType, TargetID: f.TargetID, Trigger: f.Trigger, DagRunID: f.DagRunID,
		Since: timestamptz(f.Since), Until: timestamptz(f.Until), Lim: f.Limit,
	}
	if f.After != nil {
		args.BeforeCreatedAt = pgtype.Timestamptz{Time: f.After.CreatedAt, Valid: true}
		args.BeforeID = f.After.ID
	}
	var out []Listed
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		out, err = q.ReadRuns(ctx, args)
		return err
	})
	return out, err
}

func timestamptz(t *time.Time) pgtype.Timestamptz {
	if t == nil {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: *t, Valid: true}
}

// GetRun returns a run of the principal's org; another org's run is not found, like a missing one.
func (s *Service) GetRun(ctx context.Context, p auth.Principal, id int64) (dbgen.Run, error) {
	var out dbgen.Run
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		out, err = getRun(ctx, q, p.OrgID, id)
		return err
	})
	return out, err
}

func getRun(ctx context.Context, q *dbgen.Queries, orgID, id int64) (dbgen.Run, error) {
	r, err := q.ReadRun(ctx, dbgen.ReadRunParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return r, apperr.NotFoundf("No run %d.", id)
	}
	return r, err
}

// LogPage is a run as it is now and its log lines after a sequence number.
type LogPage struct {
	Run   dbgen.Run
	Lines []dbgen.RunLog
	// Done: the run had ended before the lines were read and no line follows these, so nothing
	// will ever follow.
	Done bool
}

// Logs returns up to limit log lines of a run after seq after.
//
// The run is read before its lines, each statement seeing what was committed when it started:
// when the run is already ended at the first read, every line its worker wrote before ending it
// is visible to the second, so Done never hides a line.
func (s *Service) Logs(ctx context.Context, p auth.Principal, runID, after int64, limit int32) (LogPage, error) {
	var out LogPage
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		r, err := getRun(ctx, q, p.OrgID, runID)
		if err != nil {
			return err
		}
		out.Run = r
		lines, err := q.ReadRunLogs(ctx, dbgen.ReadRunLogsParams{OrgID: p.OrgID, RunID: runID, AfterSeq: after, Lim: limit + 1})
		if err != nil {
			return err
		}
		more := len(lines) > int(limit)
		if more {
			lines = lines[:limit]
		}
		out.Lines = lines
		out.Done = Ended(r.Status) && !more
		return nil
	})
	return out, err
}
