package pgload_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

const allTypesPG = `CREATE TABLE src.all_types (
  id bigint PRIMARY KEY, i2 smallint, i4 integer, d numeric(38,10), dn numeric, f4 real, f8 double precision,
  b boolean, t text, vc varchar(20), by bytea, dt date, tm time, ts timestamp, tstz timestamptz,
  iv interval, j json, jb jsonb, u uuid, arr integer[], tarr text[], en src.mood, ip inet)`

func TestRun_PostgresToPostgresKeepsEveryTypeExactly(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TYPE src.mood AS ENUM ('sad', 'happy')", allTypesPG,
		`INSERT INTO src.all_types VALUES
 (1, -32768, 2147483647, 1234567890123456789012345678.0123456789, 0.000000000000000000001, 1.5, 2.718281828459045,
  true, repeat('ü€😀', 100000), 'x', '\x00ff10'::bytea, '2024-02-29', '23:59:59.999999', '1999-12-31 23:59:59.123456',
  '2024-06-01 12:00:00+02', '1 year 2 mons 3 days 04:05:06.7', '{"b": 1, "a": [1, 2.50]}', '{"z": null, "a": "é"}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,2,NULL}', '{"a b","c"}', 'happy', '10.0.0.1/8'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, 0, 0, -0.0000000001, -5, '-Infinity', 'NaN', false, '', '', '', '0001-01-01', '00:00', '0001-01-01 00:00', '1970-01-01 00:00Z',
  '-1 day', '[]', '{}', '00000000-0000-0000-0000-000000000000', '{}', '{}', 'sad', '::1')`)
	// verify=checksum decodes every value; verify=count passes binary COPY data through.
	for _, verify := range []string{"checksum", "count"} {
		schema := "raw_" + verify
		cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.all_types", "write_disposition": "replace", "verify": "`+verify+`"}`)
		res, err := dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg, DestinationSchema: schema})
		require.NoError(t, err)
		require.Equal(t, load.StatusSuccess, res.Status)
		require.Len(t, res.Tables, 1)
		require.Equal(t, int64(3), res.Tables[0].RowsRead)
		require.Equal(t, int64(3), res.Tables[0].RowsWritten)

		// Every column compares equal as text (arrays arrive as JSON).
		var diffs int64
		require.NoError(t, pg.Conn.QueryRow(context.Background(), `
	SELECT count(*) FROM src.all_types s JOIN `+schema+`.all_types d USING (id)
	WHERE (s.i2, s.i4, s.d, s.dn, s.f4, s.f8, s.b, s.t, s.vc, s.by, s.dt, s.tm, s.ts, s.tstz, s.iv, s.jb, s.u, s.en::text, s.ip::text)
	  IS DISTINCT FROM (d.i2, d.i4, d.d, d.dn, d.f4, d.f8, d.b, d.t, d.vc, d.by, d.dt, d.tm, d.ts, d.tstz, d.iv, d.jb, d.u, d.en, d.ip)
	  OR s.j::jsonb IS DISTINCT FROM d.j OR to_jsonb(s.arr) IS DISTINCT FROM d.arr OR to_jsonb(s.tarr) IS DISTINCT FROM d.tarr`).Scan(&diffs))
		require.Zero(t, diffs)
		var d string
		require.NoError(t, pg.Conn.QueryRow(context.Background(), "SELECT d::text FROM "+schema+".all_types WHERE id = 1").Scan(&d))
		require.Equal(t, "1234567890123456789012345678.0123456789", d)
		var typ string
		require.NoError(t, pg.Conn.QueryRow(context.Background(),
			"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '"+schema+".all_types'::regclass AND attname = 'd'").Scan(&typ))
		require.Equal(t, "numeric(38,10)", typ)
		// The primary key came along, and the loader's columns are there.
		require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM pg_constraint WHERE conrelid = '`+schema+`.all_types'::regclass AND contype = 'p'`))
		require.Equal(t, int64(3), pg.Count(t, `SELECT count(*) FROM `+schema+`.all_types WHERE _dnk_run_id IS NOT NULL AND _dnk_loaded_at IS NOT NULL`))
	}
}

// Views, materialized views and partitioned tables are sources too: COPY cannot read them by
// name, so they are read through a query (a regression: an unfiltered view failed with
// "cannot copy from view").
func TestRun_PostgresViewsAndPartitionedTablesAreSources(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.base (id int PRIMARY KEY, v text)",
		"INSERT INTO src.base SELECT g, 'v' || g FROM generate_series(1, 50) g",
		"CREATE VIEW src.a_view AS SELECT id, v FROM src.base WHERE id <= 20",
		"CREATE MATERIALIZED VIEW src.a_matview AS SELECT id, v FROM src.base WHERE id > 40",
		"CREATE TABLE src.parted (id int, v text) PARTITION BY RANGE (id)",
		"CREATE TABLE src.parted_low PARTITION OF src.parted FOR VALUES FROM (0) TO (25)",
		"CREATE TABLE src.parted_high PARTITION OF src.parted FOR VALUES FROM (25) TO (100)",
		"INSERT INTO src.parted SELECT id, v FROM src.base")
	for _, c := range []struct {
		table string
		rows  int64
	}{{"a_view", 20}, {"a_matview", 10}, {"parted", 50}} {
		for _, verify := range []string{"count", "checksum"} {
			cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.`+c.table+`", "write_disposition": "replace", "verify": "`+verify+`"}`)
			res, err := dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg})
			require.NoError(t, err, "%s, verify %s", c.table, verify)
			require.Equal(t, c.rows, res.RowsLoaded, c.table)
			require.Equal(t, c.rows, pg.Count(t, "SELECT count(*) FROM raw."+c.table), c.table)
		}
	}
}
