package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/testutil"
)

func TestLoad_IntoMariaDBFromAMySQLURL(t *testing.T) {
	t.Parallel()
	cfg, err := mysql.ParseDSN(testutil.MySQLDSN(t))
	require.NoError(t, err)
	db, err := sql.Open("mysql", cfg.FormatDSN())
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "dnk_load_cli_" + hex.EncodeToString(suffix)
	// The destination schema is a database, created by the load.
	t.Cleanup(func() { _, _ = db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`") })
	u, conn := loadDB(t)
	_, err = conn.Exec(context.Background(), `CREATE TABLE public.orders (id int PRIMARY KEY, amount numeric(12,2));
		INSERT INTO public.orders SELECT g, g / 4.0 FROM generate_series(1, 300) g`)
	require.NoError(t, err)
	dst := url.URL{Scheme: "mysql", User: url.UserPassword(cfg.User, cfg.Passwd), Host: cfg.Addr, Path: "/"}
	res := runBinary(t, baseEnv(), "load", "--source", u, "--destination", dst.String(), "--destination-schema", name,
		"--name", "p", "--config", `{"mode": "single_table", "table": "public.orders", "write_disposition": "replace", "verify": "checksum"}`,
		"--output", "json")
	require.Equal(t, exitOK, res.code, res.stderr)
	var out loadOutput
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &out), res.stdout)
	require.Equal(t, int64(300), out.RowsLoaded)
	var sum string
	require.NoError(t, db.QueryRowContext(context.Background(), "SELECT CAST(SUM(amount) AS CHAR) FROM `"+name+"`.orders").Scan(&sum))
	require.Equal(t, "11287.50", sum)
}
