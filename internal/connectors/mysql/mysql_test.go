package mysql

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
	"github.com/datanika/datanika/internal/testutil"
)

func validConfig() map[string]any {
	return map[string]any{"host": "db.example.com", "port": 3306, "database": "app", "user": "reader",
		"password": "pw", "tls": "true"}
}

func TestMySQLConfig_AcceptsAFullConfig(t *testing.T) {
	t.Parallel()
	connectorstest.RequireValid(t, Type(), validConfig())
	connectorstest.RequireValid(t, Type(), map[string]any{"host": "10.0.0.1", "user": "u"})
}

func TestMySQLConfig_RejectsBadInputWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	base := validConfig()
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "host", connectorstest.Remove), "config.host")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "user", connectorstest.Remove), "config.user")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "port", "3306"), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "port", 0), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "port", 99999), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "tls", true), "config.tls")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "tls", "custom"), "config.tls")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "multiStatements", true), "config.multiStatements")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "database", "a\x00b"), "config.database")
	for _, h := range connectorstest.HostileHosts {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(base, "host", h), "config.host")
	}
}

func TestMySQLConfig_MasksThePassword(t *testing.T) {
	t.Parallel()
	r := connectorstest.Registry(t, Type())
	masked := r.Mask("mysql", validConfig())
	require.Equal(t, connectors.Masked, masked["password"])
	merged, err := r.Merge("mysql", validConfig(), masked)
	require.NoError(t, err)
	require.Equal(t, "pw", merged["password"])
}

// live is a database of the local MariaDB made for one test, a user with a password who owns
// it, and an admin connection.
type live struct {
	admin    *sql.DB
	conf     map[string]any // as the user, on the database
	password string
}

func suffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func setupLive(t *testing.T) live {
	t.Helper()
	dsn := testutil.MySQLDSN(t)
	parsed, err := driver.ParseDSN(dsn)
	require.NoError(t, err)
	host, portText, err := net.SplitHostPort(parsed.Addr)
	require.NoError(t, err)
	port, err := strconv.Atoi(portText)
	require.NoError(t, err)
	admin, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })

	name := "dnk_test_" + suffix()
	password := "Pw-" + suffix() + "-x"
	ctx := context.Background()
	for _, stmt := range []string{
		"CREATE DATABASE `" + name + "`",
		"CREATE USER '" + name + "'@'%' IDENTIFIED BY '" + password + "'",
		"GRANT ALL ON `" + name + "`.* TO '" + name + "'@'%'",
	} {
		_, err := admin.ExecContext(ctx, stmt)
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`")
		_, _ = admin.ExecContext(context.Background(), "DROP USER IF EXISTS '"+name+"'@'%'")
	})
	conf := map[string]any{"host": host, "port": port, "database": name, "user": name, "password": password, "tls": "false"}
	return live{admin: admin, conf: conf, password: password}
}

func (l live) exec(t *testing.T, stmts ...string) {
	t.Helper()
	conn, err := l.admin.Conn(context.Background())
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	_, err = conn.ExecContext(context.Background(), "USE `"+l.conf["database"].(string)+"`")
	require.NoError(t, err)
	for _, s := range stmts {
		_, err := conn.ExecContext(context.Background(), s)
		require.NoError(t, err, s)
	}
}

func newConnector(t *testing.T, conf map[string]any, env connectors.Env) *Connector {
	t.Helper()
	require.Empty(t, connectorstest.Registry(t, Type()).Validate("mysql", conf))
	c, err := New(conf, env)
	require.NoError(t, err)
	return c
}

func TestMySQL_TestAnswersOKThroughTheGivenDialer(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	dialer := &connectorstest.CountingDialer{}
	res := newConnector(t, l.conf, connectors.Env{Dialer: dialer}).Test(context.Background())
	require.True(t, res.OK, res.Message)
	require.Positive(t, dialer.Dials())
}

func TestMySQL_WrongPasswordAnswersNotOKWithoutThePassword(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	const wrong = "Wr0ng-Pa55word!"
	res := newConnector(t, connectorstest.With(l.conf, "password", wrong), connectors.Env{}).Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "Access denied")
	require.NotContains(t, res.Message, wrong)
	require.NotContains(t, res.Message, l.password)
}

func TestMySQL_UnreachableHostAnswersWithinTheTimeout(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		host   string
		port   int
		dialer connectors.Dialer
	}{
		"closed port":       {host: "127.0.0.1", port: connectorstest.ClosedPort(t)},
		"blackhole address": {host: connectorstest.Blackhole, port: 3306},
		"dial that hangs":   {host: "db.example.com", port: 3306, dialer: connectorstest.HangingDialer{}},
		"silent server":     {host: "127.0.0.1", port: connectorstest.SilentServer(t)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conf := map[string]any{"host": tc.host, "port": tc.port, "user": "u", "password": "pw-unreachable", "tls": "false"}
			connectorstest.RequireUnreachableFails(t, newConnector(t, conf, connectors.Env{Dialer: tc.dialer}), 2500*time.Millisecond, "pw-unreachable")
		})
	}
}

func TestMySQL_CatalogListsTablesViewsAndColumns(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	l.exec(t,
		"CREATE TABLE orders (id BIGINT, line INT, note TEXT NOT NULL, amount DECIMAL(12,2), PRIMARY KEY (id, line))",
		"CREATE TABLE nokey (code VARCHAR(10) NOT NULL UNIQUE)",
		"CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100",
		"CREATE TABLE `we``ird name` (`col \"x\"` INT)")
	schemas, err := newConnector(t, l.conf, connectors.Env{}).Catalog(context.Background())
	require.NoError(t, err)
	require.Len(t, schemas, 1, "a configured database narrows the catalog to it")
	require.Equal(t, l.conf["database"], schemas[0].Name)
	require.Equal(t, []connectors.Table{
		{Name: "big_orders", Kind: connectors.KindView, Columns: []connectors.Column{
			{Name: "id", Type: "bigint(20)", Nullable: false},
			{Name: "amount", Type: "decimal(12,2)", Nullable: true},
		}},
		{Name: "nokey", Kind: connectors.KindTable, Columns: []connectors.Column{
			{Name: "code", Type: "varchar(10)"},
		}},
		{Name: "orders", Kind: connectors.KindTable, Columns: []connectors.Column{
			{Name: "id", Type: "bigint(20)", PrimaryKey: true},
			{Name: "line", Type: "int(11)", PrimaryKey: true},
			{Name: "note", Type: "text"},
			{Name: "amount", Type: "decimal(12,2)", Nullable: true},
		}},
		{Name: "we`ird name", Kind: connectors.KindTable, Columns: []connectors.Column{
			{Name: `col "x"`, Type: "int(11)", Nullable: true},
		}},
	}, schemas[0].Tables)
}

func TestMySQL_CatalogWithoutDatabaseLeavesSystemSchemasOut(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	schemas, err := newConnector(t, connectorstest.With(l.conf, "database", connectorstest.Remove), connectors.Env{}).
		Catalog(context.Background())
	require.NoError(t, err)
	var names []string
	for _, s := range schemas {
		names = append(names, s.Name)
	}
	require.Contains(t, names, l.conf["database"])
	for _, sys := range []string{"mysql", "information_schema", "performance_schema", "sys"} {
		require.NotContains(t, names, sys)
	}
}

func TestMySQL_QueryReturnsJSONFriendlyValues(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	l.exec(t, "CREATE TABLE v (d DECIMAL(30,9), b VARBINARY(8), ts DATETIME(3), s VARCHAR(10), i BIGINT UNSIGNED, f DOUBLE, n INT, dt DATE)",
		"INSERT INTO v VALUES (123456789012345678901.123456789, X'000102', '2026-01-02 03:04:05.500', 'héllo', 18446744073709551615, 1.5, NULL, '2026-03-04')")
	res, err := newConnector(t, l.conf, connectors.Env{}).Query(context.Background(), "SELECT * FROM v", 10)
	require.NoError(t, err)
	require.Equal(t, []string{"d", "b", "ts", "s", "i", "f", "n", "dt"}, res.Columns)
	require.Equal(t, [][]any{{"123456789012345678901.123456789", "AAEC", "2026-01-02T03:04:05.5Z", "héllo",
		uint64(18446744073709551615), 1.5, nil, "2026-03-04"}}, res.Rows)
}

func TestMySQL_QueryCapsRowsAndFlagsTruncation(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	c := newConnector(t, l.conf, connectors.Env{})
	start := time.Now()
	res, err := c.Query(context.Background(), "SELECT seq FROM seq_1_to_5000000", 3)
	require.NoError(t, err)
	require.Less(t, time.Since(start), 5*time.Second, "the rest of the rows is not read")
	require.Equal(t, [][]any{{uint64(1)}, {uint64(2)}, {uint64(3)}}, res.Rows)
	require.True(t, res.Truncated)

	res, err = c.Query(context.Background(), "SELECT seq FROM seq_1_to_3", 3)
	require.NoError(t, err)
	require.Len(t, res.Rows, 3)
	require.False(t, res.Truncated)
}

func TestMySQL_QueryWritesAndDDLAreRefusedByTheDatabase(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	l.exec(t, "CREATE TABLE t (id INT)", "INSERT INTO t VALUES (1)")
	c := newConnector(t, l.conf, connectors.Env{})
	// DDL commits implicitly in MySQL/MariaDB, so a READ ONLY transaction alone would let
	// CREATE TABLE through; these prove the session itself is read-only.
	for _, stmt := range []string{
		"INSERT INTO t VALUES (2)",
		"UPDATE t SET id = 3",
		"DELETE FROM t",
		"TRUNCATE TABLE t",
		"CREATE TABLE t2 (id INT)",
		"ALTER TABLE t ADD COLUMN b INT",
		"DROP TABLE t",
		"CREATE VIEW v AS SELECT 1",
		"CREATE TEMPORARY TABLE tt (id INT)",
	} {
		_, err := c.Query(context.Background(), stmt, 10)
		require.ErrorContains(t, err, "READ ONLY transaction", stmt)
	}
	var n int
	require.NoError(t, l.admin.QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM `"+l.conf["database"].(string)+"`.t WHERE id = 1").Scan(&n))
	require.Equal(t, 1, n)
	var tables int
	require.NoError(t, l.admin.QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", l.conf["database"]).Scan(&tables))
	require.Equal(t, 1, tables, "no table or view was created")
}

func TestMySQL_QueryRefusesMoreThanOneStatement(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	l.exec(t, "CREATE TABLE t (id INT)")
	_, err := newConnector(t, l.conf, connectors.Env{}).Query(context.Background(), "SELECT 1; DROP TABLE t", 10)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "1064") || strings.Contains(err.Error(), "syntax"), err.Error())
	var tables int
	require.NoError(t, l.admin.QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 't'", l.conf["database"]).Scan(&tables))
	require.Equal(t, 1, tables)
}

func TestMySQL_QueryStopsAtTheStatementTimeout(t *testing.T) {
	t.Parallel()
	l := setupLive(t)
	c := newConnector(t, l.conf, connectors.Env{})
	c.statementTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := c.Query(context.Background(), "SELECT SLEEP(10), 1 FROM DUAL", 10)
	elapsed := time.Since(start)
	// MariaDB answers a SLEEP interrupted by max_statement_time with an error (1969) or, in
	// some versions, with the value 1; either way it returns long before 10 s.
	require.Less(t, elapsed, 3*time.Second, "err: %v", err)
	if err != nil {
		require.Contains(t, err.Error(), "max_statement_time")
	}
}
