package pgload_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
	"github.com/datanika/datanika/internal/load/pgload"
)

// mergeScenario loads src.items (a primary key, so no duplicate keys) into raw.items, changes
// some rows, adds some, and merges again: changed rows take the new values and the second run's
// id, unchanged rows keep the first run's, new rows arrive, nothing is duplicated.
func mergeScenario(t *testing.T, pg *dbtest.PG) {
	t.Helper()
	pg.Exec(t, `CREATE SCHEMA src`,
		`CREATE TABLE src.items ("Item Id" int, "select" text, price numeric(12,2), tags jsonb, seen timestamptz, ok bool,
		 PRIMARY KEY ("Item Id"))`,
		`INSERT INTO src.items SELECT g, 'item ' || g, g * 1.25, jsonb_build_object('g', g), '2024-01-01Z'::timestamptz + g * interval '1 hour', g % 2 = 0
		 FROM generate_series(1, 1000) g`)
	cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.items", "write_disposition": "merge", "primary_key": "Item Id"}`)
	spec := load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg, RunID: "first"}
	res, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(1000), res.Tables[0].RowsWritten)

	pg.Exec(t, `UPDATE src.items SET "select" = 'changed' WHERE "Item Id" % 10 = 0`,
		`UPDATE src.items SET price = NULL WHERE "Item Id" = 7`,
		`UPDATE src.items SET tags = '{"g": "x"}' WHERE "Item Id" = 8`,
		`INSERT INTO src.items SELECT g, 'new ' || g, g, NULL, NULL, NULL FROM generate_series(1001, 1050) g`)
	spec.RunID = "second"
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(1050), res.Tables[0].RowsWritten, "rows merged: every staged row")

	require.Equal(t, int64(1050), pg.Count(t, `SELECT count(*) FROM raw.items`))
	require.Equal(t, int64(1050), pg.Count(t, `SELECT count(DISTINCT item_id) FROM raw.items`))
	require.Equal(t, int64(0), pg.Count(t, `SELECT count(*) FROM (SELECT item_id, "select", price, tags, seen, ok FROM raw.items
		EXCEPT SELECT "Item Id", "select", price, tags, seen, ok FROM src.items) d`), "the merged table equals the source")
	require.Equal(t, int64(100+2+50), pg.Count(t, `SELECT count(*) FROM raw.items WHERE _dnk_run_id = 'second'`),
		"changed and new rows are written by the second run")
	require.Equal(t, int64(0), pg.Count(t, `SELECT count(*) FROM raw.items WHERE _dnk_run_id = 'second' AND item_id % 10 <> 0
		AND item_id NOT IN (7, 8) AND item_id <= 1000`), "unchanged rows are left alone")

	// The same run published again (a retry) leaves the table as it is.
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(1050), pg.Count(t, `SELECT count(*) FROM raw.items`))
	require.Equal(t, int64(152), pg.Count(t, `SELECT count(*) FROM raw.items WHERE _dnk_run_id = 'second'`))
}

func TestMerge_UpdatesChangedRowsInsertsNewOnesAndLeavesTheRest(t *testing.T) {
	t.Parallel()
	mergeScenario(t, dbtest.NewPG(t))
}

func TestMerge_BeforePostgres15UpdatesThenInserts(t *testing.T) {
	pgload.ForceLegacyMerge(true)
	defer pgload.ForceLegacyMerge(false)
	mergeScenario(t, dbtest.NewPG(t))
}

// A target column made by hand with a type of its own (json, which has no equality) is compared
// by text: the merge still works.
func TestMerge_TargetColumnOfAnotherTypeIsComparedAsText(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, `CREATE SCHEMA src`, `CREATE TABLE src.docs (id int PRIMARY KEY, body jsonb)`,
		`INSERT INTO src.docs VALUES (1, '{"a": 1}'), (2, '{"b": 2}')`,
		`CREATE SCHEMA raw`, `CREATE TABLE raw.docs (id int PRIMARY KEY, body json, _dnk_loaded_at timestamptz, _dnk_run_id text)`,
		`INSERT INTO raw.docs VALUES (1, '{"a": 1}', now(), 'old'), (3, '{"c": 3}', now(), 'old')`)
	cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.docs", "write_disposition": "merge", "primary_key": "id"}`)
	_, err := dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg, RunID: "r"})
	require.NoError(t, err)
	var got string
	require.NoError(t, pg.Conn.QueryRow(context.Background(), `SELECT string_agg(id || '=' || body::text, ' ' ORDER BY id) FROM raw.docs`).Scan(&got))
	require.Equal(t, `1={"a": 1} 2={"b": 2} 3={"c": 3}`, got)
}

// Duplicate keys in one load with an existing target (the source has no key): the last row
// read wins, on both paths.
func TestMerge_DuplicatesIntoAnExistingTable(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		pgload.ForceLegacyMerge(legacy)
		pg := dbtest.NewPG(t)
		pg.Exec(t, `CREATE SCHEMA src`, `CREATE TABLE src.ev (k text, v text, seq int)`,
			`INSERT INTO src.ev VALUES ('a', 'a1', 1), ('b', 'b1', 2)`)
		cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.ev", "write_disposition": "merge", "primary_key": "k",
			"incremental": {"cursor_path": "seq"}}`)
		spec := load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg}
		_, err := dbtest.RunLoad(t, spec)
		require.NoError(t, err)
		pg.Exec(t, `INSERT INTO src.ev VALUES ('a', 'a2', 3), ('c', 'c1', 4), ('a', 'a3', 5), ('c', 'c2', 6)`)
		res, err := dbtest.RunLoad(t, spec)
		require.NoError(t, err)
		require.Equal(t, int64(2), res.Tables[0].RowsWritten, "two distinct keys merged")
		var got string
		require.NoError(t, pg.Conn.QueryRow(context.Background(), `SELECT string_agg(k || '=' || v, ' ' ORDER BY k) FROM raw.ev`).Scan(&got))
		require.Equal(t, "a=a3 b=b1 c=c2", got, "legacy=%v", legacy)
	}
	pgload.ForceLegacyMerge(false)
}
