package mssql

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

// liveServer reads DATANIKA_TEST_MSSQL_URL, such as
// sqlserver://sa:password@127.0.0.1:1433?database=master&encrypt=true&trust_server_certificate=true,
// or skips the test. It returns an admin pool and the connector config of the same login.
func liveServer(t *testing.T) (*sql.DB, map[string]any) {
	t.Helper()
	raw := os.Getenv("DATANIKA_TEST_MSSQL_URL")
	if raw == "" {
		t.Skip("live SQL Server test: set DATANIKA_TEST_MSSQL_URL=sqlserver://user:password@host:1433?database=db&encrypt=true&trust_server_certificate=true to run it")
	}
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	conf := map[string]any{"host": u.Hostname(), "database": q.Get("database"), "user": u.User.Username()}
	if pw, ok := u.User.Password(); ok {
		conf["password"] = pw
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		require.NoError(t, err)
		conf["port"] = n
	}
	if e := q.Get("encrypt"); e != "" {
		conf["encrypt"] = e
	}
	conf["trust_server_certificate"] = q.Get("trust_server_certificate") == "true"
	c, err := New(conf, connectors.Env{})
	require.NoError(t, err)
	p, err := c.driverConfig()
	require.NoError(t, err)
	admin := sql.OpenDB(mssql.NewConnectorConfig(p))
	t.Cleanup(func() { _ = admin.Close() })
	require.NoError(t, admin.PingContext(context.Background()))
	return admin, conf
}

// TestMSSQLLive_TestCatalogQueryAndRefusedWrite makes a schema of its own, drops it afterwards,
// and runs every call against it, writes included.
func TestMSSQLLive_TestCatalogQueryAndRefusedWrite(t *testing.T) {
	admin, conf := liveServer(t)
	ctx := context.Background()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schemaName := "dnk_test_" + hex.EncodeToString(b)
	exec := func(stmt string) {
		t.Helper()
		_, err := admin.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	exec("CREATE SCHEMA " + schemaName)
	t.Cleanup(func() {
		for _, stmt := range []string{"DROP VIEW IF EXISTS " + schemaName + ".v", "DROP TABLE IF EXISTS " + schemaName + ".copy",
			"DROP TABLE IF EXISTS " + schemaName + ".items", "DROP SCHEMA " + schemaName} {
			_, _ = admin.ExecContext(context.Background(), stmt)
		}
	})
	exec("CREATE TABLE " + schemaName + ".items (id int NOT NULL PRIMARY KEY, name nvarchar(20) NULL, amount decimal(12,2) NULL)")
	exec("INSERT INTO " + schemaName + ".items VALUES (1, N'a', 1.50), (2, NULL, NULL), (3, N'c', 3.25)")
	exec("CREATE VIEW " + schemaName + ".v AS SELECT id FROM " + schemaName + ".items")

	c := newConnector(t, conf, connectors.Env{})
	res := c.Test(ctx)
	require.True(t, res.OK, res.Message)

	schemas, err := c.Catalog(ctx)
	require.NoError(t, err)
	var found *connectors.Schema
	for i := range schemas {
		require.NotEqual(t, "sys", schemas[i].Name)
		if schemas[i].Name == schemaName {
			found = &schemas[i]
		}
	}
	require.NotNil(t, found)
	require.Equal(t, []connectors.Table{
		{Name: "items", Kind: connectors.KindTable, Columns: []connectors.Column{
			{Name: "id", Type: "int", PrimaryKey: true},
			{Name: "name", Type: "nvarchar(20)", Nullable: true},
			{Name: "amount", Type: "decimal(12,2)", Nullable: true},
		}},
		{Name: "v", Kind: connectors.KindView, Columns: []connectors.Column{{Name: "id", Type: "int"}}},
	}, found.Tables)

	out, err := c.Query(ctx, "SELECT id, name, amount FROM "+schemaName+".items ORDER BY id", 2)
	require.NoError(t, err)
	require.Equal(t, [][]any{{int64(1), "a", "1.50"}, {int64(2), nil, nil}}, out.Rows)
	require.True(t, out.Truncated)

	for _, stmt := range []string{
		"INSERT INTO " + schemaName + ".items VALUES (4, N'd', NULL)",
		"DELETE FROM " + schemaName + ".items",
		"SELECT * INTO " + schemaName + ".copy FROM " + schemaName + ".items",
		"SELECT 1; DELETE FROM " + schemaName + ".items",
		"UPDATE " + schemaName + ".items SET name = N'x' OUTPUT inserted.id",
		"COMMIT",
	} {
		_, err := c.Query(ctx, stmt, 10)
		require.ErrorContains(t, err, ErrNotAQuery.Error(), stmt)
	}
	c.statementTimeout = 300 * time.Millisecond
	_, err = c.Query(ctx, "SELECT COUNT_BIG(*) FROM sys.all_columns a CROSS JOIN sys.all_columns b CROSS JOIN sys.all_columns c", 10)
	require.ErrorContains(t, err, "statement timeout")
	var n int
	require.NoError(t, admin.QueryRowContext(ctx, "SELECT count(*) FROM "+schemaName+".items WHERE name IS NULL OR name <> N'x'").Scan(&n))
	require.Equal(t, 3, n)
}
