package run

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/database"
)

// stateStore keeps a pipeline's incremental state in pipeline_state, one row per table. The
// engine calls Put only after the destination committed the table's rows, so a crash between
// the two re-reads rows rather than skipping them.
type stateStore struct {
	pool       *pgxpool.Pool
	orgID      int64
	pipelineID int64
}

// Get reads the high-water mark of a table. The pipeline name the engine passes is the one this
// store was made for ("pipeline-<id>"); rows are keyed by the id.
func (s *stateStore) Get(ctx context.Context, _, table string) (string, bool, error) {
	var v string
	err := database.InTx(ctx, s.pool, database.Scope{OrgID: s.orgID}, func(tx pgx.Tx) error {
		var err error
		v, err = dbgen.New(tx).GetPipelineState(ctx, dbgen.GetPipelineStateParams{OrgID: s.orgID, PipelineID: s.pipelineID, TableName: table})
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// Put saves a table's mark. The destination has committed by now: a cancellation arriving
// this instant must not lose the mark, so the write does not inherit ctx's cancellation.
func (s *stateStore) Put(ctx context.Context, _, table, value string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return database.InTx(ctx, s.pool, database.Scope{OrgID: s.orgID}, func(tx pgx.Tx) error {
		return dbgen.New(tx).PutPipelineState(ctx, dbgen.PutPipelineStateParams{
			OrgID: s.orgID, PipelineID: s.pipelineID, TableName: table, CursorValue: value})
	})
}
