package load_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	msconn "github.com/datanika/datanika/internal/connectors/mssql"
	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

// TestRun_MSSQLToPostgresLive loads every SQL Server type into PostgreSQL, then an incremental
// window with a filter. It needs a server: DATANIKA_TEST_MSSQL_URL such as
// sqlserver://sa:password@127.0.0.1:1433?database=master&encrypt=true&trust_server_certificate=true.
func TestRun_MSSQLToPostgresLive(t *testing.T) {
	raw := os.Getenv("DATANIKA_TEST_MSSQL_URL")
	if raw == "" {
		t.Skip("live SQL Server test skipped: no server here; set DATANIKA_TEST_MSSQL_URL=sqlserver://user:password@host:1433?database=db&encrypt=true&trust_server_certificate=true to run it")
	}
	ctx := context.Background()
	src, err := load.ParseURL(raw)
	require.NoError(t, err)
	c, err := msconn.New(src.Config, connectors.Env{})
	require.NoError(t, err)
	db, admin, err := c.Open(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close(); _ = db.Close() })
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "dnk_load_" + hex.EncodeToString(b)
	exec := func(stmt string) {
		t.Helper()
		_, err := admin.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+schema+".all_types")
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema)
	})
	exec(`CREATE TABLE ` + schema + `.all_types (id bigint NOT NULL PRIMARY KEY, bt bit, ti tinyint, si smallint, i int,
  d decimal(38,10), m money, sm smallmoney, f float, r real, c char(3), vc varchar(max), nvc nvarchar(40), tx ntext,
  bn binary(2), vb varbinary(max), dt date, tm time(7), dtm datetime, dt2 datetime2(7), sdt smalldatetime,
  dto datetimeoffset(7), u uniqueidentifier, x xml, hid hierarchyid, updated datetime2(3) NOT NULL)`)
	exec(`INSERT INTO ` + schema + `.all_types VALUES
 (1, 1, 255, -32768, -2147483648, 1234567890123456789012345678.0123456789, -922337203685477.5808, 214748.3647, 2.718281828459045,
  1.5, 'abc', REPLICATE(CAST('x' AS varchar(max)), 10000), N'ü€😀', N'memo', 0x00FF, 0xDEADBEEF, '2024-02-29', '23:59:59.9999999',
  '1999-12-31 23:59:59.997', '1999-12-31 23:59:59.1234567', '2024-06-01 10:00', '2024-06-01 12:00:00 +02:00',
  'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '<a b="1"/>', '/1/2/', '2024-01-01 00:00:00'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, '2024-01-02 00:00:00')`)

	pg := dbtest.NewPG(t)
	cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "`+schema+`.all_types", "write_disposition": "replace", "verify": "checksum"}`)
	res, err := dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t), Config: cfg})
	require.NoError(t, err)
	require.Equal(t, int64(2), res.RowsLoaded)
	want := map[string]string{
		"bt": "true", "ti": "255", "si": "-32768", "i": "-2147483648", "d": "1234567890123456789012345678.0123456789",
		"m": "-922337203685477.5808", "sm": "214748.3647", "f": "2.718281828459045", "r": "1.5", "c": "abc", "nvc": "ü€😀",
		"tx": "memo", "bn": `\x00ff`, "vb": `\xdeadbeef`, "dt": "2024-02-29", "tm": "23:59:59.999999",
		"dtm": "1999-12-31 23:59:59.997", "dt2": "1999-12-31 23:59:59.123456", "sdt": "2024-06-01 10:00:00",
		"u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x": `<a b="1"/>`, "hid": "/1/2/",
	}
	for col, v := range want {
		var got string
		require.NoError(t, pg.Conn.QueryRow(ctx, `SELECT "`+col+`"::text FROM raw.all_types WHERE id = 1`).Scan(&got), col)
		require.Equal(t, v, got, col)
	}
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw.all_types WHERE id = 1 AND dto = '2024-06-01 10:00:00Z' AND length(vc) = 10000`))
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw.all_types WHERE id = 2 AND bt IS NULL AND d IS NULL AND u IS NULL AND hid IS NULL`))

	// Incremental append with a filter: both pushed into the SQL as @p parameters.
	inc := dbtest.MustConfig(t, `{"mode": "single_table", "table": "`+schema+`.all_types", "write_disposition": "append",
	  "filters": [{"column": "nvc", "op": "ne", "value": "skip"}],
	  "incremental": {"cursor_path": "updated", "initial_value": "2024-01-01T12:00:00", "row_order": "asc"}}`)
	res, err = dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t), Config: inc, DestinationSchema: "inc", Pipeline: "p"})
	require.NoError(t, err)
	require.Equal(t, int64(0), res.RowsLoaded, "row 2's nvc is NULL: <> 'skip' is unknown, as in SQL")
	exec("INSERT INTO " + schema + ".all_types (id, nvc, updated) VALUES (3, N'keep', '2024-03-01'), (4, N'skip', '2024-03-02')")
	res, err = dbtest.RunLoad(t, load.Spec{Source: src, Destination: pg.Endpoint(t), Config: inc, DestinationSchema: "inc", Pipeline: "p"})
	require.NoError(t, err)
	require.Equal(t, int64(1), res.RowsLoaded)
	require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM inc.all_types WHERE id = 3"))
}
