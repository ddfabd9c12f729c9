package myload_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

func TestRun_MariaDBToPostgresKeepsEveryTypeExactly(t *testing.T) {
	t.Parallel()
	my, myURL := dbtest.MySQLDB(t)
	_, err := my.ExecContext(context.Background(), "CREATE TABLE `all types` (id INT PRIMARY KEY, ti TINYINT, bo TINYINT(1), su SMALLINT UNSIGNED, mi MEDIUMINT,"+
		" i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, d DECIMAL(38,10), f FLOAT, db DOUBLE, b1 BIT(1), b8 BIT(8),"+
		" c CHAR(3), vc VARCHAR(100), tx LONGTEXT, bn BINARY(3), vb VARBINARY(10), bl BLOB, dt DATE, tm TIME(6), dtm DATETIME(6),"+
		" tsp TIMESTAMP(6) NULL, j JSON, u UUID, e ENUM('a','b'), s SET('x','y'), y YEAR, `select` INT)"+
		" CHARACTER SET utf8mb4;"+
		"INSERT INTO `all types` VALUES (1, -128, 1, 65535, -8388608, -2147483648, 4294967295, -9223372036854775808,"+
		" 18446744073709551615, 1234567890123456789012345678.0123456789, 1.5, 2.718281828459045, b'1', b'10100101',"+
		" 'abc', 'ü€😀', REPEAT('ü€😀', 50000), 'a\\0b', x'00ff', x'deadbeef', '2024-02-29', '23:59:59.999999',"+
		" '1999-12-31 23:59:59.123456', '2024-06-01 10:00:00.5', '{\"b\": 1, \"a\": [1, 2.50]}',"+
		" 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'b', 'x,y', 2024, 7),"+
		" (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"+
		" NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
	require.NoError(t, err)
	pg := dbtest.NewPG(t)
	src, err := load.ParseURL(myURL)
	require.NoError(t, err)
	cfg := dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "checksum"}`)
	res, err := dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t), Config: cfg})
	require.NoError(t, err)
	require.Equal(t, int64(2), res.RowsLoaded)

	type col struct{ name, typ, value string }
	want := []col{
		{"ti", "smallint", "-128"}, {"bo", "boolean", "true"}, {"su", "integer", "65535"}, {"mi", "integer", "-8388608"},
		{"i", "integer", "-2147483648"}, {"iu", "bigint", "4294967295"}, {"bi", "bigint", "-9223372036854775808"},
		{"bu", "numeric(20,0)", "18446744073709551615"},
		{"d", "numeric(38,10)", "1234567890123456789012345678.0123456789"}, {"f", "real", "1.5"},
		{"db", "double precision", "2.718281828459045"}, {"b1", "boolean", "true"}, {"b8", "bytea", `\xa5`},
		{"c", "character(3)", "abc"}, {"vc", "text", "ü€😀"}, {"bn", "bytea", `\x610062`}, {"vb", "bytea", `\x00ff`},
		{"bl", "bytea", `\xdeadbeef`}, {"dt", "date", "2024-02-29"}, {"tm", "interval", "23:59:59.999999"},
		{"dtm", "timestamp without time zone", "1999-12-31 23:59:59.123456"},
		{"tsp", "timestamp with time zone", "2024-06-01 10:00:00.5+00"}, {"j", "jsonb", `{"a": [1, 2.50], "b": 1}`},
		{"u", "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, {"e", "text", "b"}, {"s", "text", "x,y"},
		{"y", "integer", "2024"}, {"select", "integer", "7"},
	}
	ctx := context.Background()
	for _, c := range want {
		var typ, v string
		require.NoError(t, pg.Conn.QueryRow(ctx, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute
			WHERE attrelid = 'raw.all_types'::regclass AND attname = $1`, c.name).Scan(&typ), c.name)
		require.Equal(t, c.typ, typ, c.name)
		q := `SELECT ` + pgQuote(c.name) + `::text FROM raw.all_types WHERE id = 1`
		if c.typ == "timestamp with time zone" {
			q = `SELECT to_char(` + pgQuote(c.name) + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM raw.all_types WHERE id = 1`
			c.value = "2024-06-01 10:00:00.500000"
		}
		require.NoError(t, pg.Conn.QueryRow(ctx, q).Scan(&v), c.name)
		require.Equal(t, c.value, v, c.name)
	}
	var tx string
	require.NoError(t, pg.Conn.QueryRow(ctx, "SELECT tx FROM raw.all_types WHERE id = 1").Scan(&tx))
	require.Equal(t, 50000*3, len([]rune(tx)))
	require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.all_types WHERE id = 2 AND num_nulls(ti, bo, su, mi, i, iu, bi, bu, d, f, db, b1, b8, c, vc, tx, bn, vb, bl, dt, tm, dtm, tsp, j, u, e, s, y, \"select\") = 29"))
}

func pgQuote(s string) string { return `"` + s + `"` }

func TestChinook_MariaDBToPostgresArrivesWhole(t *testing.T) {
	t.Parallel()
	dir := dbtest.ChinookDir(t)
	dump, err := os.ReadFile(filepath.Join(dir, "Chinook_MySql.sql"))
	require.NoError(t, err)
	// The dump makes and selects a database of its own; it is loaded into the test's instead.
	script := regexp.MustCompile("(?m)^(DROP DATABASE|CREATE DATABASE|USE) .*$").ReplaceAllString(string(dump), "")
	my, myURL := dbtest.MySQLDB(t)
	_, err = my.ExecContext(context.Background(), script)
	require.NoError(t, err)
	src, err := load.ParseURL(myURL)
	require.NoError(t, err)
	pg := dbtest.NewPG(t)
	res, err := dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "checksum"}`)})
	require.NoError(t, err)
	require.Equal(t, load.StatusSuccess, res.Status)
	dbtest.CheckChinook(t, src, "", pg, res)
	// Names are snake_case, keys came along, decimals kept their scale.
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM pg_constraint WHERE conrelid = 'raw.playlist_track'::regclass AND contype = 'p'
		AND array_length(conkey, 1) = 2`))
	require.Equal(t, int64(2240), pg.Count(t, `SELECT count(*) FROM raw.invoice_line WHERE unit_price::text ~ '^[0-9]+\.[0-9]{2}$'`))
}

func TestRun_MariaDBIncrementalAndFiltersArePushedDown(t *testing.T) {
	t.Parallel()
	my, myURL := dbtest.MySQLDB(t)
	_, err := my.ExecContext(context.Background(), "CREATE TABLE `Orders` (id INT PRIMARY KEY, status VARCHAR(10), changed DATETIME(3));"+
		"INSERT INTO `Orders` VALUES (1, 'open', '2024-01-01 00:00:00'), (2, 'paid', '2024-01-02 00:00:00'),"+
		" (3, 'paid', '2024-01-03 00:00:00.500'), (4, 'void', '2024-01-04 00:00:00')")
	require.NoError(t, err)
	src, err := load.ParseURL(myURL)
	require.NoError(t, err)
	pg := dbtest.NewPG(t)
	spec := load.Spec{Source: src, Destination: pg.Endpoint(t), Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "Orders",
		"write_disposition": "merge", "primary_key": "id", "verify": "checksum",
		"incremental": {"cursor_path": "changed", "initial_value": "2024-01-02"},
		"filters": [{"column": "status", "op": "in", "value": ["open", "paid"]}]}`)}
	res, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(2), res.Tables[0].RowsRead) // 2 and 3: from the initial value, not void
	_, err = my.ExecContext(context.Background(), "UPDATE `Orders` SET status = 'paid', changed = '2024-02-01' WHERE id = 1")
	require.NoError(t, err)
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(1), res.Tables[0].RowsRead) // only the change after the mark
	require.Equal(t, int64(3), pg.Count(t, "SELECT count(*) FROM raw.orders WHERE status = 'paid'"))
	var state string
	require.NoError(t, pg.Conn.QueryRow(context.Background(), "SELECT cursor_value FROM raw._dnk_state").Scan(&state))
	require.Equal(t, "2024-02-01T00:00:00", state)
}
