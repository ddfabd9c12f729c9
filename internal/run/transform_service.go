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
