package bigquery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

// liveConfig reads a real BigQuery project from the environment:
//
//	DATANIKA_TEST_BIGQUERY_CREDENTIALS  a service-account key (the JSON itself)
//	DATANIKA_TEST_BIGQUERY_PROJECT      the project id
//	DATANIKA_TEST_BIGQUERY_LOCATION     optional, US when left out
//
// The account needs BigQuery Data Editor and Job User on the project: the test creates a
// dataset of its own and deletes it afterwards.
func liveConfig(t *testing.T) map[string]any {
	t.Helper()
	creds, project := os.Getenv("DATANIKA_TEST_BIGQUERY_CREDENTIALS"), os.Getenv("DATANIKA_TEST_BIGQUERY_PROJECT")
	if creds == "" || project == "" {
		t.Skip("live BigQuery tests need DATANIKA_TEST_BIGQUERY_CREDENTIALS (service-account key JSON) and DATANIKA_TEST_BIGQUERY_PROJECT")
	}
	location := os.Getenv("DATANIKA_TEST_BIGQUERY_LOCATION")
	if location == "" {
		location = "US"
	}
	return map[string]any{"project_id": project, "location": location, "credentials_json": creds}
}

// liveExec runs statements with the client directly (not through Query, which refuses them).
func liveExec(t *testing.T, c *Connector, statements ...string) {
	t.Helper()
	ctx := context.Background()
	client, closeFn, err := c.client(ctx)
	require.NoError(t, err)
	defer closeFn()
	for _, s := range statements {
		q := client.Query(s)
		q.Location = c.cfg.Location
		job, err := q.Run(ctx)
		require.NoError(t, err, s)
		status, err := job.Wait(ctx)
		require.NoError(t, err, s)
		require.NoError(t, status.Err(), s)
	}
}

func TestBigQueryLive_TestCatalogQueryAndRefusedWrites(t *testing.T) {
	conf := liveConfig(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	dataset := "datanika_test_" + hex.EncodeToString(b)
	conf["dataset"] = dataset
	c := newConnector(t, conf, connectors.Env{})
	ctx := context.Background()
	ds := quote(c.cfg.ProjectID) + "." + quote(dataset)

	liveExec(t, c, "CREATE SCHEMA "+ds+" OPTIONS (location = '"+c.cfg.Location+"')",
		"CREATE TABLE "+ds+".orders (id INT64 NOT NULL, note STRING, amount NUMERIC, PRIMARY KEY (id) NOT ENFORCED)",
		"INSERT INTO "+ds+".orders VALUES (1, 'a', 1.5), (2, 'b', 2), (3, NULL, NULL)",
		"CREATE VIEW "+ds+".big_orders AS SELECT id FROM "+ds+".orders WHERE amount > 1")
	t.Cleanup(func() { liveExec(t, c, "DROP SCHEMA IF EXISTS "+ds+" CASCADE") })

	res := c.Test(ctx)
	require.True(t, res.OK, res.Message)

	schemas, err := c.Catalog(ctx)
	require.NoError(t, err)
	require.Equal(t, []connectors.Schema{{Name: dataset, Tables: []connectors.Table{
		{Name: "big_orders", Kind: connectors.KindView, Columns: []connectors.Column{{Name: "id", Type: "INT64"}}},
		{Name: "orders", Kind: connectors.KindTable, Columns: []connectors.Column{
			{Name: "id", Type: "INT64", PrimaryKey: true},
			{Name: "note", Type: "STRING", Nullable: true},
			{Name: "amount", Type: "NUMERIC", Nullable: true}}},
	}}}, schemas)

	q, err := c.Query(ctx, "SELECT id, note, amount FROM orders ORDER BY id", 2)
	require.NoError(t, err)
	require.Equal(t, []string{"id", "note", "amount"}, q.Columns)
	require.Equal(t, [][]any{{int64(1), "a", "1.5"}, {int64(2), "b", "2"}}, q.Rows)
	require.True(t, q.Truncated)
	q, err = c.Query(ctx, "SELECT id FROM orders", 3)
	require.NoError(t, err)
	require.False(t, q.Truncated, "exactly the limit is not truncated")

	for _, sql := range []string{
		"INSERT INTO orders VALUES (4, 'd', 4)",
		"DELETE FROM orders WHERE true",
		"CREATE TABLE " + ds + ".t2 (a INT64)",
		"DROP TABLE orders",
		"SELECT 1; DROP TABLE orders",
	} {
		_, err := c.Query(ctx, sql, 10)
		require.Error(t, err, sql)
	}
	q, err = c.Query(ctx, "SELECT COUNT(*) AS n FROM orders", 10)
	require.NoError(t, err)
	require.Equal(t, "3", fmt.Sprint(q.Rows[0][0]), "no write went through")
	schemas, err = c.Catalog(ctx)
	require.NoError(t, err)
	require.Len(t, schemas[0].Tables, 2, "no DDL went through")
}
