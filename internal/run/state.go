package run

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/database"
)

// errMetadata marks a failure to reach the metadata database: a fault of the infrastructure,
// which River retries.
var errMetadata = errors.New("the metadata database is unreachable")

// stateStore keeps a copy of a pipeline's incremental state in pipeline_state, one row per
// table, for display; the destination's own state is what runs read (load.StateStore). Get is
// asked only for tables whose destination holds no state yet (cursors saved before destinations
// kept them).
type stateStore struct {
	pool       *pgxpool.Pool
	orgID      int64
	pipelineID int64
	// pause is WorkerConfig.Pause at "cursor write"; nil: none.
	pause func()
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
	if err != nil {
		return "", false, fmt.Errorf("%w: %w", errMetadata, err)
	}
	return v, true, nil
}

// Put saves a table's mark. The destination has committed by now: a cancellation arriving
// this instant must not lose the mark, so the write does not inherit ctx's cancellation.
func (s *stateStore) Put(ctx context.Context, _, table, value string) error {
	if s.pause != nil {
		s.pause()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return database.InTx(ctx, s.pool, database.Scope{OrgID: s.orgID}, func(tx pgx.Tx) error {
		return dbgen.New(tx).PutPipelineState(ctx, dbgen.PutPipelineStateParams{
			OrgID: s.orgID, PipelineID: s.pipelineID, TableName: table, CursorValue: value})
	})
}
