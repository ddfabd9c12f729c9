package load_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // to write the test's files

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

func TestRun_SQLiteToPostgresConvertsByDeclaredType(t *testing.T) {
	t.Parallel()
	path := dbtest.SQLiteFile(t,
		`CREATE TABLE "My Table" (id INTEGER PRIMARY KEY, price NUMERIC(38,10), amount DECIMAL(10,2), r REAL, ok BOOLEAN,
		  name NVARCHAR(40), data BLOB, day DATE, at DATETIME, tm TIME, j JSON, u UUID, anything)`,
		`INSERT INTO "My Table" VALUES (1, '12345678.0123456', 0.99, 1.5, 1, 'ü€😀', x'00ff', '2024-02-29',
		  '2009-01-01 00:00:00', '12:30:00', '{"b":1,"a":2}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 42)`,
		`INSERT INTO "My Table" VALUES (2, 5, 3, 2, 0, 'x', 'text as blob', '2024-01-01', '2024-01-01T10:00:00.5', '00:00:01', '[]', NULL, 'txt')`,
		`INSERT INTO "My Table" (id) VALUES (3)`)
	src, err := load.ParseURL("sqlite://" + path)
	require.NoError(t, err)
	pg := dbtest.NewPG(t)
	res, err := dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "checksum"}`)})
	require.NoError(t, err)
	require.Equal(t, int64(3), res.RowsLoaded)
	var row [13]string
	require.NoError(t, pg.Conn.QueryRow(context.Background(), `SELECT id::text, price::text, amount::text, r::text, ok::text,
		name, data::text, day::text, at::text, tm::text, j::text, u::text, anything FROM raw.my_table WHERE id = 1`).Scan(
		&row[0], &row[1], &row[2], &row[3], &row[4], &row[5], &row[6], &row[7], &row[8], &row[9], &row[10], &row[11], &row[12]))
	// SQLite itself keeps 15 significant digits of a NUMERIC column's decimal text (it stores a
	// REAL); those arrive exactly.
	require.Equal(t, [13]string{"1", "12345678.0123456000", "0.99", "1.5", "true", "ü€😀", `\x00ff`,
		"2024-02-29", "2009-01-01 00:00:00", "12:30:00", `{"a": 2, "b": 1}`, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "42"}, row)
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw.my_table WHERE id = 2 AND amount = 3.00 AND at = '2024-01-01 10:00:00.5'`))
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw.my_table WHERE id = 3 AND num_nulls(price, amount, r, ok, name, data, day, at, tm, j, u, anything) = 12`))
}

func TestContract_ValueThatDoesNotFitFailsOrIsDiscardedIntoRejected(t *testing.T) {
	t.Parallel()
	path := dbtest.SQLiteFile(t, `CREATE TABLE t (id INTEGER, n INTEGER)`, `INSERT INTO t VALUES (1, 'abc'), (2, 2), (3, 'x3')`)
	src, err := load.ParseURL("sqlite://" + path)
	require.NoError(t, err)
	pg := dbtest.NewPG(t)
	for _, contract := range []string{"freeze", "evolve"} {
		_, err = dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t),
			Config: dbtest.MustConfig(t, `{"schema_contract": {"data_type": "`+contract+`"}}`)})
		require.ErrorContains(t, err, `read t, column "n": declared "INTEGER": strconv.ParseInt: parsing "abc"`)
		require.Equal(t, int64(0), pg.Count(t, "SELECT count(*) FROM pg_namespace WHERE nspname = 'raw'"))
	}

	res, err := dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t), DestinationSchema: "rows", RunID: "r1",
		Config: dbtest.MustConfig(t, `{"schema_contract": {"data_type": "discard_row"}, "verify": "checksum"}`)})
	require.NoError(t, err)
	require.Equal(t, load.TableStats{Name: "t", RowsRead: 3, RowsWritten: 1, RowsRejected: 2, Bytes: res.Tables[0].Bytes,
		Seconds: res.Tables[0].Seconds}, res.Tables[0])
	require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM rows.t WHERE id = 2 AND n = 2"))
	require.Equal(t, int64(2), pg.Count(t, `SELECT count(*) FROM rows._dnk_rejected WHERE run_id = 'r1' AND table_name = 't'
		AND column_name = 'n' AND reason LIKE 'discard_row: column "n": declared "INTEGER"%' AND "row"->>'n' IN ('abc', 'x3')`))

	res, err = dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t), DestinationSchema: "vals",
		Config: dbtest.MustConfig(t, `{"schema_contract": {"data_type": "discard_value"}}`)})
	require.NoError(t, err)
	require.Equal(t, int64(3), res.Tables[0].RowsWritten)
	require.Equal(t, int64(2), res.Tables[0].RowsRejected)
	require.Equal(t, int64(2), pg.Count(t, "SELECT count(*) FROM vals.t WHERE n IS NULL"))
	require.Equal(t, int64(2), pg.Count(t, "SELECT count(*) FROM vals._dnk_rejected"))
}

// The catalog shows a SQLite file as schema "main", so the SPA names a picked table
// "main.<table>": the source takes that name too.
func TestRun_SQLiteTableNamedWithItsMainSchema(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.sqlite")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE "Album" (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO "Album" VALUES (1, 'a'), (2, 'b')`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	pg := dbtest.NewPG(t)
	src, err := load.ParseURL("sqlite://" + path)
	require.NoError(t, err)
	res, err := dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t), Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "main.Album"}`)})
	require.NoError(t, err)
	require.Equal(t, int64(2), res.RowsLoaded)
}

func TestChinook_SQLiteToPostgresArrivesWhole(t *testing.T) {
	t.Parallel()
	dir := dbtest.ChinookDir(t)
	src, err := load.ParseURL("sqlite://" + filepath.Join(dir, "Chinook_Sqlite.sqlite"))
	require.NoError(t, err)
	pg := dbtest.NewPG(t)
	res, err := dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "checksum"}`)})
	require.NoError(t, err)
	dbtest.CheckChinook(t, src, "", pg, res)
	var typ string
	require.NoError(t, pg.Conn.QueryRow(context.Background(), `SELECT format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = 'raw.invoice'::regclass AND attname = 'invoice_date'`).Scan(&typ))
	require.Equal(t, "timestamp without time zone", typ)

	// The comparison can fail: one changed value changes the checksum.
	before, err := load.ChecksumTable(context.Background(), pg.Endpoint(t), "raw", "track", dbtest.PGColumns(t, pg, "track"))
	require.NoError(t, err)
	pg.Exec(t, "UPDATE raw.track SET unit_price = unit_price + 0.01 WHERE track_id = 1")
	after, err := load.ChecksumTable(context.Background(), pg.Endpoint(t), "raw", "track", dbtest.PGColumns(t, pg, "track"))
	require.NoError(t, err)
	require.Equal(t, before.Rows, after.Rows)
	require.NotEqual(t, before.Sum, after.Sum)
}
