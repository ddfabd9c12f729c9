package bigquery

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/testutil"
)

var (
	keyOnce sync.Once
	keyPEM  string
)

// testKey is an RSA key made once per run (generating one takes a while).
func testKey(t *testing.T) string {
	t.Helper()
	keyOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			panic(err)
		}
		keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	})
	return keyPEM
}

// serviceAccount is a key whose token_uri is tokenURI.
func serviceAccount(t *testing.T, tokenURI string) string {
	t.Helper()
	raw, err := json.Marshal(map[string]string{"type": "service_account", "project_id": "my-project-123",
		"private_key_id": "0123456789abcdef0123456789abcdef01234567", "private_key": testKey(t),
		"client_email": "reader@my-project-123.iam.gserviceaccount.com", "client_id": "1234567890",
		"token_uri": tokenURI})
	require.NoError(t, err)
	return string(raw)
}

func valid() map[string]any {
	return map[string]any{"project_id": "my-project-123", "dataset": "analytics", "location": "EU",
		"credentials_json": `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----"}`}
}

func newConnector(t *testing.T, conf map[string]any, env connectors.Env) *Connector {
	t.Helper()
	require.Empty(t, connectorstest.Registry(t, Type()).Validate("bigquery", conf))
	c, err := New(conf, env)
	require.NoError(t, err)
	return c
}

// onFake is a connector whose API calls and token requests go to a fake server.
func onFake(t *testing.T, f *fakeServer, env connectors.Env) *Connector {
	t.Helper()
	conf := connectorstest.With(valid(), "credentials_json", serviceAccount(t, f.srv.URL+"/token"))
	c := newConnector(t, conf, env)
	c.endpoint = f.endpoint()
	return c
}

func TestBigQuery_IsOfferedWithCatalogAndQuery(t *testing.T) {
	t.Parallel()
	r := connectorstest.Registry(t, Type())
	require.Len(t, r.Offered(), 1)
	c, err := r.Open("bigquery", valid(), connectors.Env{})
	require.NoError(t, err)
	require.Implements(t, (*connectors.Cataloger)(nil), c)
	require.Implements(t, (*connectors.Querier)(nil), c)
}

func TestBigQueryConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	connectorstest.RequireValid(t, typ, connectorstest.With(valid(), "location", connectorstest.Remove))
	connectorstest.RequireValid(t, typ, connectorstest.With(valid(), "project_id", "example.com:my-project"))
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "credentials_json", connectorstest.Remove), "config.credentials_json")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "project_id", connectorstest.Remove), "config.project_id")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "dataset", connectorstest.Remove), "config.dataset")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "project_id", "My Project"), "config.project_id")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "project_id", "p`x"), "config.project_id")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "dataset", "a.b; DROP"), "config.dataset")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "dataset", "a`b"), "config.dataset")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "location", "EU\nX"), "config.location")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "location", 5), "config.location")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "credentials_json", map[string]any{"type": "x"}), "config.credentials_json")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "endpoint", "http://169.254.169.254"), "config.endpoint")
	for _, h := range connectorstest.HostileHosts {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "project_id", h), "config.project_id")
	}
}

func TestBigQueryConfig_MasksTheKey(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), valid(), []string{"credentials_json"})
}

func TestBigQuery_CatalogSQLGolden(t *testing.T) {
	t.Parallel()
	testutil.Golden(t, "testdata/catalog_sql.golden", catalogSQL("example.com:my-project", "analytics")+"\n")
	require.Equal(t, "`we\\`ird\\\\`", quote("we`ird\\"))
}

func TestBigQuery_TestDryRunsSelectOneThroughTheDialer(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	dialer := &connectorstest.CountingDialer{}
	res := onFake(t, f, connectors.Env{Dialer: dialer}).Test(context.Background())
	require.True(t, res.OK, res.Message)
	require.Positive(t, dialer.Dials(), "API and token requests go through the Env's Dialer")
	require.Zero(t, f.unauthenticated, "every API call carries the service account's token")
	require.Equal(t, []fakeJob{{SQL: "SELECT 1", DryRun: true}}, f.jobs())
	testutil.Golden(t, "testdata/sent_test.golden", f.sent())
}

func TestBigQuery_QueryDryRunsFirstAndReadsAtMostLimitPlusOneRows(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	f.answer = func(string, bool) fakeAnswer {
		return fakeAnswer{statementType: "SELECT",
			fields: []map[string]any{{"name": "id", "type": "INTEGER", "mode": "REQUIRED"}, {"name": "amount", "type": "NUMERIC"},
				{"name": "note", "type": "STRING"}, {"name": "day", "type": "DATE"}, {"name": "tags", "type": "STRING", "mode": "REPEATED"}},
			rows: [][]any{{"1", "12.5", "first", "2026-01-02", []any{map[string]any{"v": "a"}}}, {"2", nil, nil, nil, []any{}},
				{"3", "1", "x", "2026-01-03", []any{}}}}
	}
	res, err := onFake(t, f, connectors.Env{}).Query(context.Background(), "SELECT id, amount, note, day, tags FROM orders ORDER BY id", 2)
	require.NoError(t, err)
	require.Equal(t, []string{"id", "amount", "note", "day", "tags"}, res.Columns)
	require.Equal(t, [][]any{{int64(1), "12.5", "first", "2026-01-02", []any{"a"}}, {int64(2), nil, nil, nil, []any{}}}, res.Rows)
	require.True(t, res.Truncated, "a third row came back for a limit of 2")
	require.Equal(t, []fakeJob{{SQL: "SELECT id, amount, note, day, tags FROM orders ORDER BY id", DryRun: true},
		{SQL: "SELECT id, amount, note, day, tags FROM orders ORDER BY id"}}, f.jobs())
	testutil.Golden(t, "testdata/sent_query.golden", f.sent())
}

func TestBigQuery_QueryOfExactlyTheLimitIsNotTruncated(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	f.answer = func(string, bool) fakeAnswer {
		return fakeAnswer{statementType: "SELECT", fields: []map[string]any{{"name": "n", "type": "INTEGER"}}, rows: [][]any{{"1"}, {"2"}}}
	}
	res, err := onFake(t, f, connectors.Env{}).Query(context.Background(), "SELECT n FROM t", 2)
	require.NoError(t, err)
	require.Len(t, res.Rows, 2)
	require.False(t, res.Truncated)
}

func TestBigQuery_QueryRefusesWhatTheDryRunSaysIsNotASelect(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"INSERT INTO t VALUES (1)":                         "INSERT",
		"UPDATE t SET a = 1 WHERE true":                    "UPDATE",
		"DELETE FROM t WHERE true":                         "DELETE",
		"MERGE t USING s ON false WHEN NOT MATCHED THEN …": "MERGE",
		"CREATE TABLE t2 (a INT64)":                        "CREATE_TABLE",
		"DROP TABLE t":                                     "DROP_TABLE",
		"SELECT 1; DROP TABLE t":                           "SCRIPT",
		"CALL ds.proc()":                                   "CALL",
		"EXPORT DATA OPTIONS (uri='gs://b/*') AS SELECT 1": "EXPORT_DATA",
	}
	for sql, kind := range cases {
		f := newFakeServer(t)
		f.answer = func(string, bool) fakeAnswer { return fakeAnswer{statementType: kind} }
		_, err := onFake(t, f, connectors.Env{}).Query(context.Background(), sql, 10)
		require.ErrorIs(t, err, ErrNotAQuery, sql)
		require.ErrorContains(t, err, kind, sql)
		require.Equal(t, []fakeJob{{SQL: sql, DryRun: true}}, f.jobs(), "%s: only the dry run reached BigQuery", sql)
	}
}

func TestBigQuery_QueryPassesBigQuerysErrorScrubbed(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	c := onFake(t, f, connectors.Env{})
	keyLine := strings.Split(testKey(t), "\n")[3]
	f.answer = func(sql string, _ bool) fakeAnswer {
		return fakeAnswer{errMessage: "Syntax error: Unexpected identifier \"SELEC\" at [1:1]; key " + keyLine}
	}
	_, err := c.Query(context.Background(), "SELEC 1", 10)
	require.ErrorContains(t, err, "Syntax error")
	require.NotContains(t, err.Error(), keyLine)
	require.Len(t, f.jobs(), 1, "nothing runs after a failed dry run")
}

func TestBigQuery_CatalogGroupsColumnsAndMarksPrimaryKeys(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	f.answer = func(string, bool) fakeAnswer {
		return fakeAnswer{statementType: "SELECT",
			fields: []map[string]any{{"name": "table_name", "type": "STRING"}, {"name": "kind", "type": "STRING"},
				{"name": "column_name", "type": "STRING"}, {"name": "data_type", "type": "STRING"},
				{"name": "nullable", "type": "BOOLEAN"}, {"name": "primary_key", "type": "BOOLEAN"}},
			rows: [][]any{
				{"big_orders", "view", "id", "INT64", "true", "false"},
				{"orders", "table", "id", "INT64", "false", "true"},
				{"orders", "table", "items", "ARRAY<STRUCT<sku STRING, qty INT64>>", "true", "false"},
			}}
	}
	schemas, err := onFake(t, f, connectors.Env{}).Catalog(context.Background())
	require.NoError(t, err)
	require.Equal(t, []connectors.Schema{{Name: "analytics", Tables: []connectors.Table{
		{Name: "big_orders", Kind: connectors.KindView, Columns: []connectors.Column{{Name: "id", Type: "INT64", Nullable: true}}},
		{Name: "orders", Kind: connectors.KindTable, Columns: []connectors.Column{
			{Name: "id", Type: "INT64", PrimaryKey: true},
			{Name: "items", Type: "ARRAY<STRUCT<sku STRING, qty INT64>>", Nullable: true}}},
	}}}, schemas)
	testutil.Golden(t, "testdata/sent_catalog.golden", f.sent())
}

func TestBigQuery_OnlyServiceAccountKeysAreAccepted(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	external := `{"type": "external_account", "audience": "x", "subject_token_type": "y", "token_url": "` + f.srv.URL + `/token",
		"credential_source": {"executable": {"command": "/bin/touch /tmp/pwned"}}}`
	for name, key := range map[string]string{
		"external account": external,
		"user credentials": `{"type": "authorized_user", "client_id": "a", "client_secret": "very-secret-value", "refresh_token": "r"}`,
		"not json":         `{"type": "service_account", `,
	} {
		c := newConnector(t, connectorstest.With(valid(), "credentials_json", key), connectors.Env{})
		c.endpoint = f.endpoint()
		res := c.Test(context.Background())
		require.False(t, res.OK, name)
		require.Contains(t, res.Message, "service account key", name)
		require.NotContains(t, res.Message, "very-secret-value", name)
	}
	require.Equal(t, "\n", f.sent(), "no request was made with a refused key")
}

func TestBigQuery_TokenRefusalAnswersNotOKWithoutTheKey(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	keyLine := strings.Split(testKey(t), "\n")[2]
	f.tokenError = "Invalid JWT Signature for key " + keyLine
	res := onFake(t, f, connectors.Env{}).Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "invalid_grant")
	require.NotContains(t, res.Message, keyLine)
	require.Empty(t, f.jobs(), "no API call without a token")
}

// The client library retries a refused connection with backoff until the deadline (by
// design, for Google's front ends), so a closed port answers at the deadline, not at once.
func TestBigQuery_ClosedPortAnswersNotOKByTheDeadline(t *testing.T) {
	t.Parallel()
	port := itoa(connectorstest.ClosedPort(t))
	conf := connectorstest.With(valid(), "credentials_json", serviceAccount(t, "http://127.0.0.1:"+port+"/token"))
	c := newConnector(t, conf, connectors.Env{})
	c.endpoint = "http://127.0.0.1:" + port + basePath
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := c.Test(ctx)
	require.False(t, res.OK)
	require.Contains(t, res.Message, "connection refused")
	require.Less(t, time.Since(start), 3*time.Second)
}

func TestBigQuery_UnreachableHostAnswersWithinTheTimeout(t *testing.T) {
	t.Parallel()
	conf := connectorstest.With(valid(), "credentials_json", serviceAccount(t, "https://oauth2.googleapis.com/token"))
	connectorstest.RequireUnreachableFails(t, newConnector(t, conf, connectors.Env{Dialer: connectorstest.HangingDialer{}}), 3*time.Second, "")
}

// The egress policy plugs in as the Env's Dialer and decides at dial time, for the token
// endpoint named in the key as for the API.
func TestBigQuery_EgressPolicyDecidesAtDialTime(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	strict, err := egress.New(false, "")
	require.NoError(t, err)
	res := onFake(t, f, connectors.Env{Dialer: strict.Dialer(connectors.TestTimeout)}).Test(context.Background())
	require.False(t, res.OK, "a loopback token endpoint is denied when private addresses are not allowed")
	require.Contains(t, res.Message, "denied")
	require.Equal(t, "\n", f.sent(), "nothing reached the server")

	open, err := egress.New(true, "")
	require.NoError(t, err)
	res = onFake(t, f, connectors.Env{Dialer: open.Dialer(connectors.TestTimeout)}).Test(context.Background())
	require.True(t, res.OK, res.Message)
}

func TestBigQuery_ValuesBecomeJSONFriendly(t *testing.T) {
	t.Parallel()
	require.Equal(t, "100", trimZeros("100.000000000"))
	require.Equal(t, "0.5", trimZeros("0.500000000"))
	require.Equal(t, "-3", trimZeros("-3"))
}

func itoa(n int) string {
	raw, _ := json.Marshal(n)
	return string(raw)
}
