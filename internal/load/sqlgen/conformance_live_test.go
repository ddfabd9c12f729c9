package sqlgen

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest"
)

// The destination conformance suite (package loadtest) against the warehouses, each only when
// its live-test variables are set (see liveDB and TestDestinationLive_RedshiftThroughS3);
// otherwise it skips with the reason. The source is this machine's PostgreSQL.

func TestConformanceLive_MSSQL(t *testing.T) {
	loadtest.Exercise(t, func(t *testing.T) *loadtest.Target {
		db, drop := liveDB(t, "mssql")
		u, err := url.Parse(os.Getenv("DATANIKA_TEST_MSSQL_URL"))
		require.NoError(t, err)
		q := u.Query()
		cfg := map[string]any{"host": u.Hostname(), "database": q.Get("database"), "user": u.User.Username(),
			"trust_server_certificate": q.Get("trust_server_certificate") == "true"}
		if pw, ok := u.User.Password(); ok {
			cfg["password"] = pw
		}
		if e := q.Get("encrypt"); e != "" {
			cfg["encrypt"] = e
		}
		setLivePort(t, cfg, u)
		return warehouseTarget(t, db, drop, "mssql", cfg, func(x string) string { return "CONVERT(nvarchar(max), " + x + ")" },
			func(n int) string { return fmt.Sprintf("@p%d", n) })
	})
}

func TestConformanceLive_ClickHouse(t *testing.T) {
	loadtest.Exercise(t, func(t *testing.T) *loadtest.Target {
		db, drop := liveDB(t, "clickhouse")
		u, err := url.Parse(os.Getenv("DATANIKA_TEST_CLICKHOUSE_URL"))
		require.NoError(t, err)
		cfg := map[string]any{"host": u.Hostname(), "protocol": "native", "secure": u.Query().Get("secure") == "true"}
		if u.User != nil {
			cfg["user"] = u.User.Username()
			if pw, ok := u.User.Password(); ok {
				cfg["password"] = pw
			}
		}
		if len(u.Path) > 1 {
			cfg["database"] = u.Path[1:]
		}
		setLivePort(t, cfg, u)
		target := warehouseTarget(t, db, drop, "clickhouse", cfg, func(x string) string { return "toString(" + x + ")" },
			func(int) string { return "?" })
		target.NoPrimaryKeys = true
		target.From = func(q string) string { return q + " FINAL" }
		return target
	})
}

func TestConformanceLive_Snowflake(t *testing.T) {
	loadtest.Exercise(t, func(t *testing.T) *loadtest.Target {
		db, drop := liveDB(t, "snowflake")
		env := func(n string) string { return os.Getenv("DATANIKA_TEST_SNOWFLAKE_" + n) }
		cfg := map[string]any{"account": env("ACCOUNT"), "user": env("USER"), "password": env("PASSWORD"),
			"warehouse": env("WAREHOUSE"), "database": env("DATABASE")}
		if r := env("ROLE"); r != "" {
			cfg["role"] = r
		}
		return warehouseTarget(t, db, drop, "snowflake", cfg, func(x string) string { return "TO_VARCHAR(" + x + ")" },
			func(int) string { return "?" })
	})
}

func TestConformanceLive_Redshift(t *testing.T) {
	loadtest.Exercise(t, func(t *testing.T) *loadtest.Target {
		raw := os.Getenv("DATANIKA_TEST_REDSHIFT_URL")
		env := func(n string) string { return os.Getenv("DATANIKA_TEST_REDSHIFT_" + n) }
		if raw == "" || env("S3_BUCKET") == "" {
			t.Skip("live Redshift conformance: set DATANIKA_TEST_REDSHIFT_URL and DATANIKA_TEST_REDSHIFT_S3_BUCKET, _S3_ACCESS_KEY_ID, _S3_SECRET_ACCESS_KEY (optionally _S3_PREFIX, _S3_REGION, _IAM_ROLE)")
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
		setLivePort(t, cfg, u)
		return warehouseTarget(t, nil, func(s string) string { return "DROP SCHEMA IF EXISTS " + Redshift.Quote(s) + " CASCADE" },
			"redshift", cfg, func(x string) string { return "CAST(" + x + " AS varchar(65535))" },
			func(n int) string { return fmt.Sprintf("$%d", n) })
	})
}

// warehouseTarget is the suite's Target for a warehouse destination, read back through db (nil:
// through the destination's own connection pool).
func warehouseTarget(t *testing.T, db *sql.DB, drop func(schema string) string, typ string, cfg map[string]any,
	text func(string) string, bind func(int) string) *loadtest.Target {
	t.Helper()
	Register()
	ep := load.Endpoint{Type: typ, Config: cfg}
	if db == nil {
		ld, err := load.OpenDestination(context.Background(), ep, "information_schema")
		require.NoError(t, err)
		t.Cleanup(func() { _ = ld.Close() })
		d, ok := ld.(*Destination)
		require.True(t, ok)
		db = d.DB
	} else {
		t.Cleanup(func() { _ = db.Close() })
	}
	return &loadtest.Target{Endpoint: ep, DB: db, Quote: Dialects[typ].Quote, Text: text, Bind: bind, DropSchema: drop,
		MaxIdentifier: 127, NoChecksum: true}
}

func setLivePort(t *testing.T, cfg map[string]any, u *url.URL) {
	t.Helper()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		require.NoError(t, err)
		cfg["port"] = n
	}
}
