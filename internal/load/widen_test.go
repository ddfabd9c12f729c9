package load_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

// widenSource is a source table whose columns the tests then widen (int → bigint,
// numeric(10,2) → numeric(20,6), varchar(20) → text), with values only the wider types hold.
const widenSource = `CREATE SCHEMA IF NOT EXISTS src;
CREATE TABLE src.w (id int PRIMARY KEY, i int, n numeric(10,2), s varchar(20));
INSERT INTO src.w VALUES (1, 2147483647, 12345678.91, 'twenty characters!!!'), (2, -5, -0.01, NULL)`

const widenSourceWider = `ALTER TABLE src.w ALTER COLUMN i TYPE bigint, ALTER COLUMN n TYPE numeric(20,6), ALTER COLUMN s TYPE text;
UPDATE src.w SET n = n + 0.000001 WHERE id = 2;
INSERT INTO src.w VALUES (3, 9223372036854775807, 12345678901234.123456, repeat('long ', 20))`

// pgColumnTypes is format_type() of the columns of a destination table, by name.
func pgColumnTypes(t *testing.T, pg *dbtest.PG, table string) map[string]string {
	t.Helper()
	rows, err := pg.Conn.Query(context.Background(), `SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`, table)
	require.NoError(t, err)
	out := map[string]string{}
	for rows.Next() {
		var name, typ string
		require.NoError(t, rows.Scan(&name, &typ))
		out[name] = typ
	}
	require.NoError(t, rows.Err())
	return out
}

// pgSameValues says the destination holds exactly the source's rows (as text, so a rounded
// decimal or a cut string shows).
func pgSameValues(t *testing.T, pg *dbtest.PG, dst string) {
	t.Helper()
	require.Zero(t, pg.Count(t, `SELECT count(*) FROM (
  (SELECT id, i::text, n::text, s FROM src.w EXCEPT SELECT id, i::text, n::text, s FROM `+dst+`)
  UNION ALL (SELECT id, i::text, n::text, s FROM `+dst+` EXCEPT SELECT id, i::text, n::text, s FROM src.w)) d`))
}

func TestEvolve_WidensPostgresColumnsForAppendAndMerge(t *testing.T) {
	t.Parallel()
	for _, disposition := range []string{"append", "merge"} {
		t.Run(disposition, func(t *testing.T) {
			t.Parallel()
			pg := dbtest.NewPG(t)
			pg.Exec(t, widenSource)
			spec := load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), RunID: "r1",
				Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.w", "primary_key": "id", "write_disposition": "`+disposition+`"}`)}
			_, err := dbtest.RunLoad(t, spec)
			require.NoError(t, err)
			// The destination's text column is narrowed by hand to a varchar(20), as a user's table could be.
			pg.Exec(t, "ALTER TABLE raw.w ALTER COLUMN s TYPE varchar(20)")
			before := pgColumnTypes(t, pg, "raw.w")
			require.Equal(t, "character varying(20)", before["s"])

			pg.Exec(t, widenSourceWider)
			// freeze: fails naming the column and both types; the table is as it was.
			spec.RunID = "r2"
			spec.Config = dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.w", "primary_key": "id", "write_disposition": "`+disposition+
				`", "schema_contract": {"data_type": "freeze"}}`)
			_, err = dbtest.RunLoad(t, spec)
			require.ErrorIs(t, err, load.ErrContract)
			require.ErrorContains(t, err, `column "i" of "raw.w" is integer in the destination but bigint in the source`)
			require.Equal(t, int64(2), pg.Count(t, "SELECT count(*) FROM raw.w"))
			require.Equal(t, before, pgColumnTypes(t, pg, "raw.w"))

			// evolve: the columns widen in the publishing transaction and every value is exact.
			spec.Config = dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.w", "primary_key": "id", "write_disposition": "`+disposition+
				`", "verify": "checksum"}`)
			_, err = dbtest.RunLoad(t, spec)
			require.NoError(t, err)
			after := pgColumnTypes(t, pg, "raw.w")
			require.Equal(t, "bigint", after["i"])
			require.Equal(t, "numeric(20,6)", after["n"])
			require.Equal(t, "text", after["s"])
			if disposition == "merge" {
				require.Equal(t, int64(3), pg.Count(t, "SELECT count(*) FROM raw.w"))
				pgSameValues(t, pg, "raw.w")
			} else {
				require.Equal(t, int64(5), pg.Count(t, "SELECT count(*) FROM raw.w"))
				pgSameValues(t, pg, "(SELECT * FROM raw.w WHERE _dnk_run_id = 'r2') r")
				// The rows already there kept their values through the change of type.
				require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.w WHERE _dnk_run_id = 'r1' AND i = 2147483647 AND n = 12345678.91 AND s = 'twenty characters!!!'"))
			}
		})
	}
}

// The widening is part of the publishing transaction: a run failing after it (here a check
// constraint refusing the new rows) leaves the column types as they were.
func TestEvolve_FailedPublishLeavesPostgresTypesUnchanged(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, widenSource)
	spec := load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), RunID: "r1",
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.w"}`)}
	_, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	pg.Exec(t, "ALTER TABLE raw.w ADD CONSTRAINT few CHECK (id < 3)")
	before := pgColumnTypes(t, pg, "raw.w")
	pg.Exec(t, widenSourceWider)
	spec.RunID = "r2"
	_, err = dbtest.RunLoad(t, spec)
	require.ErrorContains(t, err, "few")
	require.Equal(t, before, pgColumnTypes(t, pg, "raw.w"))
	require.Equal(t, int64(2), pg.Count(t, "SELECT count(*) FROM raw.w"))

	// A type no column can hold exactly with the old one fails evolve too, before anything.
	pg.Exec(t, "ALTER TABLE raw.w DROP CONSTRAINT few", "ALTER TABLE raw.w ALTER COLUMN i TYPE timestamp USING NULL")
	_, err = dbtest.RunLoad(t, spec)
	require.ErrorIs(t, err, load.ErrContract)
	require.ErrorContains(t, err, `column "i" of "raw.w" is timestamp without time zone in the destination but bigint in the source, and no type holds both exactly`)
}

func TestEvolve_WidensMariaDBColumnsForAppendAndMerge(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, widenSource)
	for _, disposition := range []string{"append", "merge"} {
		my := dbtest.NewMyDest(t)
		types := func() map[string]string {
			rows, err := my.DB.QueryContext(context.Background(), `SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'w'`, my.Name)
			require.NoError(t, err)
			defer func() { _ = rows.Close() }()
			out := map[string]string{}
			for rows.Next() {
				var name, typ string
				require.NoError(t, rows.Scan(&name, &typ))
				out[name] = typ
			}
			require.NoError(t, rows.Err())
			return out
		}
		cfg := func(extra string) load.Config {
			return dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.w", "primary_key": "id", "write_disposition": "`+disposition+`"`+extra+`}`)
		}
		pg.Exec(t, "DROP TABLE src.w", widenSource)
		spec := my.Spec(pg.Endpoint(t), cfg(""))
		spec.RunID = "r1"
		_, err := dbtest.RunLoad(t, spec)
		require.NoError(t, err, disposition)
		my.Exec(t, "ALTER TABLE w MODIFY COLUMN s varchar(20)")
		before := types()
		require.Equal(t, "int(11)", before["i"], disposition)
		require.Equal(t, "decimal(10,2)", before["n"], disposition)

		pg.Exec(t, widenSourceWider)
		spec.RunID = "r2"
		spec.Config = cfg(`, "schema_contract": {"data_type": "freeze"}`)
		_, err = dbtest.RunLoad(t, spec)
		require.ErrorIs(t, err, load.ErrContract, disposition)
		require.ErrorContains(t, err, `column "i" of "`+my.Name+`.w" is int(11) in the destination but bigint in the source`)
		require.Equal(t, int64(2), my.Count(t, "SELECT COUNT(*) FROM w"), disposition)
		require.Equal(t, before, types(), disposition)

		spec.Config = cfg(`, "verify": "checksum"`)
		_, err = dbtest.RunLoad(t, spec)
		require.NoError(t, err, disposition)
		after := types()
		require.Equal(t, "bigint(20)", after["i"], disposition)
		require.Equal(t, "decimal(20,6)", after["n"], disposition)
		require.Equal(t, "longtext", after["s"], disposition)
		want := int64(3)
		if disposition == "append" {
			want = 5
		}
		require.Equal(t, want, my.Count(t, "SELECT COUNT(*) FROM w"), disposition)
		require.Equal(t, int64(1), my.Count(t, `SELECT COUNT(*) FROM w WHERE _dnk_run_id = 'r2' AND id = 3 AND i = 9223372036854775807
			AND CAST(n AS CHAR) = '12345678901234.123456' AND s = REPEAT('long ', 20)`), disposition)
		require.Equal(t, int64(1), my.Count(t, `SELECT COUNT(*) FROM w WHERE _dnk_run_id = 'r2' AND id = 2 AND CAST(n AS CHAR) = '-0.009999'`), disposition)
		if disposition == "append" {
			require.Equal(t, int64(1), my.Count(t, `SELECT COUNT(*) FROM w WHERE _dnk_run_id = 'r1' AND i = 2147483647
				AND CAST(n AS CHAR) = '12345678.910000' AND s = 'twenty characters!!!'`))
		}
	}
}

// A replace into a schema that does not exist yet, cancelled during the copy, leaves no empty
// schema behind: the schema is created in the transaction the swap would commit.
func TestReplace_CancelledFirstRunLeavesNoSchema(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.big (id int PRIMARY KEY, pad text)",
		"INSERT INTO src.big SELECT g, repeat('x', 100) FROM generate_series(1, 100000) g")
	for _, verify := range []string{"count", "checksum"} { // binary COPY passed through, and decoded
		cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.big", "write_disposition": "replace", "batch_size": 1000, "verify": "`+verify+`"}`)
		ctx, cancel := context.WithCancel(context.Background())
		var once bool
		_, err := load.Run(ctx, load.Spec{Pipeline: "p", Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg,
			DestinationSchema: "fresh"}, nil, func(p load.Progress) {
			if p.RowsRead >= 10000 && !once {
				once = true
				cancel()
			}
		})
		cancel()
		require.True(t, errors.Is(err, context.Canceled), "%s: %v", verify, err)
		require.Zero(t, pg.Count(t, "SELECT count(*) FROM pg_namespace WHERE nspname = 'fresh'"), verify)
	}
}

// A parallel replace commits its new table early (so several connections can COPY into it);
// a killed run leaves it behind. The next replace into the schema drops such a table, unless
// a live session holds its lock.
func TestReplace_SweepsNewTablesLeftByACrash(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	ctx := context.Background()
	// Large enough for progress reports (every 10,000 rows of a range) during the copy.
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.big (id bigint PRIMARY KEY, pad text)",
		"INSERT INTO src.big SELECT g, 'row ' || g FROM generate_series(1, 100000) g", "ANALYZE src.big",
		"CREATE SCHEMA raw", "CREATE TABLE raw._dnk_new_0123456789ab (id bigint)",
		"CREATE TABLE raw._dnk_new_live00000000 (id bigint)")
	live, err := pgx.Connect(ctx, pg.URL)
	require.NoError(t, err)
	defer func() { _ = live.Close(ctx) }()
	var locked bool
	require.NoError(t, live.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('datanika.stage'), hashtext('"raw"."_dnk_new_live00000000"'))`).Scan(&locked))
	require.True(t, locked)

	spec, logs := parallelSpec(pg, t, `{"mode": "single_table", "table": "src.big", "write_disposition": "replace"}`)
	spec.Pipeline, spec.DestinationSchema = "p", "raw"
	// During the copy the run's own new table is committed, and locked by the run's session.
	other, err := pgx.Connect(ctx, pg.URL)
	require.NoError(t, err)
	defer func() { _ = other.Close(ctx) }()
	var sawLocked []bool
	_, err = load.Run(ctx, spec, nil, func(pr load.Progress) {
		if len(sawLocked) > 0 || pr.RowsRead == 0 { // 0: the table starts, before its new table exists
			return
		}
		var name string
		if other.QueryRow(ctx, `SELECT relname::text FROM pg_class WHERE relnamespace = 'raw'::regnamespace
			AND starts_with(relname, '_dnk_new_') AND relname <> '_dnk_new_live00000000'`).Scan(&name) != nil {
			return // not shared yet
		}
		var free bool
		require.NoError(t, other.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('datanika.stage'), hashtext($1))`,
			pgx.Identifier{"raw", name}.Sanitize()).Scan(&free))
		sawLocked = append(sawLocked, !free)
	})
	require.NoError(t, err)
	require.Contains(t, logs.String(), "parallel copy")
	require.Equal(t, []bool{true}, sawLocked)
	require.Equal(t, []string{"_dnk_new_live00000000", "big"}, tableNames(t, pg, "raw"))
}

// Under data_type discard_value or discard_row a column whose type differs is not changed:
// each value it would not hold exactly is nulled, or drops its row, and is kept in
// _dnk_rejected with the reason; values that fit arrive as they are.
func TestDiscard_ValuesTheDestinationTypeCannotHold(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"discard_value", "discard_row"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			pg := dbtest.NewPG(t)
			pg.Exec(t, widenSource)
			spec := load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), RunID: "r1",
				Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.w"}`)}
			_, err := dbtest.RunLoad(t, spec)
			require.NoError(t, err)
			pg.Exec(t, "ALTER TABLE raw.w ALTER COLUMN s TYPE varchar(20)", "DELETE FROM raw.w", widenSourceWider,
				// fits everywhere, once widened by the source
				"INSERT INTO src.w VALUES (4, 7, 1.5, 'short')")
			before := pgColumnTypes(t, pg, "raw.w")
			spec.RunID = "r2"
			spec.Config = dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.w", "verify": "checksum", "schema_contract": {"data_type": "`+mode+`"}}`)
			res, err := dbtest.RunLoad(t, spec)
			require.NoError(t, err)
			require.Equal(t, before, pgColumnTypes(t, pg, "raw.w"))
			// Row 2's n has six decimals (numeric(10,2) would round it); row 3 fits nowhere.
			if mode == "discard_value" {
				require.Equal(t, int64(4), res.Tables[0].RowsWritten)
				require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.w WHERE id = 2 AND i = -5 AND n IS NULL"))
				require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.w WHERE id = 3 AND i IS NULL AND n IS NULL AND s IS NULL"))
			} else {
				require.Equal(t, int64(2), res.Tables[0].RowsWritten)
				require.Equal(t, []int64{1, 4}, pgIDs(t, pg, "raw.w"))
			}
			require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.w WHERE id = 1 AND i = 2147483647 AND n = 12345678.91 AND s = 'twenty characters!!!'"))
			require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.w WHERE id = 4 AND i = 7 AND n = 1.5 AND s = 'short'"))
			require.Equal(t, int64(2), res.Tables[0].RowsRejected)
			require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw._dnk_rejected WHERE run_id = 'r2' AND column_name = 'n'
				AND reason = '`+mode+`: column "n": the value does not fit the destination''s numeric(10,2)' AND "row"->>'id' = '2'`))
			require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw._dnk_rejected WHERE run_id = 'r2' AND "row"->>'id' = '3'`))
		})
	}
}

func pgIDs(t *testing.T, pg *dbtest.PG, table string) []int64 {
	t.Helper()
	rows, err := pg.Conn.Query(context.Background(), "SELECT id::int8 FROM "+table+" ORDER BY id")
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	return ids
}
