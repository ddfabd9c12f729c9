package load_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

// TestRun_MemoryIsBoundedByTheBatchNotTheTable streams a table several times larger than the
// heap it is allowed: the live heap, sampled after every tenth batch, stays far below the table.
// It does not run in parallel: the heap is the whole process's, and other tests' allocations
// would be counted as the loader's.
func TestRun_MemoryIsBoundedByTheBatchNotTheTable(t *testing.T) {
	pg := dbtest.NewPG(t)
	// 100,000 rows of ~300 bytes: about 30 MB of data.
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.wide (id bigint PRIMARY KEY, pad text)",
		"INSERT INTO src.wide SELECT g, repeat(md5(g::text), 9) FROM generate_series(1, 100000) g")
	// verify none takes the PostgreSQL-to-PostgreSQL raw COPY path; checksum decodes every row.
	for _, verify := range []string{"none", "checksum"} {
		cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.wide", "write_disposition": "replace", "batch_size": 2000, "verify": "`+verify+`"}`)
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak uint64
		batches := 0
		res, err := load.Run(context.Background(), load.Spec{Pipeline: "m", Source: pg.Endpoint(t), Destination: pg.Endpoint(t),
			DestinationSchema: "raw", Config: cfg}, nil, func(p load.Progress) {
			batches++
			if batches%10 != 0 {
				return
			}
			runtime.GC() // live heap, not garbage waiting for the next cycle
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
		})
		require.NoError(t, err, verify)
		t.Logf("verify %s: %d MB read; heap: base %d MB, peak %d MB", verify, res.Tables[0].Bytes>>20, base.HeapAlloc>>20, peak>>20)
		require.Equal(t, int64(100000), res.RowsLoaded)
		require.Greater(t, res.Tables[0].Bytes, int64(27<<20))
		require.NotZero(t, peak, "the heap was never sampled")
		// A loader holding the table would need well over 30 MB.
		require.Less(t, peak, base.HeapAlloc+20<<20, "verify %s: peak heap %d MB over a base of %d MB", verify, peak>>20, base.HeapAlloc>>20)
	}
}
