package load_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

// The COPY text path from MariaDB (verify count) must put exactly what the decoding path
// (verify checksum) puts, value for value, including the values COPY text escapes or MySQL
// spells its own way: tabs, newlines, backslashes, a literal \N, empty strings against NULLs,
// zero dates, tinyint(1) other than 0 and 1, bit(1), bytes, JSON and four-byte characters.
func TestMySQLTextCopy_PutsExactlyWhatTheDecodingPathPuts(t *testing.T) {
	my, myURL := dbtest.MySQLDB(t)
	ctx := context.Background()
	for _, s := range []string{
		"SET SESSION sql_mode = ''", // zero dates, as old applications leave them
		"CREATE TABLE `hostile ``t``` (id BIGINT PRIMARY KEY, tx TEXT, vc VARCHAR(50), bo TINYINT(1), b1 BIT(1), b8 BIT(8), bn VARBINARY(20)," +
			" d DECIMAL(38,10), f FLOAT, db DOUBLE, dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL, j JSON, u UUID, y YEAR, ui BIGINT UNSIGNED)" +
			" CHARACTER SET utf8mb4",
		"INSERT INTO `hostile ``t``` VALUES" +
			" (1, 'tab\\there', 'new\\nline\\r\\nend', 2, b'1', b'11111111', x'005c090a0dff', 1234567890123456789012345678.0123456789, -1.5e-7, 1e300," +
			"  '2024-02-29', '1999-12-31 23:59:59.123456', '2024-06-01 10:00:00.5', '{\"k\": \"tab\\\\t\", \"n\": [1, 2.50]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 1901, 18446744073709551615)," +
			" (2, 'back\\\\slash \\\\N', '\\\\N', -1, b'0', b'0', x'', -0.0000000001, 0, -0, '0000-00-00', '0000-00-00 00:00:00', NULL, 'null', NULL, 0, 0)," +
			" (3, '', '', 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)," +
			" (4, 'ü€😀 \\\\\\\\ done', '😀', 1, b'1', b'10', x'5c4e', 0.5, 3.4028234e38, -2.2250738585072014e-308, '1000-01-01', '9999-12-31 23:59:59.999999'," +
			"  '2038-01-19 03:14:07.999999', '[]', '00000000-0000-0000-0000-000000000000', 2155, 1)",
	} {
		_, err := my.ExecContext(ctx, s)
		require.NoError(t, err, s)
	}
	pg := dbtest.NewPG(t)
	src, err := load.ParseURL(myURL)
	require.NoError(t, err)
	before := load.MySQLTextCopies()
	_, err = dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t), DestinationSchema: "by_text",
		Config: dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "count"}`)})
	require.NoError(t, err)
	require.Equal(t, before+1, load.MySQLTextCopies(), "verify count takes the COPY text path")
	_, err = dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t), DestinationSchema: "decoded",
		Config: dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "checksum"}`)})
	require.NoError(t, err)
	require.Equal(t, before+1, load.MySQLTextCopies(), "verify checksum decodes")

	cols := `id, tx, vc, bo, b1, b8, bn, d, f, db, dt, dtm, ts, j, u, y, ui`
	require.Equal(t, int64(4), pg.Count(t, `SELECT count(*) FROM by_text.hostile_t`))
	require.Equal(t, int64(0), pg.Count(t, `SELECT count(*) FROM ((SELECT `+cols+` FROM by_text.hostile_t EXCEPT SELECT `+cols+
		` FROM decoded.hostile_t) UNION ALL (SELECT `+cols+` FROM decoded.hostile_t EXCEPT SELECT `+cols+
		` FROM by_text.hostile_t)) d`), "both paths load the same values")

	// And the values are the source's, not merely the same mistake twice.
	var tx, vc, bn, dt string
	var bo bool
	require.NoError(t, pg.Conn.QueryRow(ctx, `SELECT tx, vc, bo, encode(bn, 'hex'), coalesce(dt::text, 'NULL') FROM by_text.hostile_t WHERE id = 2`).
		Scan(&tx, &vc, &bo, &bn, &dt))
	require.Equal(t, `back\slash \N`, tx)
	require.Equal(t, `\N`, vc)
	require.True(t, bo, "tinyint(1) -1 is true")
	require.Empty(t, bn)
	require.Equal(t, "NULL", dt, "a zero date is no date")
	require.NoError(t, pg.Conn.QueryRow(ctx, `SELECT tx, vc, encode(bn, 'hex') FROM by_text.hostile_t WHERE id = 1`).Scan(&tx, &vc, &bn))
	require.Equal(t, "tab\there", tx)
	require.Equal(t, "new\nline\r\nend", vc)
	require.Equal(t, "005c090a0dff", bn)
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM by_text.hostile_t WHERE id = 3 AND tx = '' AND vc = '' AND b1 IS NULL AND j IS NULL`))
}

// A value PostgreSQL refuses fails the run with the column named, and the destination is unchanged.
func TestMySQLTextCopy_RefusedValueFailsTheRunAndChangesNothing(t *testing.T) {
	my, myURL := dbtest.MySQLDB(t)
	ctx := context.Background()
	for _, s := range []string{
		"CREATE TABLE t (id INT PRIMARY KEY, tx TEXT)",
		"INSERT INTO t VALUES (1, 'fine')",
	} {
		_, err := my.ExecContext(ctx, s)
		require.NoError(t, err, s)
	}
	pg := dbtest.NewPG(t)
	src, err := load.ParseURL(myURL)
	require.NoError(t, err)
	spec := load.Spec{Source: src, Destination: pg.Endpoint(t), Config: dbtest.MustConfig(t, `{"write_disposition": "replace"}`)}
	_, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	_, err = my.ExecContext(ctx, "INSERT INTO t VALUES (2, 'nul \\0 byte')") // PostgreSQL text cannot hold NUL
	require.NoError(t, err)
	_, err = dbtest.RunLoad(t, spec)
	require.Error(t, err)
	require.Contains(t, err.Error(), "0x00", "PostgreSQL says which byte it refused")
	require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.t"), "the old table is still there, whole")
}
