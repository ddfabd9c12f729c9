package pgload_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
	"github.com/datanika/datanika/internal/load/pgload"
)

// A whole-table merge into a table that holds most of it stages only the rows that differ
// (a delta); the result must be exactly the plain merge's — every changed value, new row and
// NULL, the unchanged rows untouched — and a row the source dropped stays, as merge never deletes.
func TestMerge_DeltaGivesExactlyWhatThePlainMergeGives(t *testing.T) {
	pg := dbtest.NewPG(t)
	const n = 60000 // above deltaMergeMinRows
	pg.Exec(t, `CREATE SCHEMA src`,
		`CREATE TABLE src.items (id bigint PRIMARY KEY, name text, price numeric(12,2), seen timestamptz, ok bool, doc jsonb, raw bytea, n float8)`,
		`INSERT INTO src.items SELECT g, 'item ' || g || E'\t\\\n' || chr(128512), g * 1.25, '2024-01-01Z'::timestamptz + g * interval '1 minute',
		 g % 2 = 0, jsonb_build_object('g', g, 'a', 'x'), decode(lpad(to_hex(g), 8, '0'), 'hex'), g / 7.0 FROM generate_series(1, 60000) g`)
	cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.items", "write_disposition": "merge", "primary_key": "id"}`)
	for _, schema := range []string{"delta", "plain"} {
		_, err := dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg, RunID: "first", DestinationSchema: schema})
		require.NoError(t, err)
	}
	pg.Exec(t, `UPDATE src.items SET name = 'changed ' || id WHERE id % 10 = 0`,
		`UPDATE src.items SET price = NULL, ok = NULL WHERE id % 97 = 0`,
		`UPDATE src.items SET doc = '{"a": "x", "g": 0}' WHERE id % 89 = 0`,
		`UPDATE src.items SET doc = jsonb_build_object('a', 'x', 'g', id) WHERE id % 83 = 0`, // the same value, written again
		`UPDATE src.items SET price = price + 0.001 WHERE id % 79 = 0`,                       // rounds back to the same numeric(12,2)
		`UPDATE src.items SET raw = NULL, n = 'NaN' WHERE id % 71 = 0`,
		`DELETE FROM src.items WHERE id % 1000 = 1`,
		`INSERT INTO src.items SELECT g, 'new ' || g, g, now(), true, '{}', '\x00', 0 FROM generate_series(60001, 63000) g`,
		`ANALYZE src.items`)

	before := pgload.DeltaMerges()
	res, err := dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg, RunID: "second", DestinationSchema: "delta"})
	require.NoError(t, err)
	require.Equal(t, before+1, pgload.DeltaMerges(), "the merge was staged as a delta")
	deltaRows := res.Tables[0].RowsWritten
	pgload.ForceNoDeltaMerge(true)
	res, err = dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg, RunID: "second", DestinationSchema: "plain"})
	pgload.ForceNoDeltaMerge(false)
	require.NoError(t, err)
	require.Equal(t, before+1, pgload.DeltaMerges(), "switched off")
	require.Equal(t, res.Tables[0].RowsWritten, deltaRows, "both count every row merged")
	require.Equal(t, int64(n-60+3000), deltaRows)

	cols := `id, name, price, seen, ok, doc, raw, n, _dnk_run_id`
	require.Equal(t, int64(0), pg.Count(t, `SELECT count(*) FROM ((SELECT `+cols+` FROM delta.items EXCEPT SELECT `+cols+` FROM plain.items)
		UNION ALL (SELECT `+cols+` FROM plain.items EXCEPT SELECT `+cols+` FROM delta.items)) d`), "the delta merge equals the plain one")
	require.Equal(t, int64(n+3000), pg.Count(t, `SELECT count(*) FROM delta.items`), "rows the source dropped stay")
	require.Equal(t, int64(0), pg.Count(t, `SELECT count(*) FROM (SELECT id, name, price, seen, ok, doc, raw, n FROM src.items
		EXCEPT SELECT id, name, price, seen, ok, doc, raw, n FROM delta.items) d`), "every source row arrived")
	var changed int64
	require.NoError(t, pg.Conn.QueryRow(context.Background(), `SELECT count(*) FROM delta.items WHERE _dnk_run_id = 'second'`).Scan(&changed))
	require.Less(t, changed, int64(12000), "only changed and new rows were written")
	require.Greater(t, changed, int64(9000))
}

// A delta merge cancelled while it walks the two tables leaves the target exactly as it was,
// and releases its lock (another writer gets through at once).
func TestMerge_DeltaCancelledMidwayChangesNothing(t *testing.T) {
	pg := dbtest.NewPG(t)
	pg.Exec(t, `CREATE SCHEMA src`, `CREATE TABLE src.items (id int PRIMARY KEY, v text)`,
		`INSERT INTO src.items SELECT g, 'v' || g FROM generate_series(1, 80000) g`)
	cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.items", "write_disposition": "merge", "primary_key": "id"}`)
	_, err := dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg, RunID: "first"})
	require.NoError(t, err)
	pg.Exec(t, `UPDATE src.items SET v = 'changed' WHERE id % 3 = 0`, `ANALYZE src.items`)
	before := pg.Count(t, `SELECT sum(hashtext(id || v || _dnk_run_id)) FROM raw.items`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deltas := pgload.DeltaMerges()
	_, err = load.Run(ctx, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg, RunID: "second",
		Pipeline: "test", DestinationSchema: "raw"}, nil, func(p load.Progress) {
		if p.RowsRead >= 20000 {
			cancel()
		}
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, deltas, pgload.DeltaMerges(), "the delta did not complete")
	require.Equal(t, before, pg.Count(t, `SELECT sum(hashtext(id || v || _dnk_run_id)) FROM raw.items`), "the target is as it was")
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	_, err = pg.Conn.Exec(wctx, `UPDATE raw.items SET v = v WHERE id = 1`)
	require.NoError(t, err, "no lock is left behind")

	// The same run, not cancelled, is a delta (so the cancelled one was cut inside one) and
	// completes the merge.
	_, err = dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg, RunID: "second"})
	require.NoError(t, err)
	require.Equal(t, deltas+1, pgload.DeltaMerges())
	require.Equal(t, int64(80000/3), pg.Count(t, `SELECT count(*) FROM raw.items WHERE v = 'changed'`))
}
