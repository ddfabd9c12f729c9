package redshift

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/testutil"
)

func valid() map[string]any {
	return map[string]any{"host": "c1.abc.eu-west-1.redshift.amazonaws.com", "port": 5439, "database": "dev",
		"user": "awsuser", "password": "pw", "sslmode": "verify-full", "schema": "analytics"}
}

func newConnector(t *testing.T, conf map[string]any, env connectors.Env) *Connector {
	t.Helper()
	require.Empty(t, connectorstest.Registry(t, Type()).Validate("redshift", conf))
	c, err := New(conf, env)
	require.NoError(t, err)
	return c
}

func TestRedshift_IsOffered(t *testing.T) {
	t.Parallel()
	r := connectorstest.Registry(t, Type())
	require.Len(t, r.Offered(), 1)
	c, err := r.Open("redshift", valid(), connectors.Env{})
	require.NoError(t, err)
	require.Implements(t, (*connectors.Cataloger)(nil), c)
	require.Implements(t, (*connectors.Querier)(nil), c)
}

func TestRedshiftConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	connectorstest.RequireValid(t, typ, map[string]any{"host": "10.0.0.1", "database": "d", "user": "u", "password": "p"})
	for _, field := range []string{"host", "database", "user", "password"} {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), field, connectorstest.Remove), "config."+field)
	}
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "password", ""), "config.password")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "password", 123), "config.password")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "sslmode", "disable"), "config.sslmode")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "sslmode", "prefer"), "config.sslmode")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "port", "5439"), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "port", 0), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "database", "dev\x00x"), "config.database")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "schema", "a\nb"), "config.schema")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "options", "-c x=y"), "config.options")
	for _, h := range connectorstest.HostileHosts {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "host", h), "config.host")
	}
}

func TestRedshiftConfig_MasksThePassword(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), valid(), []string{"password"})
}

func TestRedshift_DefaultsToPort5439AndRequiredTLS(t *testing.T) {
	t.Parallel()
	c := newConnector(t, map[string]any{"host": "h.example.com", "database": "d", "user": "u", "password": "p"}, connectors.Env{})
	require.Equal(t, DefaultPort, c.cfg.Port)
	require.Equal(t, "require", c.cfg.SSLMode)
	cc, err := c.connConfig()
	require.NoError(t, err)
	require.Equal(t, uint16(5439), cc.Port)
	require.NotNil(t, cc.TLSConfig)
	for _, fb := range cc.Fallbacks {
		require.NotNil(t, fb.TLSConfig, "no fallback to a clear-text connection")
	}
}

// TestRedshift_SendsTheGoldenStatements pins every statement the connector sends besides the
// user's: the test statement, the session set-up, the transaction and the catalog.
func TestRedshift_SendsTheGoldenStatements(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	section := func(name, sql string) { fmt.Fprintf(&b, "-- %s\n%s;\n\n", name, sql) }
	section("test", testSQL)
	c := newConnector(t, connectorstest.With(valid(), "schema", connectorstest.Remove), connectors.Env{})
	for _, s := range c.sessionSQL() {
		section("session, no default schema", s)
	}
	c = newConnector(t, connectorstest.With(valid(), "schema", `Odd"; DROP TABLE x; --`), connectors.Env{})
	for _, s := range c.sessionSQL() {
		section("session, hostile default schema (quoted)", s)
	}
	section("query: begin (the statement follows, then ROLLBACK)", beginSQL)
	section("catalog: schemas", schemasSQL)
	section("catalog: columns", columnsSQL)
	section("catalog: version", versionSQL)
	section("catalog: late-binding view columns (Redshift only)", lateBindingSQL)
	testutil.Golden(t, "testdata/statements.golden", b.String())
}

// describeConnConfig renders what pgx will send and how it will dial, with the password
// replaced by whether it is set.
func describeConnConfig(cc *pgx.ConnConfig) string {
	var b strings.Builder
	fmt.Fprintf(&b, "host=%s port=%d database=%s user=%s password_set=%t\n", cc.Host, cc.Port, cc.Database, cc.User, cc.Password != "")
	keys := make([]string, 0, len(cc.RuntimeParams))
	for k := range cc.RuntimeParams {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "runtime_param %s=%s\n", k, cc.RuntimeParams[k])
	}
	if cc.TLSConfig == nil {
		b.WriteString("tls=none\n")
	} else {
		fmt.Fprintf(&b, "tls server_name=%s insecure_skip_verify=%t custom_verify=%t client_certs=%d\n", cc.TLSConfig.ServerName,
			cc.TLSConfig.InsecureSkipVerify, cc.TLSConfig.VerifyPeerCertificate != nil, len(cc.TLSConfig.Certificates))
	}
	fmt.Fprintf(&b, "fallbacks=%d\n", len(cc.Fallbacks))
	for _, fb := range cc.Fallbacks {
		fmt.Fprintf(&b, "fallback host=%s port=%d tls=%t\n", fb.Host, fb.Port, fb.TLSConfig != nil)
	}
	fmt.Fprintf(&b, "exec_mode=%s dial_func_set=%t connect_timeout=%s\n", cc.DefaultQueryExecMode, cc.DialFunc != nil, cc.ConnectTimeout)
	return b.String()
}

func TestRedshift_ConnConfigIsGoldenAndIgnoresTheServersEnvironment(t *testing.T) {
	// Not parallel: it sets environment variables.
	t.Setenv("PGPASSWORD", "server-secret")
	t.Setenv("PGOPTIONS", "-c default_transaction_read_only=off")
	t.Setenv("PGSSLCERT", "/server/own/client-cert.pem")
	t.Setenv("PGSSLKEY", "/server/own/client-key.pem")
	t.Setenv("PGSSLMODE", "disable")
	var b strings.Builder
	for _, mode := range []string{"require", "verify-ca", "verify-full"} {
		conf := connectorstest.With(valid(), "sslmode", mode)
		conf["password"] = "Secret-Pa55"
		cc, err := newConnector(t, conf, connectors.Env{}).connConfig()
		require.NoError(t, err, mode)
		require.Equal(t, "Secret-Pa55", cc.Password)
		fmt.Fprintf(&b, "## sslmode=%s\n%s\n", mode, describeConnConfig(cc))
	}
	out := b.String()
	require.NotContains(t, out, "Secret-Pa55")
	require.NotContains(t, out, "/server/own")
	require.NotContains(t, out, "server-secret")
	testutil.Golden(t, "testdata/connconfig.golden", out)
}

// fakeServer speaks just enough of the PostgreSQL protocol to ask for a password and refuse
// it, quoting what it received — a hostile server, to prove the message is scrubbed.
func fakeServer(t *testing.T) (port int, received <-chan string) {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
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
		if be.Flush() != nil || be.SetAuthType(pgproto3.AuthTypeCleartextPassword) != nil {
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
		be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28000",
			Message: "password authentication failed for user \"awsuser\" (received " + pw.Password + ")"})
		_ = be.Flush()
	}()
	return ln.Addr().(*net.TCPAddr).Port, got
}

// withoutTLS points a connector at a server without TLS, which the schema never allows: the
// local stand-ins (fake server, local PostgreSQL) have no certificate.
func withoutTLS(c *Connector) *Connector {
	c.cfg.SSLMode = "disable"
	return c
}

func TestRedshift_WrongPasswordAnswersNotOKWithoutThePassword(t *testing.T) {
	t.Parallel()
	port, received := fakeServer(t)
	const password = "Wr0ng-Pa55word!"
	conf := map[string]any{"host": "127.0.0.1", "port": port, "database": "dev", "user": "awsuser", "password": password}
	res := withoutTLS(newConnector(t, conf, connectors.Env{})).Test(context.Background())
	require.False(t, res.OK)
	require.Equal(t, password, <-received, "the password really went to the server")
	require.Contains(t, res.Message, "password authentication failed")
	require.NotContains(t, res.Message, password)
}

func TestRedshift_RequiredTLSRefusesAServerWithoutIt(t *testing.T) {
	t.Parallel()
	port, received := fakeServer(t)
	conf := map[string]any{"host": "127.0.0.1", "port": port, "database": "dev", "user": "awsuser", "password": "never-sent"}
	res := newConnector(t, conf, connectors.Env{}).Test(context.Background())
	require.False(t, res.OK)
	require.Empty(t, received, "no password travels over a connection that refused TLS")
	t.Log(res.Message)
}

func TestRedshift_ClosedPortAnswersNotOKAtOnce(t *testing.T) {
	t.Parallel()
	conf := map[string]any{"host": "127.0.0.1", "port": connectorstest.ClosedPort(t), "database": "d", "user": "u", "password": "pw-closed"}
	connectorstest.RequireClosedPortFails(t, newConnector(t, conf, connectors.Env{}), "pw-closed")
}

func TestRedshift_UnreachableHostAnswersWithinTheTimeout(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		host   string
		port   int
		dialer connectors.Dialer
	}{
		"dial that hangs": {host: "c1.example.com", port: 5439, dialer: connectorstest.HangingDialer{}},
		"silent server":   {host: "127.0.0.1", port: connectorstest.SilentServer(t)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conf := map[string]any{"host": tc.host, "port": tc.port, "database": "d", "user": "u", "password": "pw-unreachable"}
			connectorstest.RequireUnreachableFails(t, newConnector(t, conf, connectors.Env{Dialer: tc.dialer}), 2500*time.Millisecond, "pw-unreachable")
		})
	}
}

func TestRedshift_EgressPolicyDeniesLoopbackAtDialTime(t *testing.T) {
	t.Parallel()
	strict, err := egress.New(false, "")
	require.NoError(t, err)
	port, received := fakeServer(t)
	conf := map[string]any{"host": "127.0.0.1", "port": port, "database": "d", "user": "u", "password": "pw"}
	res := withoutTLS(newConnector(t, conf, connectors.Env{Dialer: strict.Dialer(connectors.TestTimeout)})).Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "denied")
	require.Empty(t, received, "nothing reached the server")
}

// liveURL returns the URL of a real Redshift database, or skips the test.
func liveURL(t *testing.T) *url.URL {
	t.Helper()
	raw := os.Getenv("DATANIKA_TEST_REDSHIFT_URL")
	if raw == "" {
		t.Skip("live Redshift test: set DATANIKA_TEST_REDSHIFT_URL=postgres://user:password@cluster:5439/db?sslmode=require to run it")
	}
	u, err := url.Parse(raw)
	require.NoError(t, err, "DATANIKA_TEST_REDSHIFT_URL must be a postgres:// URL")
	return u
}

func TestRedshift_CatalogSortsLateBindingViewsAmongTheTables(t *testing.T) {
	t.Parallel()
	b := newCatalogBuilder([]string{"empty", "sales"})
	col := func(name string) connectors.Column {
		return connectors.Column{Name: name, Type: "integer", Nullable: true}
	}
	b.add("sales", "a_orders", connectors.KindTable, col("id"))
	b.add("sales", "z_items", connectors.KindTable, col("id"))
	b.add("sales", "z_items", connectors.KindTable, col("qty"))
	b.add("hidden", "t", connectors.KindTable, col("id")) // a schema that was not listed
	b.add("sales", "m_late", connectors.KindView, col("id"))
	b.add("sales", "m_late", connectors.KindView, col("total"))
	require.Equal(t, []connectors.Schema{
		{Name: "empty", Tables: []connectors.Table{}},
		{Name: "sales", Tables: []connectors.Table{
			{Name: "a_orders", Kind: connectors.KindTable, Columns: []connectors.Column{col("id")}},
			{Name: "m_late", Kind: connectors.KindView, Columns: []connectors.Column{col("id"), col("total")}},
			{Name: "z_items", Kind: connectors.KindTable, Columns: []connectors.Column{col("id"), col("qty")}},
		}},
	}, b.schemas())
	require.True(t, isRedshift("PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.77467"))
	require.False(t, isRedshift("PostgreSQL 17.2 on x86_64-pc-linux-gnu"))
}
