package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"strconv"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

// liveConfig reads DATANIKA_TEST_CLICKHOUSE_URL, such as
// clickhouse://user:password@host:9440/default?secure=true (or http://, https:// for the HTTP
// protocol), or skips the test.
func liveConfig(t *testing.T) map[string]any {
	t.Helper()
	raw := os.Getenv("DATANIKA_TEST_CLICKHOUSE_URL")
	if raw == "" {
		t.Skip("live ClickHouse test: set DATANIKA_TEST_CLICKHOUSE_URL=clickhouse://user:password@host:9000/default?secure=false to run it")
	}
	u, err := url.Parse(raw)
	require.NoError(t, err)
	conf := map[string]any{"host": u.Hostname(), "protocol": "native", "secure": u.Query().Get("secure") == "true"}
	switch u.Scheme {
	case "http":
		conf["protocol"], conf["secure"] = "http", false
	case "https":
		conf["protocol"], conf["secure"] = "http", true
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		require.NoError(t, err)
		conf["port"] = n
	}
	if u.User != nil {
		conf["user"] = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			conf["password"] = pw
		}
	}
	if db := u.Path; len(db) > 1 {
		conf["database"] = db[1:]
	}
	return conf
}

// TestClickHouseLive_TestCatalogQueryAndRefusedWrite makes a database of its own on the server
// named by DATANIKA_TEST_CLICKHOUSE_URL, drops it afterwards, and runs every call against it.
func TestClickHouseLive_TestCatalogQueryAndRefusedWrite(t *testing.T) {
	conf := liveConfig(t)
	c := newConnector(t, conf, connectors.Env{})
	ctx := context.Background()
	admin, err := ch.Open(c.options(func(ctx context.Context, addr string) (net.Conn, error) {
		return c.dialFunc(context.Background())(ctx, addr)
	}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	db := "dnk_test_" + hex.EncodeToString(b)
	require.NoError(t, admin.Exec(ctx, "CREATE DATABASE "+db))
	t.Cleanup(func() { _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db) })
	require.NoError(t, admin.Exec(ctx, "CREATE TABLE "+db+".items (id UInt32, name Nullable(String), day Date) ENGINE = MergeTree ORDER BY id"))
	require.NoError(t, admin.Exec(ctx, "INSERT INTO "+db+".items VALUES (1, 'a', '2026-01-02'), (2, NULL, '2026-01-03'), (3, 'c', '2026-01-04')"))
	require.NoError(t, admin.Exec(ctx, "CREATE VIEW "+db+".v AS SELECT id FROM "+db+".items"))

	res := c.Test(ctx)
	require.True(t, res.OK, res.Message)

	schemas, err := c.Catalog(ctx)
	require.NoError(t, err)
	var found *connectors.Schema
	for i := range schemas {
		require.NotEqual(t, "system", schemas[i].Name)
		if schemas[i].Name == db {
			found = &schemas[i]
		}
	}
	require.NotNil(t, found)
	require.Equal(t, []connectors.Table{
		{Name: "items", Kind: connectors.KindTable, Columns: []connectors.Column{
			{Name: "id", Type: "UInt32", PrimaryKey: true},
			{Name: "name", Type: "Nullable(String)", Nullable: true},
			{Name: "day", Type: "Date"},
		}},
		{Name: "v", Kind: connectors.KindView, Columns: []connectors.Column{{Name: "id", Type: "UInt32"}}},
	}, found.Tables)

	out, err := c.Query(ctx, "SELECT id, name, day FROM "+db+".items ORDER BY id", 2)
	require.NoError(t, err)
	require.Equal(t, [][]any{{uint32(1), "a", "2026-01-02"}, {uint32(2), nil, "2026-01-03"}}, out.Rows)
	require.True(t, out.Truncated)

	_, err = c.Query(ctx, "INSERT INTO "+db+".items VALUES (4, 'd', '2026-01-05')", 10)
	require.ErrorContains(t, err, "readonly", "a write through Query is refused by the server")
	_, err = c.Query(ctx, "SELECT 1 SETTINGS readonly = 0", 10)
	require.Error(t, err, "the statement cannot lift read-only")
	var n uint64
	require.NoError(t, admin.QueryRow(ctx, "SELECT count() FROM "+db+".items").Scan(&n))
	require.Equal(t, uint64(3), n)
}
