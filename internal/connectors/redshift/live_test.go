package redshift

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

// TestRedshiftLive_TestCatalogQueryAndRefusedWrite runs against a real cluster named by
// DATANIKA_TEST_REDSHIFT_URL: it makes a schema of its own, drops it afterwards, and checks
// what the PostgreSQL stand-in cannot: that Redshift accepts the session set-up, the catalog
// SQL and BEGIN READ ONLY, and refuses a write inside it.
func TestRedshiftLive_TestCatalogQueryAndRefusedWrite(t *testing.T) {
	u := liveURL(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, u.String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schemaName := "dnk_test_" + hex.EncodeToString(b)
	q := pgx.Identifier{schemaName}.Sanitize()
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+q)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP SCHEMA "+q+" CASCADE") })
	for _, stmt := range []string{
		"CREATE TABLE " + q + ".items (id int NOT NULL, name varchar(20), PRIMARY KEY (id))",
		"INSERT INTO " + q + ".items VALUES (1, 'a'), (2, 'b'), (3, 'c')",
		"CREATE VIEW " + q + ".late AS SELECT id FROM " + q + ".items WITH NO SCHEMA BINDING",
	} {
		_, err = admin.Exec(ctx, stmt)
		require.NoError(t, err, stmt)
	}

	pw, _ := u.User.Password()
	conf := map[string]any{"host": u.Hostname(), "database": strings.TrimPrefix(u.Path, "/"), "user": u.User.Username(),
		"password": pw, "sslmode": "require", "schema": schemaName}
	if p := u.Port(); p != "" {
		conf["port"] = mustAtoi(t, p)
	}
	if m := u.Query().Get("sslmode"); m == "verify-ca" || m == "verify-full" {
		conf["sslmode"] = m
	}
	c := newConnector(t, conf, connectors.Env{})

	res := c.Test(ctx)
	require.True(t, res.OK, res.Message)

	schemas, err := c.Catalog(ctx)
	require.NoError(t, err)
	var found *connectors.Schema
	for i := range schemas {
		if schemas[i].Name == schemaName {
			found = &schemas[i]
		}
	}
	require.NotNil(t, found, "the test schema is listed")
	require.Equal(t, []connectors.Table{
		{Name: "items", Kind: connectors.KindTable, Columns: []connectors.Column{
			{Name: "id", Type: "integer", PrimaryKey: true},
			{Name: "name", Type: "character varying(20)", Nullable: true},
		}},
		{Name: "late", Kind: connectors.KindView, Columns: []connectors.Column{{Name: "id", Type: "integer", Nullable: true}}},
	}, found.Tables)

	out, err := c.Query(ctx, "SELECT id, name FROM items ORDER BY id", 2)
	require.NoError(t, err)
	require.Len(t, out.Rows, 2)
	require.True(t, out.Truncated)

	_, err = c.Query(ctx, "INSERT INTO items VALUES (4, 'd')", 10)
	require.Error(t, err, "a write through Query is refused")
	var n int
	require.NoError(t, admin.QueryRow(ctx, "SELECT count(*) FROM "+q+".items").Scan(&n))
	require.Equal(t, 3, n)
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, ch := range s {
		require.True(t, ch >= '0' && ch <= '9', "port must be a number")
		n = n*10 + int(ch-'0')
	}
	return n
}
