package redshift

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
	"github.com/datanika/datanika/internal/testutil"
)

// The tests of this file run the Redshift connector against the local PostgreSQL as a
// stand-in for the protocol: what they prove is the wiring (dialer, session set-up, read-only
// transaction, row cap, values) and that the catalog SQL runs; Redshift's own behaviour is
// proved by the live tests behind DATANIKA_TEST_REDSHIFT_URL.

type standIn struct {
	conf  map[string]any
	admin *pgx.Conn
}

func setupStandIn(t *testing.T) standIn {
	t.Helper()
	dbURL := testutil.EmptyDatabase(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	admin, err := pgx.Connect(context.Background(), dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	port := 5432
	if p := u.Port(); p != "" {
		_, err := fmt.Sscan(p, &port)
		require.NoError(t, err)
	}
	pw, _ := u.User.Password()
	if pw == "" {
		pw = "unused-by-trust-auth"
	}
	conf := map[string]any{"host": u.Hostname(), "port": port, "database": strings.TrimPrefix(u.Path, "/"),
		"user": u.User.Username(), "password": pw}
	return standIn{conf: conf, admin: admin}
}

func (s standIn) exec(t *testing.T, sql string) {
	t.Helper()
	_, err := s.admin.Exec(context.Background(), sql)
	require.NoError(t, err)
}

func (s standIn) connector(t *testing.T, env connectors.Env) *Connector {
	t.Helper()
	return withoutTLS(newConnector(t, s.conf, env))
}

func TestRedshiftOnPostgresStandIn_TestAnswersOKThroughTheGivenDialer(t *testing.T) {
	t.Parallel()
	s := setupStandIn(t)
	dialer := &connectorstest.CountingDialer{}
	res := s.connector(t, connectors.Env{Dialer: dialer}).Test(context.Background())
	require.True(t, res.OK, res.Message)
	require.Positive(t, dialer.Dials(), "every dial goes through the Env's Dialer")
}

func TestRedshiftOnPostgresStandIn_CatalogListsTablesViewsAndPrimaryKeys(t *testing.T) {
	t.Parallel()
	s := setupStandIn(t)
	s.exec(t, `CREATE SCHEMA sales;
		CREATE TABLE sales.orders (id bigint, line int, note varchar(20) NOT NULL, amount numeric(12,2), PRIMARY KEY (id, line));
		CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 100;
		CREATE TABLE public."we""ird name" ("col ""x""" text);`)
	schemas, err := s.connector(t, connectors.Env{}).Catalog(context.Background())
	require.NoError(t, err)
	byName := map[string]connectors.Schema{}
	for _, sc := range schemas {
		byName[sc.Name] = sc
		require.False(t, strings.HasPrefix(sc.Name, "pg_"), sc.Name)
	}
	require.NotContains(t, byName, "information_schema")
	require.Equal(t, []connectors.Table{
		{Name: "big_orders", Kind: connectors.KindView, Columns: []connectors.Column{
			{Name: "id", Type: "bigint", Nullable: true},
			{Name: "amount", Type: "numeric(12,2)", Nullable: true},
		}},
		{Name: "orders", Kind: connectors.KindTable, Columns: []connectors.Column{
			{Name: "id", Type: "bigint", PrimaryKey: true},
			{Name: "line", Type: "integer", PrimaryKey: true},
			{Name: "note", Type: "character varying(20)"},
			{Name: "amount", Type: "numeric(12,2)", Nullable: true},
		}},
	}, byName["sales"].Tables)
	require.Equal(t, []connectors.Table{{Name: `we"ird name`, Kind: connectors.KindTable,
		Columns: []connectors.Column{{Name: `col "x"`, Type: "text", Nullable: true}}}}, byName["public"].Tables)
}

func TestRedshiftOnPostgresStandIn_QueryCapsRowsAndConvertsValues(t *testing.T) {
	t.Parallel()
	s := setupStandIn(t)
	c := s.connector(t, connectors.Env{})
	res, err := c.Query(context.Background(), `SELECT 12345678901234567890.5::numeric AS n, 'x'::varchar AS v,
		'2026-03-04'::date AS d, NULL::int AS nothing`, 10)
	require.NoError(t, err)
	require.Equal(t, []string{"n", "v", "d", "nothing"}, res.Columns)
	require.Equal(t, [][]any{{"12345678901234567890.5", "x", "2026-03-04", nil}}, res.Rows)

	start := time.Now()
	res, err = c.Query(context.Background(), "SELECT g FROM generate_series(1, 5000000) g", 2)
	require.NoError(t, err)
	require.Less(t, time.Since(start), 5*time.Second, "the rest of the rows is not read")
	require.Equal(t, [][]any{{int32(1)}, {int32(2)}}, res.Rows)
	require.True(t, res.Truncated)

	res, err = c.Query(context.Background(), "SELECT g FROM generate_series(1, 2) g", 2)
	require.NoError(t, err)
	require.False(t, res.Truncated, "exactly the limit is not truncated")
}

func TestRedshiftOnPostgresStandIn_QueryWritesAndDDLAreRefusedByTheDatabase(t *testing.T) {
	t.Parallel()
	s := setupStandIn(t)
	s.exec(t, "CREATE TABLE t (id int); INSERT INTO t VALUES (1)")
	c := s.connector(t, connectors.Env{})
	for _, sql := range []string{
		"INSERT INTO t VALUES (2)",
		"UPDATE t SET id = 3",
		"DELETE FROM t",
		"CREATE TABLE t2 (id int)",
		"DROP TABLE t",
		"WITH x AS (INSERT INTO t VALUES (4) RETURNING id) SELECT * FROM x",
	} {
		_, err := c.Query(context.Background(), sql, 10)
		require.ErrorContains(t, err, "read-only transaction", sql)
	}
	_, err := c.Query(context.Background(), "SELECT 1; COMMIT; DROP TABLE t", 10)
	require.ErrorContains(t, err, "multiple commands")
	var n int
	require.NoError(t, s.admin.QueryRow(context.Background(), "SELECT count(*) FROM t WHERE id = 1").Scan(&n))
	require.Equal(t, 1, n)
}

func TestRedshiftOnPostgresStandIn_QueryStopsAtTheStatementTimeout(t *testing.T) {
	t.Parallel()
	s := setupStandIn(t)
	c := s.connector(t, connectors.Env{})
	c.statementTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := c.Query(context.Background(), "SELECT pg_sleep(10)", 10)
	require.ErrorContains(t, err, "statement timeout")
	require.Less(t, time.Since(start), 3*time.Second)
}

func TestRedshiftOnPostgresStandIn_QueryUsesTheDefaultSchemaQuoted(t *testing.T) {
	t.Parallel()
	s := setupStandIn(t)
	s.exec(t, `CREATE SCHEMA "Odd; Schema"; CREATE TABLE "Odd; Schema".items (name text); INSERT INTO "Odd; Schema".items VALUES ('found')`)
	s.conf["schema"] = "Odd; Schema"
	res, err := s.connector(t, connectors.Env{}).Query(context.Background(), "SELECT name FROM items", 10)
	require.NoError(t, err)
	require.Equal(t, [][]any{{"found"}}, res.Rows)
}
