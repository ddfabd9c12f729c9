package pgload_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

// Several pipelines loading into one schema that does not exist yet, at the same time, all
// succeed: CREATE SCHEMA / CREATE TABLE IF NOT EXISTS race (the second to commit fails on the
// catalog's unique index) and the loser must not fail its run. A regression: 20 tiny pipelines
// started together failed with "duplicate key value violates unique constraint
// pg_namespace_nspname_index".
func TestConcurrentLoads_IntoOneNewSchemaAllSucceed(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	const n = 8
	pg.Exec(t, "CREATE SCHEMA src")
	for i := range n {
		pg.Exec(t, fmt.Sprintf("CREATE TABLE src.t%d (id int PRIMARY KEY, v int, seq int)", i),
			fmt.Sprintf("INSERT INTO src.t%d SELECT g, g, g FROM generate_series(1, 100) g", i))
	}
	for round, mode := range []string{"replace", "append", "merge"} {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				incremental := `, "incremental": {"cursor_path": "seq"}` // the state table is created at once too
				if mode == "replace" {
					incremental = ""
				}
				cfg := dbtest.MustConfig(t, fmt.Sprintf(`{"mode": "single_table", "table": "src.t%d", "write_disposition": %q, "primary_key": "id"%s}`,
					i, mode, incremental))
				_, errs[i] = dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg,
					DestinationSchema: fmt.Sprintf("fresh_%d", round), Pipeline: fmt.Sprintf("p%d", i)})
			})
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "%s, table %d", mode, i)
			require.Equal(t, int64(100), pg.Count(t, fmt.Sprintf("SELECT count(*) FROM fresh_%d.t%d", round, i)))
		}
	}
}
