package snowflake

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/testutil"
)

const password = "Sn0w-Pa55word!"

func valid() map[string]any {
	return map[string]any{"account": "myorg-acct1", "user": "LOADER", "password": password,
		"warehouse": "COMPUTE_WH", "database": "RAW", "schema": "PUBLIC", "role": "LOADER_ROLE"}
}

func newConnector(t *testing.T, conf map[string]any, env connectors.Env) *Connector {
	t.Helper()
	require.Empty(t, connectorstest.Registry(t, Type()).Validate("snowflake", conf))
	c, err := New(conf, env)
	require.NoError(t, err)
	return c
}

// onFake is a connector of the valid config pointed at a fake server.
func onFake(t *testing.T, f *fakeServer, env connectors.Env) *Connector {
	t.Helper()
	c := newConnector(t, valid(), env)
	c.server = f.endpoint(t)
	return c
}

func TestSnowflake_IsOfferedWithCatalogAndQuery(t *testing.T) {
	t.Parallel()
	r := connectorstest.Registry(t, Type())
	require.Len(t, r.Offered(), 1)
	c, err := r.Open("snowflake", valid(), connectors.Env{})
	require.NoError(t, err)
	require.Implements(t, (*connectors.Cataloger)(nil), c)
	require.Implements(t, (*connectors.Querier)(nil), c)
}

func TestSnowflakeConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	connectorstest.RequireValid(t, typ, map[string]any{"account": "xy12345.eu-central-1", "user": "u", "password": "p",
		"warehouse": "W", "database": "D"})
	keyPair := connectorstest.With(connectorstest.With(valid(), "password", connectorstest.Remove), "authenticator", "key_pair")
	connectorstest.RequireInvalid(t, typ, keyPair, "config.private_key")
	connectorstest.RequireValid(t, typ, connectorstest.With(keyPair, "private_key", "-----BEGIN PRIVATE KEY-----"))
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "password", connectorstest.Remove), "config.password")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "warehouse", connectorstest.Remove), "config.warehouse")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "database", connectorstest.Remove), "config.database")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "user", 42), "config.user")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "password", 42), "config.password")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "authenticator", "externalbrowser"), "config.authenticator")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "private_key_passphrase", "x"), "config.private_key_passphrase")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "host", "evil.example.com"), "config.host")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "role", "R\nX"), "config.role")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "schema", "a\x00b"), "config.schema")
	for _, h := range connectorstest.HostileHosts {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "account", h), "config.account")
	}
}

func TestSnowflakeConfig_MasksPasswordAndKey(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), valid(), []string{"password"})
	keyPair := connectorstest.With(connectorstest.With(valid(), "authenticator", "key_pair"), "private_key", "PEM")
	connectorstest.RequireMasked(t, Type(), keyPair, []string{"password"}, []string{"private_key"})
}

// driverConfigText renders the driver config the connector builds, secrets replaced.
func driverConfigText(t *testing.T, c *Connector, s session) string {
	t.Helper()
	cfg, err := c.driverConfig(s)
	require.NoError(t, err)
	var params []string
	for k, v := range cfg.Params {
		params = append(params, k+"="+*v)
	}
	sort.Strings(params)
	masked := func(s string) string {
		if s == "" {
			return ""
		}
		return "<secret>"
	}
	key := ""
	if cfg.PrivateKey != nil {
		key = fmt.Sprintf("<RSA %d-bit key>", cfg.PrivateKey.N.BitLen())
	}
	_, isOurs := cfg.Transporter.(*statementTypeTransport)
	// The driver's own rendering of the config, where it derives the host; secrets replaced.
	shown := *cfg
	shown.Password, shown.PrivateKey, shown.Transporter = masked(cfg.Password), nil, nil
	dsn, err := sf.DSN(&shown)
	require.NoError(t, err)
	return fmt.Sprintf(`DSN: %s
Account: %s
User: %s
Password: %s
PrivateKey: %s
Authenticator: %s
Database: %s
Schema: %s
Warehouse: %s
Role: %s
Host/Port/Protocol: %q %d %q (the driver derives <account>.snowflakecomputing.com:443 https)
Application: %s
Params: %s
MaxRetryCount: %d
Transporter dials through the Env's Dialer: %t
DisableQueryContextCache: %t DisableConsoleLogin: %v ValidateDefaultParameters: %v
`, dsn, cfg.Account, cfg.User, masked(cfg.Password), key, cfg.Authenticator, cfg.Database, cfg.Schema, cfg.Warehouse, cfg.Role,
		cfg.Host, cfg.Port, cfg.Protocol, cfg.Application, strings.Join(params, " "),
		cfg.MaxRetryCount, isOurs, cfg.DisableQueryContextCache, cfg.DisableConsoleLogin, cfg.ValidateDefaultParameters)
}

func rsaKeyPEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestSnowflake_DriverConfigGolden(t *testing.T) {
	t.Parallel()
	c := newConnector(t, valid(), connectors.Env{})
	testutil.Golden(t, "testdata/driver_config_password.golden", driverConfigText(t, c, session{}))
	testutil.Golden(t, "testdata/driver_config_query.golden", driverConfigText(t, c, session{rowsPerResultSet: 101}))

	keyPair := connectorstest.With(connectorstest.With(connectorstest.With(valid(), "password", connectorstest.Remove),
		"authenticator", "key_pair"), "private_key", rsaKeyPEM(t))
	testutil.Golden(t, "testdata/driver_config_key_pair.golden", driverConfigText(t, newConnector(t, keyPair, connectors.Env{}), session{}))
}

func TestSnowflake_PrivateKeyProblemsAreNamedWithoutTheKey(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"not pem":   "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ",
		"encrypted": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
		"garbage":   "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbCwganVzdCB0ZXh0\n-----END PRIVATE KEY-----\n",
	}
	for name, key := range cases {
		conf := connectorstest.With(connectorstest.With(valid(), "authenticator", "key_pair"), "private_key", key)
		res := newConnector(t, conf, connectors.Env{}).Test(context.Background())
		require.False(t, res.OK, name)
		require.Contains(t, res.Message, "private key", name)
		require.NotContains(t, res.Message, "MIIE", name)
		require.NotContains(t, res.Message, "bm90", name)
	}
}

func TestSnowflake_TestLogsInAndSelectsOneThroughTheDialer(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	dialer := &connectorstest.CountingDialer{}
	res := onFake(t, f, connectors.Env{Dialer: dialer}).Test(context.Background())
	require.True(t, res.OK, res.Message)
	require.Positive(t, dialer.Dials(), "every request goes through the Env's Dialer")
	testutil.Golden(t, "testdata/sent_test.golden", f.sent())
}

func TestSnowflake_QueryDescribesFirstAndRunsOnlyASelect(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	f.answer = func(string, bool) fakeAnswer {
		return fakeAnswer{statementType: statementTypeSelect,
			columns: []fakeColumn{{Name: "ID", Type: "fixed", Precision: 38}, {Name: "AMOUNT", Type: "fixed", Precision: 12, Scale: 2, Nullable: true},
				{Name: "NOTE", Type: "text", Nullable: true}, {Name: "DAY", Type: "date", Nullable: true}},
			rows: [][]*string{{str("1"), str("12.50"), str("first"), str("20454")}, {str("2"), nil, nil, nil}, {str("3"), str("1.00"), str("x"), str("0")}}}
	}
	res, err := onFake(t, f, connectors.Env{}).Query(context.Background(), "SELECT id, amount, note, day FROM orders ORDER BY id", 2)
	require.NoError(t, err)
	require.Equal(t, []string{"ID", "AMOUNT", "NOTE", "DAY"}, res.Columns)
	require.Equal(t, [][]any{{"1", "12.50", "first", "2026-01-01"}, {"2", nil, nil, nil}}, res.Rows)
	require.True(t, res.Truncated, "a third row came back for a limit of 2")
	testutil.Golden(t, "testdata/sent_query.golden", f.sent())
}

func TestSnowflake_QueryOfExactlyTheLimitIsNotTruncated(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	f.answer = func(string, bool) fakeAnswer {
		return fakeAnswer{statementType: statementTypeSelect, columns: []fakeColumn{{Name: "N", Type: "fixed", Precision: 38}},
			rows: [][]*string{{str("1")}, {str("2")}}}
	}
	res, err := onFake(t, f, connectors.Env{}).Query(context.Background(), "SELECT n FROM t", 2)
	require.NoError(t, err)
	require.Len(t, res.Rows, 2)
	require.False(t, res.Truncated)
}

func TestSnowflake_QueryRefusesWhatTheServerSaysIsNotASelect(t *testing.T) {
	t.Parallel()
	cases := map[string]int64{
		"INSERT INTO t VALUES (1)":       0x3100,
		"UPDATE t SET a = 1":             0x3200,
		"DELETE FROM t":                  0x3300,
		"MERGE INTO t USING s ON 1 = 1":  0x3400,
		"CREATE TABLE t2 (a INT)":        0x6100,
		"DROP TABLE t":                   0x6200,
		"ALTER SESSION SET TIMEZONE='X'": 0x4100,
		"BEGIN":                          0x5100,
		"CALL do_things()":               0x6A00,
	}
	for sql, typ := range cases {
		f := newFakeServer(t)
		f.answer = func(string, bool) fakeAnswer {
			return fakeAnswer{statementType: typ, columns: []fakeColumn{{Name: "status", Type: "text"}}}
		}
		_, err := onFake(t, f, connectors.Env{}).Query(context.Background(), sql, 10)
		require.ErrorIs(t, err, ErrNotAQuery, sql)
		require.Equal(t, 1, f.queryCount(), "%s: only the describe reached the server", sql)
		require.True(t, f.queries[0].DescribeOnly, "%s: a statement that is not a SELECT is never run", sql)
	}
}

func TestSnowflake_QueryPassesTheServersErrorScrubbed(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	f.answer = func(sql string, _ bool) fakeAnswer {
		return fakeAnswer{errCode: "001003", errMessage: "SQL compilation error: syntax error near '" + sql + "' for " + password}
	}
	_, err := onFake(t, f, connectors.Env{}).Query(context.Background(), "SELEC 1", 10)
	require.ErrorContains(t, err, "SQL compilation error")
	require.ErrorContains(t, err, "1003")
	require.NotContains(t, err.Error(), password)
	require.Equal(t, 1, f.queryCount(), "nothing runs after a failed describe")
}

func TestSnowflake_CatalogGroupsColumnsAndMarksPrimaryKeys(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	f.answer = func(sql string, _ bool) fakeAnswer {
		switch sql {
		case schemasSQL:
			return fakeAnswer{statementType: statementTypeSelect, columns: []fakeColumn{{Name: "SCHEMA_NAME", Type: "text"}},
				rows: [][]*string{{str("PUBLIC")}, {str("SALES")}}}
		case primaryKeysSQL:
			return fakeAnswer{statementType: 0x4400, columns: []fakeColumn{{Name: "created_on", Type: "text"},
				{Name: "database_name", Type: "text"}, {Name: "schema_name", Type: "text"}, {Name: "table_name", Type: "text"},
				{Name: "column_name", Type: "text"}, {Name: "key_sequence", Type: "fixed"}},
				rows: [][]*string{{str("x"), str("RAW"), str("SALES"), str("ORDERS"), str("ID"), str("1")}}}
		default:
			text := func(n string) fakeColumn { return fakeColumn{Name: n, Type: "text"} }
			return fakeAnswer{statementType: statementTypeSelect,
				columns: []fakeColumn{text("TABLE_SCHEMA"), text("TABLE_NAME"), text("KIND"), text("COLUMN_NAME"), text("TYPE"), {Name: "NULLABLE", Type: "boolean"}},
				rows: [][]*string{
					{str("SALES"), str("BIG_ORDERS"), str("view"), str("ID"), str("NUMBER(38,0)"), str("1")},
					{str("SALES"), str("ORDERS"), str("table"), str("ID"), str("NUMBER(38,0)"), str("0")},
					{str("SALES"), str("ORDERS"), str("table"), str("NOTE"), str("VARCHAR(16777216)"), str("1")},
				}}
		}
	}
	schemas, err := onFake(t, f, connectors.Env{}).Catalog(context.Background())
	require.NoError(t, err)
	require.Equal(t, []connectors.Schema{
		{Name: "PUBLIC", Tables: []connectors.Table{}},
		{Name: "SALES", Tables: []connectors.Table{
			{Name: "BIG_ORDERS", Kind: connectors.KindView, Columns: []connectors.Column{{Name: "ID", Type: "NUMBER(38,0)", Nullable: true}}},
			{Name: "ORDERS", Kind: connectors.KindTable, Columns: []connectors.Column{
				{Name: "ID", Type: "NUMBER(38,0)", PrimaryKey: true},
				{Name: "NOTE", Type: "VARCHAR(16777216)", Nullable: true}}},
		}},
	}, schemas)
	testutil.Golden(t, "testdata/sent_catalog.golden", f.sent())
}

func TestSnowflake_WrongPasswordAnswersNotOKWithoutThePassword(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	f.password = "the-right-one"
	res := onFake(t, f, connectors.Env{}).Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "Incorrect username or password")
	require.NotContains(t, res.Message, password)
	f.mu.Lock()
	require.Equal(t, password, f.logins[0]["PASSWORD"], "the password really went to the server")
	f.mu.Unlock()
}

func TestSnowflake_ClosedPortAnswersNotOKQuickly(t *testing.T) {
	t.Parallel()
	c := newConnector(t, valid(), connectors.Env{})
	c.server = &endpoint{protocol: "http", host: "127.0.0.1", port: connectorstest.ClosedPort(t)}
	start := time.Now()
	res := c.Test(context.Background())
	require.False(t, res.OK)
	require.Less(t, time.Since(start), connectors.TestTimeout+time.Second)
	require.NotContains(t, res.Message, password)
	t.Log(time.Since(start), res.Message)
}

func TestSnowflake_UnreachableHostAnswersWithinTheTimeout(t *testing.T) {
	t.Parallel()
	connectorstest.RequireUnreachableFails(t, newConnector(t, valid(), connectors.Env{Dialer: connectorstest.HangingDialer{}}), 3*time.Second, password)
}

// The egress policy plugs in as the Env's Dialer and decides at dial time.
func TestSnowflake_EgressPolicyDecidesAtDialTime(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	strict, err := egress.New(false, "")
	require.NoError(t, err)
	res := onFake(t, f, connectors.Env{Dialer: strict.Dialer(connectors.TestTimeout)}).Test(context.Background())
	require.False(t, res.OK, "a loopback server is denied when private addresses are not allowed")
	require.Contains(t, res.Message, "denied")
	require.Empty(t, f.sent(), "nothing reached the server")

	open, err := egress.New(true, "")
	require.NoError(t, err)
	res = onFake(t, f, connectors.Env{Dialer: open.Dialer(connectors.TestTimeout)}).Test(context.Background())
	require.True(t, res.OK, res.Message)
}

func TestSnowflake_PlatformProbesAndDriverLogsAreOff(t *testing.T) {
	t.Parallel()
	require.Equal(t, "true", os.Getenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION"),
		"the driver must not probe the cloud metadata services of Datanika's machine")
	require.Equal(t, "OFF", sf.GetLogger().GetLogLevel(), "the driver's own logs could quote secrets")
	require.Equal(t, "true", os.Getenv("SF_DISABLE_MINICORE"),
		"the driver must not write a native library to disk and load it")
}

func TestSnowflake_StatementKindsAreNamed(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(map[string]string{
		"0x1000": statementKind(0x1000), "0x3100": statementKind(0x3100), "0x6100": statementKind(0x6100),
		"0xA000": statementKind(0xA000), "0x4100": statementKind(0x4100), "0x5100": statementKind(0x5100), "0x7100": statementKind(0x7100)})
	require.NoError(t, err)
	testutil.Golden(t, "testdata/statement_kinds.golden", string(raw)+"\n")
}

func TestSnowflake_KeyPairLogsInWithASignedJWT(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	conf := connectorstest.With(connectorstest.With(connectorstest.With(valid(), "password", connectorstest.Remove),
		"authenticator", "key_pair"), "private_key", rsaKeyPEM(t))
	c := newConnector(t, conf, connectors.Env{})
	c.server = f.endpoint(t)
	res := c.Test(context.Background())
	require.True(t, res.OK, res.Message)
	f.mu.Lock()
	token, _ := f.logins[0]["TOKEN"].(string)
	_, hasPassword := f.logins[0]["PASSWORD"]
	f.mu.Unlock()
	require.Len(t, strings.Split(token, "."), 3, "the login carries a JWT")
	require.False(t, hasPassword)
	testutil.Golden(t, "testdata/sent_test_key_pair.golden", f.sent())
}
