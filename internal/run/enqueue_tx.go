package run

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
)

// TriggerSchedule is the trigger of the runs a schedule fires.
const TriggerSchedule = "schedule"

// EnqueueOptions are the choices of a run created in the caller's transaction.
type EnqueueOptions struct {
	Trigger     string
	FullRefresh bool
	// Command is a transformation run's command (run, test or build; default build).
	Command string
}

// EnqueueTx creates a queued run of a pipeline, transformation or job and inserts its River job
// in the caller's transaction tx (scoped to p's org), so the run exists exactly when the caller
// commits. A deleted target is NotFound, a paused pipeline a Conflict, an active run a Conflict
// naming it.
func (s *Service) EnqueueTx(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, targetType string, targetID int64, opts EnqueueOptions) (dbgen.Run, error) {
	params := dbgen.CreateRunParams{OrgID: p.OrgID, TargetType: targetType, TargetID: targetID, Trigger: opts.Trigger,
		Attempt: 1, FullRefresh: opts.FullRefresh, CreatedBy: userOf(p)}
	switch targetType {
	case TargetPipeline:
		pl, err := q.PipelineForRun(ctx, dbgen.PipelineForRunParams{OrgID: p.OrgID, ID: targetID})
		if errors.Is(err, pgx.ErrNoRows) {
			return dbgen.Run{}, apperr.NotFoundf("No pipeline %d.", targetID)
		} else if err != nil {
			return dbgen.Run{}, err
		}
		if pl.Status == "paused" {
			return dbgen.Run{}, apperr.Conflictf("Pipeline %q is paused.", pl.Name)
		}
		return s.enqueue(ctx, q, tx, p, params)
	case TargetTransformation:
		t, err := q.GetTransformationForRun(ctx, dbgen.GetTransformationForRunParams{OrgID: p.OrgID, ID: targetID})
		if errors.Is(err, pgx.ErrNoRows) {
			return dbgen.Run{}, apperr.NotFoundf("No transformation %d.", targetID)
		} else if err != nil {
			return dbgen.Run{}, err
		}
		cmd := opts.Command
		if cmd == "" {
			cmd = "build"
		}
		return s.enqueueWith(ctx, q, tx, p, params, &TransformSpec{Command: cmd, Select: t.Name, Threads: 4})
	case TargetJob:
		j, err := q.GetJobForRun(ctx, dbgen.GetJobForRunParams{OrgID: p.OrgID, ID: targetID})
		if errors.Is(err, pgx.ErrNoRows) {
			return dbgen.Run{}, apperr.NotFoundf("No job %d.", targetID)
		} else if err != nil {
			return dbgen.Run{}, err
		}
		params.FullRefresh = params.FullRefresh || j.FullRefresh
		return s.enqueueWith(ctx, q, tx, p, params, &TransformSpec{Command: j.Command, Select: j.Select, Exclude: j.Exclude, Threads: j.Threads})
	}
	return dbgen.Run{}, apperr.Invalidf([]apperr.FieldError{{Field: "target_type", Message: "must be pipeline, transformation or job"}}, "Unknown target type.")
}
