package sqlgen

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	_ "github.com/ClickHouse/clickhouse-go/v2" // database/sql driver "clickhouse"
	_ "github.com/snowflakedb/gosnowflake"     // database/sql driver "snowflake"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
)

// The live tests run the Destination against real servers named by the variables the
// connectors' live tests use, and skip with the reason otherwise (none is reachable here):
//
//	DATANIKA_TEST_MSSQL_URL       sqlserver://user:password@host:1433?database=db&encrypt=true&trust_server_certificate=true
//	DATANIKA_TEST_CLICKHOUSE_URL  clickhouse://user:password@host:9000/default
//	DATANIKA_TEST_SNOWFLAKE_ACCOUNT, _USER, _PASSWORD, _WAREHOUSE, _DATABASE (and optionally _ROLE)
//
// Each makes a schema (ClickHouse: database) of its own and drops it afterwards.

func liveDB(t *testing.T, dialect string) (db *sql.DB, drop func(schema string) string) {
	t.Helper()
	switch dialect {
	case "mssql":
		raw := os.Getenv("DATANIKA_TEST_MSSQL_URL")
		if raw == "" {
			t.Skip("live SQL Server destination test: set DATANIKA_TEST_MSSQL_URL=sqlserver://user:password@host:1433?database=db&encrypt=true&trust_server_certificate=true")
		}
		db, err := sql.Open("sqlserver", raw)
		require.NoError(t, err)
		return db, func(s string) string {
			q := MSSQL.Quote(s)
			return "DECLARE @s nvarchar(max) = N''; SELECT @s += N'DROP TABLE ' + QUOTENAME(SCHEMA_NAME(schema_id)) + N'.' + QUOTENAME(name) + N'; ' " +
				"FROM sys.tables WHERE schema_id = SCHEMA_ID(" + nString(s) + "); EXEC(@s); DROP SCHEMA " + q
		}
	case "clickhouse":
		raw := os.Getenv("DATANIKA_TEST_CLICKHOUSE_URL")
		if raw == "" {
			t.Skip("live ClickHouse destination test: set DATANIKA_TEST_CLICKHOUSE_URL=clickhouse://user:password@host:9000/default")
		}
		db, err := sql.Open("clickhouse", raw)
		require.NoError(t, err)
		return db, func(s string) string { return "DROP DATABASE IF EXISTS " + ClickHouse.Quote(s) }
	default:
		env := func(n string) string { return os.Getenv("DATANIKA_TEST_SNOWFLAKE_" + n) }
		if env("ACCOUNT") == "" {
			t.Skip("live Snowflake destination test: set DATANIKA_TEST_SNOWFLAKE_ACCOUNT, _USER, _PASSWORD, _WAREHOUSE, _DATABASE (and optionally _ROLE)")
		}
		q := url.Values{"warehouse": {env("WAREHOUSE")}}
		if r := env("ROLE"); r != "" {
			q.Set("role", r)
		}
		dsn := url.UserPassword(env("USER"), env("PASSWORD")).String() + "@" + env("ACCOUNT") + "/" + env("DATABASE") + "?" + q.Encode()
		db, err := sql.Open("snowflake", dsn)
		require.NoError(t, err)
		return db, func(s string) string { return "DROP SCHEMA IF EXISTS " + Snowflake.Quote(s) + " CASCADE" }
	}
}

func liveCount(t *testing.T, d *Destination, table string) int64 {
	t.Helper()
	final := ""
	if d.Dialect.Name() == "clickhouse" {
		final = " FINAL"
	}
	var n int64
	require.NoError(t, d.DB.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+d.Dialect.Quote(d.Schema)+"."+d.Dialect.Quote(table)+final).Scan(&n))
	return n
}

func TestDestinationLive_MergeRetryAndReplace(t *testing.T) {
	for _, dialect := range []string{"mssql", "clickhouse", "snowflake"} {
		t.Run(dialect, func(t *testing.T) {
			db, drop := liveDB(t, dialect)
			b := make([]byte, 4)
			_, _ = rand.Read(b)
			schema := "dnk test " + hex.EncodeToString(b)
			d := &Destination{DB: db, Dialect: Dialects[dialect], Schema: schema}
			t.Cleanup(func() {
				_, _ = db.ExecContext(context.Background(), drop(schema))
				_ = d.Close()
			})
			ctx := context.Background()
			state := &load.StateEntry{Pipeline: "p", Table: `Order "Lines"`, Value: "v1"}
			_, err := publishRun(t, d, destPlan(load.Merge, "r1", destColumns, evolve()), load.Publication{ExpectRows: 3, State: state},
				batchOf(t, destColumns, []any{int64(1), "x", "1"}, []any{int64(1), "x", bigDecimal}, []any{int64(2), "y", nil}))
			require.NoError(t, err)
			require.Equal(t, int64(2), liveCount(t, d, `Order "Lines"`))
			var dec string
			require.NoError(t, db.QueryRowContext(ctx, "SELECT "+liveText(dialect, `a"b`)+" FROM "+d.Dialect.Quote(schema)+"."+
				d.Dialect.Quote(`Order "Lines"`)+" WHERE "+d.Dialect.Quote("Id")+" = 1").Scan(&dec))
			require.Contains(t, dec, "1234567890123456789012345678.0123456789")

			out, err := publishRun(t, d, destPlan(load.Merge, "r1", destColumns, evolve()), load.Publication{ExpectRows: 1, State: state},
				batchOf(t, destColumns, []any{int64(1), "x", "5"}))
			require.NoError(t, err)
			require.True(t, out.AlreadyPublished)

			_, err = publishRun(t, d, destPlan(load.Replace, "r2", destColumns, evolve()), load.Publication{ExpectRows: 1},
				batchOf(t, destColumns, []any{int64(9), "z", "9.5"}))
			require.NoError(t, err)
			require.Equal(t, int64(1), liveCount(t, d, `Order "Lines"`))
			v, ok, err := d.State(ctx, "p", `Order "Lines"`)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, "v1", v)
		})
	}
}

// liveText reads a decimal column as text in each system.
func liveText(dialect, col string) string {
	switch dialect {
	case "mssql":
		return "CONVERT(nvarchar(60), " + MSSQL.Quote(col) + ")"
	case "clickhouse":
		return "toString(" + ClickHouse.Quote(col) + ")"
	default:
		return "TO_VARCHAR(" + Snowflake.Quote(col) + ")"
	}
}

// TestDestinationLive_RedshiftThroughS3 loads into a real cluster through the S3 staging path
// (files, manifest, COPY, clean-up) when DATANIKA_TEST_REDSHIFT_URL
// (postgres://user:password@cluster:5439/dev) and the staging bucket are set:
// DATANIKA_TEST_REDSHIFT_S3_BUCKET, _S3_ACCESS_KEY_ID, _S3_SECRET_ACCESS_KEY, and optionally
// _S3_PREFIX, _S3_REGION and _IAM_ROLE (without a role COPY uses the keys).
func TestDestinationLive_RedshiftThroughS3(t *testing.T) {
	raw := os.Getenv("DATANIKA_TEST_REDSHIFT_URL")
	env := func(n string) string { return os.Getenv("DATANIKA_TEST_REDSHIFT_" + n) }
	if raw == "" || env("S3_BUCKET") == "" {
		t.Skip("live Redshift destination test: set DATANIKA_TEST_REDSHIFT_URL and DATANIKA_TEST_REDSHIFT_S3_BUCKET, _S3_ACCESS_KEY_ID, _S3_SECRET_ACCESS_KEY (optionally _S3_PREFIX, _S3_REGION, _IAM_ROLE)")
	}
	u, err := url.Parse(raw)
	require.NoError(t, err)
	pw, _ := u.User.Password()
	staging := map[string]any{"bucket": env("S3_BUCKET"), "access_key_id": env("S3_ACCESS_KEY_ID"), "secret_access_key": env("S3_SECRET_ACCESS_KEY")}
	for k, v := range map[string]string{"prefix": env("S3_PREFIX"), "region": env("S3_REGION"), "iam_role": env("IAM_ROLE")} {
		if v != "" {
			staging[k] = v
		}
	}
	cfg := map[string]any{"host": u.Hostname(), "database": strings.TrimPrefix(u.Path, "/"), "user": u.User.Username(), "password": pw,
		"s3_staging": staging}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		require.NoError(t, err)
		cfg["port"] = n
	}
	Register()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "dnk test " + hex.EncodeToString(b)
	ctx := context.Background()
	ld, err := load.OpenDestination(ctx, load.Endpoint{Type: "redshift", Config: cfg}, schema)
	require.NoError(t, err)
	d := ld.(*Destination)
	t.Cleanup(func() {
		_, _ = d.DB.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+Redshift.Quote(schema)+" CASCADE")
		_ = d.Close()
	})
	state := &load.StateEntry{Pipeline: "p", Table: `Order "Lines"`, Value: "v1"}
	_, err = publishRun(t, d, destPlan(load.Merge, "r1", destColumns, evolve()), load.Publication{ExpectRows: 3, State: state},
		batchOf(t, destColumns, []any{int64(1), "x,\"y\"\nz", "1"}, []any{int64(1), "x,\"y\"\nz", bigDecimal}, []any{int64(2), "", nil}))
	require.NoError(t, err)
	require.Equal(t, int64(2), liveCount(t, d, `Order "Lines"`))
	var dec string
	var empty sql.NullString
	require.NoError(t, d.DB.QueryRowContext(ctx, `SELECT CAST("a""b" AS varchar(60)) FROM `+Redshift.Quote(schema)+`."Order ""Lines""" WHERE "Id" = 1`).Scan(&dec))
	require.Contains(t, dec, "1234567890123456789012345678.0123456789")
	require.NoError(t, d.DB.QueryRowContext(ctx, `SELECT "Kéy ключ" FROM `+Redshift.Quote(schema)+`."Order ""Lines""" WHERE "Id" = 2`).Scan(&empty))
	require.True(t, empty.Valid, "an empty string stays an empty string, not NULL")

	out, err := publishRun(t, d, destPlan(load.Merge, "r1", destColumns, evolve()), load.Publication{ExpectRows: 1, State: state},
		batchOf(t, destColumns, []any{int64(1), "x", "5"}))
	require.NoError(t, err)
	require.True(t, out.AlreadyPublished)
}
