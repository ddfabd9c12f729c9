package run

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
)

// Triggers of runs no person started.
const (
	TriggerSchedule   = "schedule"
	TriggerDependency = "dependency"
	StatusSkipped     = "skipped"
)

// NodeOptions are the choices of a run started inside a caller's transaction: a cascade's
// step, a schedule's fire.
type NodeOptions struct {
	Trigger     string
	FullRefresh bool
	// Command is a transformation's: run, test or build (default build).
	Command  string
	DagRunID *int64
}

// EnqueueNode creates a queued run of a pipeline, transformation or job (the node alone) and
// its River job in the caller's transaction tx, scoped to p's org. A deleted target is
// NotFound, a paused pipeline a Conflict, an active run a Conflict naming it.
func (s *Service) EnqueueNode(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, targetType string, targetID int64, o NodeOptions) (dbgen.Run, error) {
	base := dbgen.CreateRunParams{OrgID: p.OrgID, TargetType: targetType, TargetID: targetID, Trigger: o.Trigger,
		Attempt: 1, FullRefresh: o.FullRefresh, CreatedBy: userOf(p)}
	var r dbgen.Run
	switch targetType {
	case TargetPipeline:
		pl, err := q.PipelineForRun(ctx, dbgen.PipelineForRunParams{OrgID: p.OrgID, ID: targetID})
		if errors.Is(err, pgx.ErrNoRows) {
			return r, apperr.NotFoundf("No pipeline %d.", targetID)
		} else if err != nil {
			return r, err
		}
		if pl.Status == "paused" {
			return r, apperr.Conflictf("Pipeline %q is paused; set it active to run it.", pl.Name)
		}
		r, err = s.enqueue(ctx, q, tx, p, base)
		if err != nil {
			return r, err
		}
	case TargetTransformation:
		t, err := q.GetTransformationForRun(ctx, dbgen.GetTransformationForRunParams{OrgID: p.OrgID, ID: targetID})
		if errors.Is(err, pgx.ErrNoRows) {
			return r, apperr.NotFoundf("No transformation %d.", targetID)
		} else if err != nil {
			return r, err
		}
		cmd := o.Command
		if cmd == "" {
			cmd = "build"
		}
		r, err = s.enqueueWith(ctx, q, tx, p, base, &TransformSpec{Command: cmd, Select: t.Name, Threads: 4})
		if err != nil {
			return r, err
		}
	case TargetJob:
		j, err := q.GetJobForRun(ctx, dbgen.GetJobForRunParams{OrgID: p.OrgID, ID: targetID})
		if errors.Is(err, pgx.ErrNoRows) {
			return r, apperr.NotFoundf("No job %d.", targetID)
		} else if err != nil {
			return r, err
		}
		base.FullRefresh = base.FullRefresh || j.FullRefresh
		r, err = s.enqueueWith(ctx, q, tx, p, base, &TransformSpec{Command: j.Command, Select: j.Select, Exclude: j.Exclude, Threads: j.Threads})
		if err != nil {
			return r, err
		}
	default:
		return r, apperr.Invalidf([]apperr.FieldError{{Field: "target_type", Message: "must be pipeline, transformation or job"}}, "Unknown target type.")
	}
	if o.DagRunID != nil {
		if err := q.SetRunDagRun(ctx, dbgen.SetRunDagRunParams{OrgID: p.OrgID, ID: r.ID, DagRunID: o.DagRunID}); err != nil {
			return r, err
		}
		r.DagRunID = o.DagRunID
	}
	return r, nil
}

// Trigger is the trigger of a run a principal starts: api for an API key, manual otherwise.
func Trigger(p auth.Principal) string { return triggerOf(p) }
