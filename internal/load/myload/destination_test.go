package myload_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
	"github.com/datanika/datanika/internal/load/myload"
	"github.com/datanika/datanika/internal/testutil"
)

// The swap itself is in the conformance suite (TestConformance_MariaDB); this is MySQL's own:
// the bulk load's defaults do not stay on the loader's columns.
func TestMySQLDestination_ReplaceLeavesNoDefaultOnTheLoaderColumns(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.items (id int PRIMARY KEY, name text)",
		"INSERT INTO src.items SELECT g, 'n' || g FROM generate_series(1, 50) g")
	my := dbtest.NewMyDest(t)
	_, err := dbtest.RunLoad(t, my.Spec(pg.Endpoint(t), dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.items", "write_disposition": "replace"}`)))
	require.NoError(t, err)
	require.Equal(t, int64(50), my.Count(t, "SELECT COUNT(*) FROM items"))
	require.Equal(t, int64(2), my.Count(t, `SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'items'
		AND COLUMN_NAME LIKE '\_dnk\_%'`, my.Name))
	require.Zero(t, my.Count(t, `SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'items'
		AND COLUMN_NAME LIKE '\_dnk\_%' AND COLUMN_DEFAULT IS NOT NULL`, my.Name))
}

func TestMySQLDestination_IncrementalStateIsKeptInTheDatabase(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.log (id int PRIMARY KEY, at timestamptz)",
		`INSERT INTO src.log SELECT g, timestamptz '2024-01-01 00:00Z' + g * interval '1 minute' FROM generate_series(1, 100) g`)
	my := dbtest.NewMyDest(t)
	spec := my.Spec(pg.Endpoint(t), dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.log", "write_disposition": "merge", "primary_key": "id",
		"incremental": {"cursor_path": "at", "initial_value": "2024-01-01T01:00:00Z", "lag": "10m"}}`))
	res, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(41), res.Tables[0].RowsRead) // minutes 60..100, initial_value inclusive
	state := func() string {
		var s string
		require.NoError(t, my.DB.QueryRowContext(context.Background(),
			"SELECT cursor_value FROM _dnk_state WHERE pipeline = 'test' AND table_name = 'src.log'").Scan(&s))
		return s
	}
	require.Equal(t, "2024-01-01T01:40:00Z", state())

	pg.Exec(t, "INSERT INTO src.log VALUES (101, '2024-01-01 01:41Z')")
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(12), res.Tables[0].RowsRead) // the lag re-reads 01:30..01:41
	require.Equal(t, int64(42), my.Count(t, "SELECT COUNT(*) FROM log"))
	require.Equal(t, "2024-01-01T01:41:00Z", state())
	var at string
	require.NoError(t, my.DB.QueryRowContext(context.Background(), "SELECT CAST(at AS CHAR) FROM log WHERE id = 101").Scan(&at))
	require.Equal(t, "2024-01-01 01:41:00.000000", at) // instants are stored in UTC

	spec.FullRefresh = true
	pg.Exec(t, "DELETE FROM src.log WHERE id > 90")
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(31), res.Tables[0].RowsRead)
	require.Equal(t, int64(31), my.Count(t, "SELECT COUNT(*) FROM log"))
	require.Equal(t, "2024-01-01T01:30:00Z", state())
}

const allTypesForMySQL = `CREATE TABLE src.all_types (
  id bigint PRIMARY KEY, i2 smallint, i4 integer, d numeric(38,10), dn numeric, f4 real, f8 double precision,
  b boolean, t text, vc varchar(20), by bytea, dt date, tm time, ts timestamp, tstz timestamptz,
  iv interval, j json, jb jsonb, u uuid, arr integer[], tarr text[], en src.mood, ip inet)`

// checkPostgresTypesIntoMariaDB loads every PostgreSQL type into MariaDB (verify=checksum
// compares every value) and reads the values back as MariaDB stores them.
func checkPostgresTypesIntoMariaDB(t *testing.T) {
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TYPE src.mood AS ENUM ('sad', 'happy')", allTypesForMySQL,
		`INSERT INTO src.all_types VALUES
 (1, -32768, 2147483647, 1234567890123456789012345678.0123456789, 0.000000000000000000001, 1.5, 2.718281828459045,
  true, repeat('ü€😀', 100000), 'x', '\x00ff095c0a4e'::bytea, '2024-02-29', '23:59:59.999999', '1999-12-31 23:59:59.123456',
  '2024-06-01 12:00:00+02', '1 year 2 mons 3 days 04:05:06.7', '{"b": 1, "a": [1, 2.50]}', '{"z": null, "a": "é"}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,2,NULL}', '{"a b","c"}', 'happy', '10.0.0.1/8'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, 0, 0, -0.0000000001, -5, -0.1, 1e300, false, E'tab\there\nnew\\N line\\\\ \r', '', '', '0001-01-01', '00:00', '0001-01-01 00:00', '1970-01-01 00:00Z',
  '-1 day -00:00:01.5', '[]', '{}', '00000000-0000-0000-0000-000000000000', '{}', '{}', 'sad', '::1')`)
	my := dbtest.NewMyDest(t)
	res, err := dbtest.RunLoad(t, my.Spec(pg.Endpoint(t), dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.all_types",
		"write_disposition": "replace", "verify": "checksum"}`)))
	require.NoError(t, err)
	require.Equal(t, int64(3), res.RowsLoaded)

	ctx := context.Background()
	types := map[string]string{}
	func() {
		rows, err := my.DB.QueryContext(ctx, `SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'all_types'`, my.Name)
		require.NoError(t, err)
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			var n, typ string
			require.NoError(t, rows.Scan(&n, &typ))
			types[n] = typ
		}
		require.NoError(t, rows.Err())
	}()
	cols := []string{"i2", "i4", "d", "dn", "f4", "f8", "b", "vc", "by", "dt", "tm", "ts", "tstz", "iv", "j", "jb", "u", "arr", "tarr", "en", "ip"}
	want := map[int64][]any{
		1: {"-32768", "2147483647", "1234567890123456789012345678.0123456789", "0.000000000000000000001000000000", "1.5",
			"2.718281828459045", "1", "x", "\x00\xff\t\\\nN", "2024-02-29", "23:59:59.999999", "1999-12-31 23:59:59.123456",
			"2024-06-01 10:00:00.000000", "P14M3DT14706.7S", `{"b": 1, "a": [1, 2.50]}`, `{"a": "é", "z": null}`,
			"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "[1, 2, null]", `["a b", "c"]`, "happy", "10.0.0.1/8"},
		3: {"0", "0", "-0.0000000001", "-5.000000000000000000000000000000", "-0.1", "1e+300", "0", "", "", "0001-01-01",
			"00:00:00.000000", "0001-01-01 00:00:00.000000", "1970-01-01 00:00:00.000000", "P0M-1DT-1.5S", "[]", "{}",
			"00000000-0000-0000-0000-000000000000", "[]", "[]", "sad", "::1/128"},
	}
	for id, values := range want {
		got := make([]sql.NullString, len(cols))
		targets := make([]any, len(cols))
		for i := range got {
			targets[i] = &got[i]
		}
		require.NoError(t, my.DB.QueryRowContext(ctx, "SELECT `"+strings.Join(cols, "`, `")+"` FROM all_types WHERE id = ?", id).Scan(targets...))
		for i, c := range cols {
			require.True(t, got[i].Valid, "%d %s", id, c)
			require.Equal(t, values[i], got[i].String, "%d %s (%s)", id, c, types[c])
		}
	}
	var text string
	require.NoError(t, my.DB.QueryRowContext(ctx, "SELECT t FROM all_types WHERE id = 1").Scan(&text))
	require.Equal(t, strings.Repeat("ü€😀", 100000), text)
	require.NoError(t, my.DB.QueryRowContext(ctx, "SELECT t FROM all_types WHERE id = 3").Scan(&text))
	require.Equal(t, "tab\there\nnew\\N line\\\\ \r", text)
	require.Equal(t, int64(1), my.Count(t, "SELECT COUNT(*) FROM all_types WHERE id = 2 AND COALESCE(i2, i4, d, dn, f4, f8, b, t, vc, `by`, dt, tm, ts, tstz, iv, j, jb, u, arr, tarr, en, ip) IS NULL"))
	require.Equal(t, map[string]string{"id": "bigint(20)", "i2": "smallint(6)", "i4": "int(11)", "d": "decimal(38,10)", "dn": "decimal(65,30)",
		"f4": "float", "f8": "double", "b": "tinyint(1)", "t": "longtext", "vc": "longtext", "by": "longblob", "dt": "date", "tm": "time(6)",
		"ts": "datetime(6)", "tstz": "datetime(6)", "iv": "varchar(100)", "j": "longtext", "jb": "longtext", "u": "char(36)",
		"arr": "longtext", "tarr": "longtext", "en": "longtext", "ip": "longtext", "_dnk_loaded_at": "datetime(6)", "_dnk_run_id": "varchar(255)"}, types)
}

func TestMySQLDestination_PostgresTypesArriveExactlyByLoadData(t *testing.T) {
	t.Parallel()
	checkPostgresTypesIntoMariaDB(t)
}

// Not parallel: it switches the bulk path of every MySQL destination opened meanwhile.
func TestMySQLDestination_PostgresTypesArriveExactlyByInsert(t *testing.T) {
	myload.ForceInsert(true)
	defer myload.ForceInsert(false)
	checkPostgresTypesIntoMariaDB(t)
}

// Not parallel: it switches the bulk path of every MySQL destination opened meanwhile.
func TestMySQLDestination_ValuesMySQLCannotHoldFailTheLoad(t *testing.T) {
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.f (id int, x double precision, n numeric)",
		"INSERT INTO src.f VALUES (1, 1, 1), (2, 'NaN', 2)", "CREATE TABLE src.n (id int, n numeric)", "INSERT INTO src.n VALUES (1, 'Infinity')",
		"CREATE TABLE src.big (id int, d numeric(70,0))", "INSERT INTO src.big VALUES (1, 10 ^ 66)",
		"CREATE TABLE src.scale (id int, d numeric)", "INSERT INTO src.scale VALUES (1, 1.0000000000000000000000000000001)")
	my := dbtest.NewMyDest(t)
	defer myload.ForceInsert(false)
	for _, insert := range []bool{false, true} {
		myload.ForceInsert(insert)
		for table, msg := range map[string]string{"f": `column "x": NaN cannot be stored in MySQL`,
			"n": `column "n": Infinity cannot be stored in a MySQL decimal`, "big": "Out of range value for column 'd'",
			"scale": "Data truncated for column 'd'"} {
			if insert && (table == "f" || table == "n") {
				continue // refused before the server, by the same code on both paths
			}
			_, err := dbtest.RunLoad(t, my.Spec(pg.Endpoint(t), dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.`+table+`"}`)))
			require.ErrorContains(t, err, msg, table)
			require.Zero(t, my.Count(t, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", my.Name), table)
		}
	}
}

func TestMySQLDestination_CancellationLeavesTheTargetAsItWas(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.big (id int PRIMARY KEY, pad text)",
		"INSERT INTO src.big SELECT g, repeat('x', 100) FROM generate_series(1, 100000) g")
	my := dbtest.NewMyDest(t)
	my.Exec(t, "CREATE TABLE big (id int, pad longtext, _dnk_loaded_at datetime(6), _dnk_run_id varchar(255))",
		"INSERT INTO big VALUES (-1, 'before', UTC_TIMESTAMP(6), 'old')")
	for _, mode := range []string{"append", "replace", "merge", "replace\", \"verify\": \"checksum"} {
		cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.big", "primary_key": "id", "write_disposition": "`+mode+`", "batch_size": 1000}`)
		ctx, cancel := context.WithCancel(context.Background())
		var once bool
		_, err := load.Run(ctx, load.Spec{Pipeline: "p", Source: pg.Endpoint(t), Destination: my.EP, Config: cfg,
			DestinationSchema: my.Name}, nil, func(p load.Progress) {
			if p.RowsRead >= 20000 && !once {
				once = true
				cancel()
			}
		})
		cancel()
		require.ErrorIs(t, err, context.Canceled, mode)
		require.Equal(t, int64(1), my.Count(t, "SELECT COUNT(*) FROM big"), mode)
		require.Zero(t, my.LoaderTables(t, my.Name), mode)
	}
}

// Not parallel: it switches the bulk path of every MySQL destination opened meanwhile.
func TestMySQLDestination_CancellationByInsertLeavesTheTargetAsItWas(t *testing.T) {
	myload.ForceInsert(true)
	defer myload.ForceInsert(false)
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.big (id int PRIMARY KEY, pad text)",
		"INSERT INTO src.big SELECT g, repeat('x', 100) FROM generate_series(1, 60000) g")
	my := dbtest.NewMyDest(t)
	my.Exec(t, "CREATE TABLE big (id int, pad longtext, _dnk_loaded_at datetime(6), _dnk_run_id varchar(255))",
		"INSERT INTO big VALUES (-1, 'before', UTC_TIMESTAMP(6), 'old')")
	for _, mode := range []string{"append", "replace"} {
		cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.big", "write_disposition": "`+mode+`", "batch_size": 1000}`)
		ctx, cancel := context.WithCancel(context.Background())
		var once bool
		_, err := load.Run(ctx, load.Spec{Pipeline: "p", Source: pg.Endpoint(t), Destination: my.EP, Config: cfg,
			DestinationSchema: my.Name}, nil, func(p load.Progress) {
			if p.RowsRead >= 20000 && !once {
				once = true
				cancel()
			}
		})
		cancel()
		require.ErrorIs(t, err, context.Canceled, mode)
		require.Equal(t, int64(1), my.Count(t, "SELECT COUNT(*) FROM big"), mode)
		require.Zero(t, my.LoaderTables(t, my.Name), mode)
	}
}

func TestMySQLDestination_ContractDiscardsIntoRejected(t *testing.T) {
	t.Parallel()
	path := dbtest.SQLiteFile(t, `CREATE TABLE t (id INTEGER, n INTEGER)`, `INSERT INTO t VALUES (1, 'abc'), (2, 2), (3, 'x3')`)
	src, err := load.ParseURL("sqlite://" + path)
	require.NoError(t, err)
	my := dbtest.NewMyDest(t)
	spec := my.Spec(src, dbtest.MustConfig(t, `{"schema_contract": {"data_type": "discard_row"}, "verify": "checksum"}`))
	spec.RunID = "r1"
	res, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(1), res.Tables[0].RowsWritten)
	require.Equal(t, int64(2), res.Tables[0].RowsRejected)
	require.Equal(t, int64(2), my.Count(t, `SELECT COUNT(*) FROM _dnk_rejected WHERE run_id = 'r1' AND table_name = 't' AND column_name = 'n'
		AND reason LIKE 'discard_row: column "n": declared "INTEGER"%' AND JSON_VALUE(`+"`row`"+`, '$.n') IN ('abc', 'x3')`))

	// freeze: a table that is not there fails, naming it, and nothing is created.
	spec.Config = dbtest.MustConfig(t, `{"schema_contract": "freeze"}`)
	spec.DestinationSchema = my.Name + "_frozen"
	_, err = dbtest.RunLoad(t, spec)
	require.ErrorIs(t, err, load.ErrContract)
	require.ErrorContains(t, err, `table "`+my.Name+`_frozen.t" does not exist`)
	require.Zero(t, my.Count(t, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", spec.DestinationSchema))
}

func TestChinook_SQLiteToMariaDBArrivesWhole(t *testing.T) {
	t.Parallel()
	dir := dbtest.ChinookDir(t)
	src, err := load.ParseURL("sqlite://" + filepath.Join(dir, "Chinook_Sqlite.sqlite"))
	require.NoError(t, err)
	my := dbtest.NewMyDest(t)
	res, err := dbtest.RunLoad(t, my.Spec(src, dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "checksum"}`)))
	require.NoError(t, err)
	require.Equal(t, load.StatusSuccess, res.Status)
	require.Len(t, res.Tables, len(dbtest.ChinookTables))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for table, rows := range dbtest.ChinookTables {
		dest := load.SnakeCase(table)
		require.Equal(t, rows, my.Count(t, "SELECT COUNT(*) FROM `"+dest+"`"), table)
		want, err := load.ChecksumTable(ctx, src, "", table, nil)
		require.NoError(t, err, table)
		require.Equal(t, rows, want.Rows, table)
		got, err := load.ChecksumTable(ctx, my.EP, my.Name, dest, myColumns(t, my, dest))
		require.NoError(t, err, table)
		require.Equal(t, want, got, table)
	}
	require.Equal(t, int64(2), my.Count(t, `SELECT COUNT(*) FROM information_schema.KEY_COLUMN_USAGE
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'playlist_track' AND CONSTRAINT_NAME = 'PRIMARY'`, my.Name))
	require.Equal(t, int64(2240), my.Count(t, `SELECT COUNT(*) FROM invoice_line WHERE CAST(unit_price AS CHAR) REGEXP '^[0-9]+\\.[0-9]{2}$'`))
}

// myColumns lists the loaded columns of a MariaDB table, without the loader's own.
func myColumns(t *testing.T, my *dbtest.My, table string) []string {
	t.Helper()
	rows, err := my.DB.QueryContext(context.Background(), `SELECT COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME NOT LIKE '\_dnk\_%' ORDER BY ORDINAL_POSITION`, my.Name, table)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	var cols []string
	for rows.Next() {
		var c string
		require.NoError(t, rows.Scan(&c))
		cols = append(cols, c)
	}
	require.NoError(t, rows.Err())
	return cols
}

func TestMySQLDestination_UnreachableServerFailsClearly(t *testing.T) {
	t.Parallel()
	testutil.MySQLDSN(t)
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.a (id int)")
	dst, err := load.ParseURL("mysql://root@127.0.0.1:1/x")
	require.NoError(t, err)
	_, err = dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: dst, Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.a"}`)})
	require.ErrorContains(t, err, "connect to destination mysql 127.0.0.1:1")
}

func TestChinook_MariaDBToMariaDBArrivesWhole(t *testing.T) {
	t.Parallel()
	dir := dbtest.ChinookDir(t)
	dump, err := os.ReadFile(filepath.Join(dir, "Chinook_MySql.sql"))
	require.NoError(t, err)
	script := regexp.MustCompile("(?m)^(DROP DATABASE|CREATE DATABASE|USE) .*$").ReplaceAllString(string(dump), "")
	srcDB, srcURL := dbtest.MySQLDB(t)
	_, err = srcDB.ExecContext(context.Background(), script)
	require.NoError(t, err)
	src, err := load.ParseURL(srcURL)
	require.NoError(t, err)
	// The source's database is the test's; the destination is a database beside it.
	my := dbtest.MyDestBeside(t, srcDB, srcURL)
	// Merge with keys for one table, append for the others, checksums compared in the run.
	res, err := dbtest.RunLoad(t, my.Spec(src, dbtest.MustConfig(t, `{"write_disposition": "merge", "verify": "checksum",
		"merge_config": {"InvoiceLine": {"primary_key": "InvoiceLineId"}}}`)))
	require.NoError(t, err)
	require.Len(t, res.Tables, len(dbtest.ChinookTables))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for table, rows := range dbtest.ChinookTables {
		dest := load.SnakeCase(table)
		want, err := load.ChecksumTable(ctx, src, "", table, nil)
		require.NoError(t, err, table)
		require.Equal(t, rows, want.Rows, table)
		got, err := load.ChecksumTable(ctx, my.EP, my.Name, dest, myColumns(t, my, dest))
		require.NoError(t, err, table)
		require.Equal(t, want, got, table)
	}
}

// A MySQL connection without a default database (the platform's connections usually have
// none: the destination schema names it) merges too. Before: "merge into \"t\": Error 1046
// (3D000): No database selected" (a multi-table DELETE resolves its alias in the default
// database). Found by the fault-injection suite of issue #15.
func TestMySQLDestination_MergeWithoutADefaultDatabase(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.t (id int PRIMARY KEY, v text)", "INSERT INTO src.t SELECT g, 'a' FROM generate_series(1, 20) g")
	my := dbtest.NewMyDest(t)
	ep := my.EP
	cfg := map[string]any{}
	for k, v := range ep.Config {
		if k != "database" {
			cfg[k] = v
		}
	}
	ep.Config = cfg
	spec := load.Spec{Source: pg.Endpoint(t), Destination: ep, DestinationSchema: my.Name, Pipeline: "p",
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.t", "write_disposition": "merge", "primary_key": "id"}`)}
	_, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	pg.Exec(t, "UPDATE src.t SET v = 'b' WHERE id <= 5")
	_, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(20), my.Count(t, "SELECT count(*) FROM t"))
	require.Equal(t, int64(5), my.Count(t, "SELECT count(*) FROM t WHERE v = 'b'"))
}
