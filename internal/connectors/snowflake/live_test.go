package snowflake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

// liveConfig reads a real Snowflake account from the environment:
//
//	DATANIKA_TEST_SNOWFLAKE_ACCOUNT, _USER, _PASSWORD (or _PRIVATE_KEY, a PKCS#8 PEM),
//	_WAREHOUSE, _DATABASE, and optionally _ROLE.
//
// The role must be allowed to create a schema in the database; the test drops it afterwards.
func liveConfig(t *testing.T) map[string]any {
	t.Helper()
	env := func(name string) string { return os.Getenv("DATANIKA_TEST_SNOWFLAKE_" + name) }
	if env("ACCOUNT") == "" {
		t.Skip("live Snowflake tests need DATANIKA_TEST_SNOWFLAKE_ACCOUNT, _USER, _PASSWORD or _PRIVATE_KEY, _WAREHOUSE, _DATABASE (and optionally _ROLE)")
	}
	conf := map[string]any{"account": env("ACCOUNT"), "user": env("USER"), "warehouse": env("WAREHOUSE"), "database": env("DATABASE")}
	if key := env("PRIVATE_KEY"); key != "" {
		conf["authenticator"], conf["private_key"] = "key_pair", key
	} else {
		conf["password"] = env("PASSWORD")
	}
	if role := env("ROLE"); role != "" {
		conf["role"] = role
	}
	return conf
}

// liveExec runs statements with the driver directly (not through Query, which refuses them).
func liveExec(t *testing.T, c *Connector, statements ...string) {
	t.Helper()
	ctx := context.Background()
	h, err := c.open(ctx, session{})
	require.NoError(t, err)
	defer h.close()
	for _, s := range statements {
		_, err := h.conn.ExecContext(ctx, s)
		require.NoError(t, err, s)
	}
}

func TestSnowflakeLive_TestCatalogQueryAndRefusedWrites(t *testing.T) {
	conf := liveConfig(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schemaName := "DATANIKA_TEST_" + strings.ToUpper(hex.EncodeToString(b))
	conf["schema"] = schemaName
	c := newConnector(t, conf, connectors.Env{})
	ctx := context.Background()

	liveExec(t, c, "CREATE SCHEMA "+schemaName,
		"CREATE TABLE "+schemaName+".ORDERS (ID NUMBER(38,0) NOT NULL PRIMARY KEY, NOTE VARCHAR(100), AMOUNT NUMBER(12,2))",
		"INSERT INTO "+schemaName+".ORDERS VALUES (1, 'a', 1.50), (2, 'b', 2.00), (3, NULL, NULL)",
		"CREATE VIEW "+schemaName+".BIG_ORDERS AS SELECT ID FROM "+schemaName+".ORDERS WHERE AMOUNT > 1")
	t.Cleanup(func() { liveExec(t, c, "DROP SCHEMA IF EXISTS "+schemaName) })

	res := c.Test(ctx)
	require.True(t, res.OK, res.Message)

	schemas, err := c.Catalog(ctx)
	require.NoError(t, err)
	var found *connectors.Schema
	for i := range schemas {
		require.NotEqual(t, "INFORMATION_SCHEMA", schemas[i].Name)
		if schemas[i].Name == schemaName {
			found = &schemas[i]
		}
	}
	require.NotNil(t, found, "the test schema is listed")
	require.Equal(t, []connectors.Table{
		{Name: "BIG_ORDERS", Kind: connectors.KindView, Columns: []connectors.Column{{Name: "ID", Type: "NUMBER(38,0)", Nullable: true}}},
		{Name: "ORDERS", Kind: connectors.KindTable, Columns: []connectors.Column{
			{Name: "ID", Type: "NUMBER(38,0)", PrimaryKey: true},
			{Name: "NOTE", Type: "VARCHAR(100)", Nullable: true},
			{Name: "AMOUNT", Type: "NUMBER(12,2)", Nullable: true}}},
	}, found.Tables)

	q, err := c.Query(ctx, "SELECT ID, NOTE, AMOUNT FROM ORDERS ORDER BY ID", 2)
	require.NoError(t, err)
	require.Equal(t, []string{"ID", "NOTE", "AMOUNT"}, q.Columns)
	require.Len(t, q.Rows, 2)
	require.True(t, q.Truncated)
	q, err = c.Query(ctx, "SELECT ID FROM ORDERS", 3)
	require.NoError(t, err)
	require.False(t, q.Truncated, "exactly the limit is not truncated")

	for _, sql := range []string{
		"INSERT INTO ORDERS VALUES (4, 'd', 4)",
		"DELETE FROM ORDERS",
		"CREATE TABLE T2 (A INT)",
		"DROP TABLE ORDERS",
		"SELECT 1; DROP TABLE ORDERS",
		"ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 0",
	} {
		_, err := c.Query(ctx, sql, 10)
		require.Error(t, err, sql)
	}
	q, err = c.Query(ctx, "SELECT COUNT(*) AS N FROM ORDERS", 10)
	require.NoError(t, err)
	require.Equal(t, fmt.Sprint(3), fmt.Sprint(q.Rows[0][0]), "no write went through")
	q, err = c.Query(ctx, "SELECT COUNT(*) AS N FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = CURRENT_SCHEMA() AND TABLE_NAME = 'T2'", 10)
	require.NoError(t, err)
	require.Equal(t, "0", fmt.Sprint(q.Rows[0][0]), "no DDL went through")
}
