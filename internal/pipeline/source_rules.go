package pipeline

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/load"
)

// sourceConfigErrors are the fields of a valid, normalized config that the pipeline's source
// connection cannot use (load.SourceConfigErrors), so that they answer 422 when the pipeline is
// saved rather than fail its first run. A source that useConnection refused adds nothing here.
func sourceConfigErrors(ctx context.Context, q *dbgen.Queries, orgID, sourceID int64, cfg map[string]any) ([]apperr.FieldError, error) {
	row, err := q.LockPipelineConnection(ctx, dbgen.LockPipelineConnectionParams{OrgID: orgID, ID: sourceID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil // a missing source is useConnection's to report
	}
	if err != nil {
		return nil, err
	}
	parsed, err := load.ValidateConfig(cfg)
	if err != nil {
		return nil, nil //nolint:nilerr // an invalid config is Normalize's to report
	}
	return load.SourceConfigErrors(row.Type, parsed), nil
}
