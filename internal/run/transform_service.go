package run

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// Target types of transform runs.
const (
	TargetTransformation = "transformation"
	TargetJob            = "job"
)

// TransformSpec is what a transformation or job run does: a dbt command over a selection.
type TransformSpec struct {
	Command string
	Select  string
	Exclude string
	Threads int32
}

// TransformOptions are the choices of a transformation's run.
type TransformOptions struct {
	// Command is run, test or build.
	Command     string
	Downstream  bool
	FullRefresh bool
}

// TriggerTransformation creates a queued run of a model (its command over the model, and over
// its descendants with Downstream) and enqueues its job in the same transaction; 409 while the
// model has an active run.
func (s *Service) TriggerTransformation(ctx context.Context, p auth.Principal, id int64, opts TransformOptions) (dbgen.Run, error) {
	switch opts.Command {
	case "run", "test", "build":
	default:
		return dbgen.Run{}, apperr.Invalidf([]apperr.FieldError{{Field: "command", Message: "must be run, test or build"}}, "Choose what to run.")
	}
	var out dbgen.Run
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		t, err := q.GetTransformationForRun(ctx, dbgen.GetTransformationForRunParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No transformation %d.", id)
		}
		if err != nil {
			return err
		}
		sel := t.Name
		if opts.Downstream {
			sel += "+"
		}
		out, err = s.enqueueWith(ctx, q, tx, p, dbgen.CreateRunParams{
			OrgID: p.OrgID, TargetType: TargetTransformation, TargetID: t.ID, Trigger: triggerOf(p), Attempt: 1,
			FullRefresh: opts.FullRefresh, CreatedBy: userOf(p),
		}, &TransformSpec{Command: opts.Command, Select: sel, Threads: 4})
		return err
	})
	return out, err
}

// TriggerJob creates a queued run of a job with the job's command, selector and flags as they
// are now; 409 while the job has an active run.
func (s *Service) TriggerJob(ctx context.Context, p auth.Principal, id int64) (dbgen.Run, error) {
	var out dbgen.Run
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		j, err := q.GetJobForRun(ctx, dbgen.GetJobForRunParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No job %d.", id)
		}
		if err != nil {
			return err
		}
		out, err = s.enqueueWith(ctx, q, tx, p, dbgen.CreateRunParams{
			OrgID: p.OrgID, TargetType: TargetJob, TargetID: j.ID, Trigger: triggerOf(p), Attempt: 1,
			FullRefresh: j.FullRefresh, CreatedBy: userOf(p),
		}, &TransformSpec{Command: j.Command, Select: j.Select, Exclude: j.Exclude, Threads: j.Threads})
		return err
	})
	return out, err
}

// retryTransform runs a failed or cancelled transformation or job run again with its spec.
func (s *Service) retryTransform(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, r dbgen.Run) (dbgen.Run, error) {
	switch r.TargetType {
	case TargetTransformation:
		if _, err := q.GetTransformationForRun(ctx, dbgen.GetTransformationForRunParams{OrgID: p.OrgID, ID: r.TargetID}); errors.Is(err, pgx.ErrNoRows) {
			return dbgen.Run{}, apperr.Conflictf("The transformation of run %d was deleted.", r.ID)
		} else if err != nil {
			return dbgen.Run{}, err
		}
	case TargetJob:
		if _, err := q.GetJobForRun(ctx, dbgen.GetJobForRunParams{OrgID: p.OrgID, ID: r.TargetID}); errors.Is(err, pgx.ErrNoRows) {
			return dbgen.Run{}, apperr.Conflictf("The job of run %d was deleted.", r.ID)
		} else if err != nil {
			return dbgen.Run{}, err
		}
	}
	spec := TransformSpec{Command: "build", Threads: 4}
	if r.Command != nil {
		spec.Command = *r.Command
	}
	if r.Selector != nil {
		spec.Select = *r.Selector
	}
	if r.Exclude != nil {
		spec.Exclude = *r.Exclude
	}
	if r.Threads != nil {
		spec.Threads = *r.Threads
	}
	return s.enqueueWith(ctx, q, tx, p, dbgen.CreateRunParams{
		OrgID: p.OrgID, TargetType: r.TargetType, TargetID: r.TargetID, Trigger: TriggerRetry,
		Attempt: r.Attempt + 1, RetryOf: &r.ID, FullRefresh: r.FullRefresh, CreatedBy: userOf(p),
	}, &spec)
}

func triggerOf(p auth.Principal) string {
	if p.IsAPIKey() {
		return TriggerAPI
	}
	return TriggerManual
}

// Artifact returns a dbt artifact (run_results.json, manifest.json) a transformation or job run
// stored when it ended; NotFound before that, for other runs and for runs of other orgs.
func (s *Service) Artifact(ctx context.Context, p auth.Principal, runID int64, name string) ([]byte, error) {
	var out []byte
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		out, err = q.GetRunArtifact(ctx, dbgen.GetRunArtifactParams{OrgID: p.OrgID, RunID: runID, Name: name})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("Run %d has no %s (only transformation and job runs have one, once they end).", runID, name)
		}
		return err
	})
	return out, err
}
