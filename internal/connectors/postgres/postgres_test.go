package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
	"github.com/datanika/datanika/internal/testutil"
)

func validConfig() map[string]any {
	return map[string]any{"host": "db.example.com", "port": 5432, "database": "app", "user": "reader",
		"password": "pw", "sslmode": "require", "schema": "public"}
}

func TestPostgresConfig_AcceptsAFullConfig(t *testing.T) {
	t.Parallel()
	connectorstest.RequireValid(t, Type(), validConfig())
	connectorstest.RequireValid(t, Type(), map[string]any{"host": "10.0.0.1", "database": "d", "user": "u"})
	connectorstest.RequireValid(t, Type(), map[string]any{"host": "::1", "database": "d", "user": "u"})
}

func TestPostgresConfig_RejectsBadInputWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	base := validConfig()
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "host", connectorstest.Remove), "config.host")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "user", connectorstest.Remove), "config.user")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "port", "5432"), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "port", 0), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "port", 65536), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "password", 123), "config.password")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "sslmode", "sometimes"), "config.sslmode")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "options", "-c x=y"), "config.options")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "database", "app\x00x"), "config.database")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "schema", "a\nb"), "config.schema")
	for _, h := range connectorstest.HostileHosts {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "host", h), "config.host")
	}
}

func TestPostgresConfig_MasksThePassword(t *testing.T) {
	t.Parallel()
	r := connectorstest.Registry(t, Type())
	masked := r.Mask("postgres", validConfig())
	require.Equal(t, connectors.Masked, masked["password"])
	require.Equal(t, "reader", masked["user"])
	merged, err := r.Merge("postgres", validConfig(), masked)
	require.NoError(t, err)
	require.Equal(t, "pw", merged["password"])
}

// live is a database of the local PostgreSQL made for one test, with a connector on it.
type live struct {
	url  string
	conf map[string]any
	conn *pgx.Conn // admin connection to the test database
}

func setupLive(t *testing.T) live {
	t.Helper()
	dbURL := testutil.EmptyDatabase(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	port := 5432
	if p := u.Port(); p != "" {
		_, err := fmt.Sscan(p, &port)
		require.NoError(t, err)
	}
	conf := map[string]any{"host": u.Hostname(), "port": port, "database": strings.TrimPrefix(u.Path, "/"),
		"user": u.User.Username(), "sslmode": "disable"}
	if pw, ok := u.User.Password(); ok {
		conf["password"] = pw
	}
	return live{url: dbURL, conf: conf, conn: conn}
}

func (l live) exec(t *testing.T, sql string) {
	t.Helper()
	_, err := l.conn.Exec(context.Background(), sql)
	require.NoError(t, err)
}

func newConnector(t *testing.T, conf map[string]any, env connectors.Env) *Connector {
	t.Helper()
	r := connectorstest.Registry(t, Type())
	require.Empty(t, r.Validate("postgres", conf))
	c, err := New(conf, env)
	require.NoError(t, err)
	return c
}

func TestPostgres_TestAnswersOKThroughTheGivenDialer(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	dialer := &connectorstest.CountingDialer{}
	res := newConnector(t, l.conf, connectors.Env{Dialer: dialer}).Test(context.Background())
	require.True(t, res.OK, res.Message)
	require.Equal(t, "connected", res.Message)
	require.Positive(t, dialer.Dials(), "every dial goes through the Env's Dialer")
}

// fakeServer speaks just enough of the PostgreSQL protocol to ask for a password and refuse
// it, quoting what it received — a hostile server, to prove the message is scrubbed. The
// local PostgreSQL trusts 127.0.0.1, so it cannot refuse a password itself.
func fakeServer(t *testing.T) (port int, received <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	got := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer func() { _ = conn.Close() }()
		be := pgproto3.NewBackend(conn, conn)
		if _, err := be.ReceiveStartupMessage(); err != nil {
			return
		}
		be.Send(&pgproto3.AuthenticationCleartextPassword{})
		if be.Flush() != nil {
			return
		}
		if be.SetAuthType(pgproto3.AuthTypeCleartextPassword) != nil {
			return
		}
		msg, err := be.Receive()
		if err != nil {
			return
		}
		pw, _ := msg.(*pgproto3.PasswordMessage)
		if pw == nil {
			return
		}
		got <- pw.Password
		be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01",
			Message: "password authentication failed for user \"reader\" (received " + pw.Password + ")"})
		_ = be.Flush()
	}()
	return ln.Addr().(*net.TCPAddr).Port, got
}

func TestPostgres_WrongPasswordAnswersNotOKWithoutThePassword(t *testing.T) {
	t.Parallel()
	port, received := fakeServer(t)
	const password = "Wr0ng-Pa55word!"
	conf := map[string]any{"host": "127.0.0.1", "port": port, "database": "app", "user": "reader",
		"password": password, "sslmode": "disable"}
	res := newConnector(t, conf, connectors.Env{}).Test(context.Background())
	require.False(t, res.OK)
	require.Equal(t, password, <-received, "the password really went to the server")
	require.Contains(t, res.Message, "password authentication failed")
	require.Contains(t, res.Message, "28P01")
	require.NotContains(t, res.Message, password)
}

func TestPostgres_UnknownRoleOrDatabaseAnswersNotOKWithoutThePassword(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	const password = "S3cret-Never-Shown"
	role := connectorstest.With(l.conf, "user", "dnk_no_such_role_"+suffix())
	role["password"] = password
	res := newConnector(t, role, connectors.Env{}).Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "does not exist")
	require.NotContains(t, res.Message, password)

	db := connectorstest.With(l.conf, "database", "dnk_no_such_db_"+suffix())
	db["password"] = password
	res = newConnector(t, db, connectors.Env{}).Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "does not exist")
	require.NotContains(t, res.Message, password)
}

func TestPostgres_ClosedPortAnswersNotOKAtOnce(t *testing.T) {
	t.Parallel()
	conf := map[string]any{"host": "127.0.0.1", "port": connectorstest.ClosedPort(t), "database": "d", "user": "u",
		"password": "pw-closed", "sslmode": "disable"}
	connectorstest.RequireClosedPortFails(t, newConnector(t, conf, connectors.Env{}), "pw-closed")
}

func TestPostgres_UnreachableHostAnswersWithinTheTimeout(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		host   string
		port   int
		dialer connectors.Dialer
	}{
		"blackhole address": {host: connectorstest.Blackhole, port: 5432},
		"dial that hangs":   {host: "db.example.com", port: 5432, dialer: connectorstest.HangingDialer{}},
		"silent server":     {host: "127.0.0.1", port: connectorstest.SilentServer(t)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conf := map[string]any{"host": tc.host, "port": tc.port, "database": "d", "user": "u",
				"password": "pw-unreachable", "sslmode": "disable"}
			connectorstest.RequireUnreachableFails(t, newConnector(t, conf, connectors.Env{Dialer: tc.dialer}), 2500*time.Millisecond, "pw-unreachable")
		})
	}
}

func suffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func TestPostgres_CatalogListsUserSchemasTablesAndColumns(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	l.exec(t, `CREATE SCHEMA sales;
		CREATE TABLE sales.orders (id bigint, line int, note text NOT NULL, amount numeric(12,2), PRIMARY KEY (id, line));
		CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 100;
		CREATE TABLE public."we""ird name" ("col ""x""" text);`)
	schemas, err := newConnector(t, l.conf, connectors.Env{}).Catalog(context.Background())
	require.NoError(t, err)

	byName := map[string]connectors.Schema{}
	for _, s := range schemas {
		byName[s.Name] = s
	}
	require.NotContains(t, byName, "pg_catalog")
	require.NotContains(t, byName, "information_schema")
	require.Contains(t, byName, "public")
	sales := byName["sales"]
	require.Len(t, sales.Tables, 2)
	require.Equal(t, connectors.Table{Name: "big_orders", Kind: connectors.KindView, Columns: []connectors.Column{
		{Name: "id", Type: "bigint", Nullable: true},
		{Name: "amount", Type: "numeric(12,2)", Nullable: true},
	}}, sales.Tables[0])
	require.Equal(t, connectors.Table{Name: "orders", Kind: connectors.KindTable, Columns: []connectors.Column{
		{Name: "id", Type: "bigint", PrimaryKey: true},
		{Name: "line", Type: "integer", PrimaryKey: true},
		{Name: "note", Type: "text"},
		{Name: "amount", Type: "numeric(12,2)", Nullable: true},
	}}, sales.Tables[1])
	require.Equal(t, []connectors.Table{{Name: `we"ird name`, Kind: connectors.KindTable,
		Columns: []connectors.Column{{Name: `col "x"`, Type: "text", Nullable: true}}}}, byName["public"].Tables)
}

func TestPostgres_QueryReturnsJSONFriendlyValues(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	res, err := newConnector(t, l.conf, connectors.Env{}).Query(context.Background(), `SELECT
		12345678901234567890.123456789::numeric AS n, 'NaN'::float8 AS f, '\x000102'::bytea AS b,
		'2026-01-02 03:04:05.5+00'::timestamptz AS ts, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u,
		'{"k": [1, "x"]}'::jsonb AS j, NULL::text AS nothing, 42 AS i, '2026-03-04'::date AS d`, 10)
	require.NoError(t, err)
	require.Equal(t, []string{"n", "f", "b", "ts", "u", "j", "nothing", "i", "d"}, res.Columns)
	require.Equal(t, [][]any{{"12345678901234567890.123456789", "NaN", "AAEC", "2026-01-02T03:04:05.5Z",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", map[string]any{"k": []any{float64(1), "x"}}, nil, int32(42), "2026-03-04"}}, res.Rows)
	require.False(t, res.Truncated)
}

func TestPostgres_QueryCapsRowsAndFlagsTruncation(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	c := newConnector(t, l.conf, connectors.Env{})
	start := time.Now()
	res, err := c.Query(context.Background(), "SELECT g FROM generate_series(1, 5000000) g", 3)
	require.NoError(t, err)
	require.Less(t, time.Since(start), 5*time.Second, "the rest of the rows is not read")
	require.Equal(t, [][]any{{int32(1)}, {int32(2)}, {int32(3)}}, res.Rows)
	require.True(t, res.Truncated)

	res, err = c.Query(context.Background(), "SELECT g FROM generate_series(1, 3) g", 3)
	require.NoError(t, err)
	require.Len(t, res.Rows, 3)
	require.False(t, res.Truncated, "exactly the limit is not truncated")
}

func TestPostgres_QueryWritesAndDDLAreRefusedByTheDatabase(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	l.exec(t, "CREATE TABLE t (id int); INSERT INTO t VALUES (1)")
	c := newConnector(t, l.conf, connectors.Env{})
	for _, sql := range []string{
		"INSERT INTO t VALUES (2)",
		"UPDATE t SET id = 3",
		"DELETE FROM t",
		"CREATE TABLE t2 (id int)",
		"DROP TABLE t",
		"WITH x AS (INSERT INTO t VALUES (4) RETURNING id) SELECT * FROM x",
		"SELECT nextval('s')",
		"SET TRANSACTION READ WRITE",
		"SELECT set_config('transaction_read_only', 'off', true)",
	} {
		_, err := c.Query(context.Background(), sql, 10)
		require.Error(t, err, sql)
		if strings.HasPrefix(sql, "INSERT") || strings.HasPrefix(sql, "CREATE") || strings.HasPrefix(sql, "DROP") {
			require.Contains(t, err.Error(), "read-only transaction", sql)
		}
	}
	var n int
	require.NoError(t, l.conn.QueryRow(context.Background(), "SELECT count(*) FROM t WHERE id = 1").Scan(&n))
	require.Equal(t, 1, n)
	var exists bool
	require.NoError(t, l.conn.QueryRow(context.Background(), "SELECT to_regclass('t2') IS NOT NULL").Scan(&exists))
	require.False(t, exists)
}

func TestPostgres_QueryRefusesMoreThanOneStatement(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	l.exec(t, "CREATE TABLE t (id int)")
	_, err := newConnector(t, l.conf, connectors.Env{}).Query(context.Background(), "SELECT 1; COMMIT; DROP TABLE t", 10)
	require.ErrorContains(t, err, "multiple commands")
	var exists bool
	require.NoError(t, l.conn.QueryRow(context.Background(), "SELECT to_regclass('t') IS NOT NULL").Scan(&exists))
	require.True(t, exists)
}

func TestPostgres_QueryStopsAtTheStatementTimeout(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	c := newConnector(t, l.conf, connectors.Env{})
	c.statementTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := c.Query(context.Background(), "SELECT pg_sleep(10)", 10)
	require.ErrorContains(t, err, "statement timeout")
	require.Less(t, time.Since(start), 3*time.Second)
}

func TestPostgres_QueryUsesTheConfiguredSchemaQuoted(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	l.exec(t, `CREATE SCHEMA "Odd; Schema"; CREATE TABLE "Odd; Schema".items (name text); INSERT INTO "Odd; Schema".items VALUES ('found')`)
	c := newConnector(t, connectorstest.With(l.conf, "schema", "Odd; Schema"), connectors.Env{})
	res, err := c.Query(context.Background(), "SELECT name FROM items", 10)
	require.NoError(t, err)
	require.Equal(t, [][]any{{"found"}}, res.Rows)
}

func TestPostgres_ConnConfigIgnoresTheServersEnvironment(t *testing.T) {
	// Not parallel: it sets environment variables.
	t.Setenv("PGPASSWORD", "server-secret")
	t.Setenv("PGOPTIONS", "-c default_transaction_read_only=off")
	t.Setenv("PGAPPNAME", "server-app")
	t.Setenv("PGTARGETSESSIONATTRS", "read-write")
	t.Setenv("PGSSLCERT", "/server/own/client-cert.pem")
	t.Setenv("PGSSLKEY", "/server/own/client-key.pem")
	t.Setenv("PGSSLROOTCERT", "/server/own/ca.pem")
	t.Setenv("PGPASSFILE", "/server/own/pgpass")
	conf := map[string]any{"host": "db.example.com", "database": "we?ird/db#1", "user": "us@er:x", "sslmode": "disable"}
	c := newConnector(t, conf, connectors.Env{})
	cc, err := c.connConfig()
	require.NoError(t, err)
	require.Empty(t, cc.Password, "the server's PGPASSWORD must never reach a user's host")
	require.Equal(t, "we?ird/db#1", cc.Database)
	require.Equal(t, "us@er:x", cc.User)
	require.Equal(t, map[string]string{"application_name": "datanika"}, cc.RuntimeParams)
	require.Nil(t, cc.ValidateConnect)

	// Every TLS mode builds without touching the server's certificate files.
	for _, mode := range []string{"disable", "prefer", "require", "verify-ca", "verify-full"} {
		cc, err := newConnector(t, connectorstest.With(conf, "sslmode", mode), connectors.Env{}).connConfig()
		require.NoError(t, err, mode)
		if mode != "disable" {
			require.NotNil(t, cc.TLSConfig, mode)
			require.Empty(t, cc.TLSConfig.Certificates, mode)
			require.Equal(t, "db.example.com", cc.TLSConfig.ServerName, mode)
		}
	}
}
