package load_test

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

// durationMicros reads "[-]H:MM:SS[.f]" into microseconds (the test's own reading, not the loader's).
func durationMicros(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	hms, frac, _ := strings.Cut(s, ".")
	parts := strings.Split(hms, ":")
	require.Len(t, parts, 3, s)
	var us int64
	for _, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		require.NoError(t, err, s)
		us = us*60 + n
	}
	us *= 1_000_000
	if frac != "" {
		f, err := strconv.ParseInt((frac + "000000")[:6], 10, 64)
		require.NoError(t, err, s)
		us += f
	}
	if neg {
		us = -us
	}
	return us
}

// A MySQL TIME is a duration, not a time of day: every value of its range arrives in
// PostgreSQL as an interval of exactly as many microseconds, by the decoding path (verify
// checksum) and by the COPY text path (verify count). Before: "838:59:59" is not a time of
// day, and the whole load failed.
func TestRun_MariaDBTimeIsADurationIntoPostgres(t *testing.T) {
	t.Parallel()
	my, myURL := dbtest.MySQLDB(t)
	dbtest.MakeDurations(t, my)
	src, err := load.ParseURL(myURL)
	require.NoError(t, err)
	pg := dbtest.NewPG(t)
	ctx := context.Background()
	for _, verify := range []string{"checksum", "count"} {
		schema := "raw_" + verify
		before := load.MySQLTextCopies()
		res, err := dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t), DestinationSchema: schema,
			Config: dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "`+verify+`"}`)})
		require.NoError(t, err, verify)
		require.Equal(t, int64(len(dbtest.DurationRows)), res.RowsLoaded)
		if verify == "count" {
			require.Greater(t, load.MySQLTextCopies(), before, "verify count takes the COPY text path")
		}
		for j, col := range []string{"t0", "t3", "t6"} {
			var typ string
			require.NoError(t, pg.Conn.QueryRow(ctx, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute
				WHERE attrelid = '`+schema+`.durations'::regclass AND attname = $1`, col).Scan(&typ))
			require.Equal(t, "interval", typ, col)
			for i, r := range dbtest.DurationRows {
				var us *int64
				var months, days int32
				require.NoError(t, pg.Conn.QueryRow(ctx, `SELECT (extract(epoch FROM `+col+`) * 1000000)::bigint,
					coalesce(extract(month FROM `+col+`), 0)::int, coalesce(extract(day FROM `+col+`), 0)::int
					FROM `+schema+`.durations WHERE id = $1`, i+1).Scan(&us, &months, &days))
				if r[j] == "" {
					require.Nil(t, us, "%s row %d", col, i+1)
					continue
				}
				require.NotNil(t, us, "%s row %d", col, i+1)
				require.Equal(t, durationMicros(t, r[j]), *us, "%s %s (%s)", verify, col, r[j])
				require.Zero(t, months)
				require.Zero(t, days, "hours stay hours, as MySQL counts them")
			}
		}
		var text string
		require.NoError(t, pg.Conn.QueryRow(ctx, `SELECT t6::text FROM `+schema+`.durations WHERE id = 2`).Scan(&text))
		require.Equal(t, "-838:59:59.999999", text)
	}
}

// myCharTable holds every MySQL character type, with trailing spaces, empty strings, four-byte
// characters, a full CHAR(255) and NULLs.
const myCharTable = "CREATE TABLE chars (id INT PRIMARY KEY, c5 CHAR(5), nc NATIONAL CHAR(3), c255 CHAR(255), vc5 VARCHAR(5)," +
	" nvc NATIONAL VARCHAR(5), tt TINYTEXT, t TEXT, mt MEDIUMTEXT, lt LONGTEXT, e ENUM('a', 'b c', ''), s SET('x', 'y z'))" +
	" CHARACTER SET utf8mb4;" +
	"INSERT INTO chars VALUES" +
	" (1, 'ab', 'ü€', REPEAT('é', 255), 'ab  ', 'ab  ', 'ab  ', ' x ', 'tab\\there', REPEAT('ü€😀', 1000), 'b c', 'x,y z')," +
	" (2, '', '', '', '', '', '', '', '', '', '', '')," +
	" (3, ' a', ' ', '😀 😀', 'ü€😀', ' ', 'new\\nline', '\\\\N', ' ', ' ', 'a', 'y z')," +
	" (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"

var myCharColumns = []string{"c5", "nc", "c255", "vc5", "nvc", "tt", "t", "mt", "lt", "e", "s"}

// myCharLength is the declared length of the CHAR columns.
var myCharLength = map[string]int{"c5": 5, "nc": 3, "c255": 255}

// myStrings reads columns of a table as the MySQL client sees them (nil for NULL), by id.
func myStrings(t *testing.T, db *sql.DB, table string, cols []string) map[int][]*string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT id, `"+strings.Join(cols, "`, `")+"` FROM "+table) //nolint:gosec // test identifiers
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	out := map[int][]*string{}
	for rows.Next() {
		var id int
		vals := make([]sql.NullString, len(cols))
		targets := []any{&id}
		for i := range vals {
			targets = append(targets, &vals[i])
		}
		require.NoError(t, rows.Scan(targets...))
		for _, v := range vals {
			if v.Valid {
				s := v.String
				out[id] = append(out[id], &s)
			} else {
				out[id] = append(out[id], nil)
			}
		}
	}
	require.NoError(t, rows.Err())
	return out
}

// Every MySQL character type arrives value for value in PostgreSQL: CHAR(n) as character(n)
// (PostgreSQL pads what MySQL strips: the value is the same char(n) value), the others as
// text, byte for byte; by decoding and by COPY text.
func TestRun_MariaDBCharacterTypesIntoPostgres(t *testing.T) {
	t.Parallel()
	my, myURL := dbtest.MySQLDB(t)
	_, err := my.ExecContext(context.Background(), myCharTable)
	require.NoError(t, err)
	want := myStrings(t, my, "chars", myCharColumns)
	src, err := load.ParseURL(myURL)
	require.NoError(t, err)
	pg := dbtest.NewPG(t)
	for _, verify := range []string{"checksum", "count"} {
		schema := "raw_" + verify
		before := load.MySQLTextCopies()
		_, err := dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t), DestinationSchema: schema,
			Config: dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "`+verify+`"}`)})
		require.NoError(t, err, verify)
		if verify == "count" {
			require.Greater(t, load.MySQLTextCopies(), before, "verify count takes the COPY text path")
		}
		types := pgColumnTypes(t, pg, schema+".chars")
		got := pgStrings(t, pg, schema+".chars", myCharColumns)
		require.Len(t, got, len(want))
		for i, c := range myCharColumns {
			if n, ok := myCharLength[c]; ok {
				require.Equal(t, fmt.Sprintf("character(%d)", n), types[c], c)
			} else {
				require.Equal(t, "text", types[c], c)
			}
			for id, w := range want {
				g := got[id][i]
				if w[i] == nil {
					require.Nil(t, g, "%s row %d", c, id)
					continue
				}
				require.NotNil(t, g, "%s row %d", c, id)
				if n, ok := myCharLength[c]; ok {
					require.Equal(t, *w[i]+strings.Repeat(" ", n-len([]rune(*w[i]))), *g, "%s %s row %d: padded to %d", verify, c, id, n)
				} else {
					require.Equal(t, *w[i], *g, "%s %s row %d", verify, c, id)
				}
			}
		}
	}
}

// MariaDB to MariaDB, CHAR(n) stays CHAR(n) and every character value is byte for byte the
// source's.
func TestRun_MariaDBCharacterTypesIntoMariaDB(t *testing.T) {
	t.Parallel()
	srcDB, srcURL := dbtest.MySQLDB(t)
	_, err := srcDB.ExecContext(context.Background(), myCharTable)
	require.NoError(t, err)
	src, err := load.ParseURL(srcURL)
	require.NoError(t, err)
	dst := dbtest.MyDestBeside(t, srcDB, srcURL)
	_, err = dbtest.RunLoad(t, dst.Spec(src, dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "checksum"}`)))
	require.NoError(t, err)
	types := dbtest.MyColumnTypes(t, dst, "chars")
	for c, n := range myCharLength {
		require.Equal(t, fmt.Sprintf("char(%d)", n), types[c], c)
	}
	require.Equal(t, myStrings(t, srcDB, "chars", myCharColumns), myStrings(t, dst.DB, "`"+dst.Name+"`.chars", myCharColumns))
}

// myRestType is one column of the walk through MySQL's remaining types: its DDL, an edge value
// and an ordinary one with the text PostgreSQL then shows for each, and the types it arrives
// as in PostgreSQL and in MariaDB.
type myRestType struct {
	col, ddl, edge, plain, pgEdge, pgPlain, pgType, myType string
}

var myRestTypes = []myRestType{
	{"tiu", "TINYINT UNSIGNED", "255", "0", "255", "0", "smallint", "smallint(6)"},
	{"t1u", "TINYINT(1) UNSIGNED", "255", "1", "255", "1", "smallint", "smallint(6)"},
	{"siu", "SMALLINT UNSIGNED", "65535", "0", "65535", "0", "integer", "int(11)"},
	{"mi", "MEDIUMINT", "-8388608", "8388607", "-8388608", "8388607", "integer", "int(11)"},
	{"miu", "MEDIUMINT UNSIGNED", "16777215", "0", "16777215", "0", "integer", "int(11)"},
	{"iu", "INT UNSIGNED", "4294967295", "0", "4294967295", "0", "bigint", "bigint(20)"},
	{"bu", "BIGINT UNSIGNED", "18446744073709551615", "0", "18446744073709551615", "0", "numeric(20,0)", "decimal(20,0)"},
	{"b1", "BIT(1)", "b'1'", "b'0'", "t", "f", "boolean", "tinyint(1)"},
	{"b5", "BIT(5)", "b'10101'", "b'0'", `\x15`, `\x00`, "bytea", "longblob"},
	{"b64", "BIT(64)", "b'1111111111111111111111111111111111111111111111111111111111111111'", "b'1'", `\xffffffffffffffff`,
		`\x0000000000000001`, "bytea", "longblob"},
	{"y", "YEAR", "2155", "0", "2155", "0", "integer", "int(11)"},
	{"e", "ENUM('a', 'b c', '')", "'b c'", "''", "b c", "", "text", "longtext"},
	{"s", "SET('x', 'y z')", "'x,y z'", "''", "x,y z", "", "text", "longtext"},
	{"f", "FLOAT", "3.4028234e38", "0.1", "3.4028235e+38", "0.1", "real", "float"},
	{"fm", "FLOAT", "1.17549435e-38", "123.4567", "1.1754944e-38", "123.4567", "real", "float"},
	{"d", "DOUBLE", "-2.2250738585072014e-308", "1.7976931348623157e308", "-2.2250738585072014e-308",
		"1.7976931348623157e+308", "double precision", "double"},
	{"dc", "DECIMAL(65,30)", "-" + strings.Repeat("9", 35) + "." + strings.Repeat("9", 30), "0.000000000000000000000000000001",
		"-" + strings.Repeat("9", 35) + "." + strings.Repeat("9", 30), "0.000000000000000000000000000001", "numeric(65,30)", "decimal(65,30)"},
	{"g", "GEOMETRY", "ST_GeomFromText('POINT(1.2345678901234567 -0.1)', 4326)",
		"ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))')", "POINT(1.2345678901234567 -0.1)", "POLYGON((0 0,1 0,1 1,0 0))", "text", "longtext"},
	{"i6", "INET6", "'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'", "'::ffff:10.0.0.1'", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"::ffff:10.0.0.1", "text", "longtext"},
	{"dt", "DATE", "'9999-12-31'", "'1000-01-01'", "9999-12-31", "1000-01-01", "date", "date"},
	{"dtm", "DATETIME(6)", "'9999-12-31 23:59:59.999999'", "'1000-01-01 00:00:00'", "9999-12-31 23:59:59.999999",
		"1000-01-01 00:00:00", "timestamp without time zone", "datetime(6)"},
	{"ts", "TIMESTAMP(6) NULL", "'2038-01-19 03:14:07.999999'", "'1970-01-01 00:00:01'", "2038-01-19 03:14:07.999999+00",
		"1970-01-01 00:00:01+00", "timestamp with time zone", "datetime(6)"},
	{"u", "UUID", "'ffffffff-ffff-ffff-ffff-ffffffffffff'", "'00000000-0000-0000-0000-000000000000'",
		"ffffffff-ffff-ffff-ffff-ffffffffffff", "00000000-0000-0000-0000-000000000000", "uuid", "char(36)"},
	{"j", "JSON", `'{"n": 1.10, "s": "\\u00e9"}'`, "'[]'", `{"n": 1.10, "s": "é"}`, "[]", "jsonb", "longtext"},
}

func makeMyRestTypes(t *testing.T, my *sql.DB) {
	t.Helper()
	defs := []string{"id INT PRIMARY KEY"}
	edge, plain, nulls := []string{"1"}, []string{"2"}, []string{"3"}
	for _, c := range myRestTypes {
		defs = append(defs, "`"+c.col+"` "+c.ddl)
		edge = append(edge, c.edge)
		plain = append(plain, c.plain)
		nulls = append(nulls, "NULL")
	}
	_, err := my.ExecContext(context.Background(), "CREATE TABLE rest ("+strings.Join(defs, ", ")+") CHARACTER SET utf8mb4;"+
		"INSERT INTO rest VALUES ("+strings.Join(edge, ", ")+"), ("+strings.Join(plain, ", ")+"), ("+strings.Join(nulls, ", ")+")")
	require.NoError(t, err)
}

// The rest of MySQL's types, each with an edge value, arrive in PostgreSQL as the mapping in
// docs/architecture.md says and with the source's values, by decoding (verify checksum) and by
// COPY text (verify count). Before: a FLOAT arrived rounded to the six digits the server
// prints (3.4028234e38 as 3.40282e38, 123.4567 as 123.457), and a geometry failed the load
// (MySQL's internal binary form is not text).
func TestRun_MariaDBRemainingTypesIntoPostgres(t *testing.T) {
	t.Parallel()
	my, myURL := dbtest.MySQLDB(t)
	makeMyRestTypes(t, my)
	src, err := load.ParseURL(myURL)
	require.NoError(t, err)
	pg := dbtest.NewPG(t)
	cols := make([]string, len(myRestTypes))
	for i, c := range myRestTypes {
		cols[i] = c.col
	}
	for _, verify := range []string{"checksum", "count"} {
		schema := "raw_" + verify
		before := load.MySQLTextCopies()
		res, err := dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t), DestinationSchema: schema,
			Config: dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "`+verify+`"}`)})
		require.NoError(t, err, verify)
		require.Equal(t, int64(3), res.RowsLoaded)
		if verify == "count" {
			require.Greater(t, load.MySQLTextCopies(), before, "verify count takes the COPY text path")
		}
		types := pgColumnTypes(t, pg, schema+".rest")
		got := pgStrings(t, pg, schema+".rest", cols)
		for i, c := range myRestTypes {
			require.Equal(t, c.pgType, types[c.col], "%s %s (%s)", verify, c.col, c.ddl)
			require.NotNil(t, got[1][i], c.col)
			require.Equal(t, c.pgEdge, *got[1][i], "%s %s (%s) edge value", verify, c.col, c.ddl)
			require.NotNil(t, got[2][i], c.col)
			require.Equal(t, c.pgPlain, *got[2][i], "%s %s (%s)", verify, c.col, c.ddl)
			require.Nil(t, got[3][i], c.col)
		}
	}
}

// Into MariaDB, the same types arrive as the mapping says, and the engine's checksum (each
// value read back from MariaDB against the source's) agrees; numbers, bits and years read
// back as the source's.
func TestRun_MariaDBRemainingTypesIntoMariaDB(t *testing.T) {
	t.Parallel()
	srcDB, srcURL := dbtest.MySQLDB(t)
	makeMyRestTypes(t, srcDB)
	src, err := load.ParseURL(srcURL)
	require.NoError(t, err)
	dst := dbtest.MyDestBeside(t, srcDB, srcURL)
	res, err := dbtest.RunLoad(t, dst.Spec(src, dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "checksum"}`)))
	require.NoError(t, err)
	require.Equal(t, int64(3), res.RowsLoaded)
	types := dbtest.MyColumnTypes(t, dst, "rest")
	var same []string
	for _, c := range myRestTypes {
		require.Equal(t, c.myType, types[c.col], "%s (%s)", c.col, c.ddl)
		switch c.col {
		case "g": // WKT text in the destination
			same = append(same, "ST_AsText(s.g) <=> d.g")
		case "f", "fm":
			same = append(same, "CAST(s.`"+c.col+"` AS DOUBLE) <=> CAST(d.`"+c.col+"` AS DOUBLE)")
		case "b1", "y": // a bit as a boolean, a year as an integer
			same = append(same, "s.`"+c.col+"` + 0 <=> d.`"+c.col+"`")
		case "i6", "u":
			same = append(same, "CAST(s.`"+c.col+"` AS CHAR) <=> d.`"+c.col+"`")
		case "ts": // an instant, stored in UTC (the test's session runs in UTC too)
			same = append(same, "CONVERT_TZ(s.ts, @@session.time_zone, '+00:00') <=> d.ts")
		case "j": // MariaDB's JSON is text: the same document, reformatted or not
			same = append(same, "JSON_EQUALS(s.j, d.j) OR (s.j IS NULL AND d.j IS NULL)")
		case "b5", "b64": // bits arrive as their bytes
			same = append(same, "CAST(s.`"+c.col+"` AS BINARY) <=> d.`"+c.col+"`")
		default:
			same = append(same, "CAST(s.`"+c.col+"` AS BINARY) <=> CAST(d.`"+c.col+"` AS BINARY)")
		}
	}
	srcName := strings.TrimSuffix(dst.Name, "_out")
	for i, c := range myRestTypes {
		require.Equal(t, int64(3), dst.Count(t, "SELECT COUNT(*) FROM `"+srcName+"`.rest s JOIN `"+dst.Name+"`.rest d USING (id) WHERE "+same[i]),
			"%s (%s): %s", c.col, c.ddl, same[i])
	}
}

// A PostgreSQL destination that took a MySQL TIME as a time of day (the mapping before it was
// read as a duration) is widened to interval by evolve, its rows kept as the intervals since
// midnight; freeze refuses, naming both types.
func TestRun_MariaDBTimeWidensAnOlderTimeColumnToInterval(t *testing.T) {
	t.Parallel()
	my, myURL := dbtest.MySQLDB(t)
	dbtest.MakeDurations(t, my)
	src, err := load.ParseURL(myURL)
	require.NoError(t, err)
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA raw", `CREATE TABLE raw.durations (id integer, t0 time, t3 time(3), t6 time,
		_dnk_loaded_at timestamptz NOT NULL, _dnk_run_id text NOT NULL)`,
		"INSERT INTO raw.durations VALUES (0, '23:59:59', '00:00:00.001', '12:00:00.000001', now(), 'old')")
	_, err = dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"write_disposition": "append", "verify": "checksum", "schema_contract": {"data_type": "freeze"}}`)})
	require.ErrorIs(t, err, load.ErrContract)
	require.Contains(t, err.Error(), "interval")
	require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.durations"))

	_, err = dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"write_disposition": "append", "verify": "checksum"}`)})
	require.NoError(t, err)
	types := pgColumnTypes(t, pg, "raw.durations")
	for _, c := range []string{"t0", "t3", "t6"} {
		require.Equal(t, "interval", types[c], c)
	}
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw.durations WHERE id = 0 AND t0 = interval '23:59:59'
		AND t3 = interval '0.001 seconds' AND t6 = interval '12:00:00.000001'`))
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw.durations WHERE id = 2 AND t6 = interval '-838:59:59.999999'`))
	require.Equal(t, int64(len(dbtest.DurationRows)+1), pg.Count(t, "SELECT count(*) FROM raw.durations"))
}
