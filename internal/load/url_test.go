package load_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
)

func TestParseURL_DestinationsOfTheSQLGenDialects(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	cases := []struct {
		url  string
		typ  string
		want map[string]any
	}{
		{"sqlserver://sa:S3cret!@127.0.0.1:1433/Sales?encrypt=disable&schema=raw", "mssql",
			map[string]any{"host": "127.0.0.1", "port": 1433, "user": "sa", "password": "S3cret!", "database": "Sales", "encrypt": "disable", "schema": "raw"}},
		{"clickhouse://default:p%40ss@ch.example.com:9000/analytics?secure=false", "clickhouse",
			map[string]any{"host": "ch.example.com", "port": 9000, "user": "default", "password": "p@ss", "database": "analytics", "secure": false}},
		{"clickhouse://ch.example.com?protocol=http", "clickhouse", map[string]any{"host": "ch.example.com", "protocol": "http"}},
		{"redshift://awsuser:pw@c1.example.com:5439/dev?s3_bucket=stage-bkt&s3_prefix=dnk/&iam_role=arn:aws:iam::123456789012:role/load&region=eu-west-1" +
			"&s3_access_key_id=AKIA1&s3_secret_access_key=sk", "redshift",
			map[string]any{"host": "c1.example.com", "port": 5439, "user": "awsuser", "password": "pw", "database": "dev",
				"s3_staging": map[string]any{"bucket": "stage-bkt", "prefix": "dnk/", "iam_role": "arn:aws:iam::123456789012:role/load",
					"region": "eu-west-1", "access_key_id": "AKIA1", "secret_access_key": "sk"}}},
		{"snowflake://loader:pw@myorg-acct/RAW_DB/LANDING?warehouse=LOAD_WH&role=LOADER", "snowflake",
			map[string]any{"account": "myorg-acct", "user": "loader", "password": "pw", "database": "RAW_DB", "schema": "LANDING",
				"warehouse": "LOAD_WH", "role": "LOADER"}},
		{"snowflake://loader:pw@myorg-acct/RAW_DB?warehouse=LOAD_WH", "snowflake",
			map[string]any{"account": "myorg-acct", "user": "loader", "password": "pw", "database": "RAW_DB", "warehouse": "LOAD_WH"}},
	}
	for _, c := range cases {
		ep, err := load.ParseURL(c.url)
		require.NoError(t, err, c.url)
		require.Equal(t, c.typ, ep.Type)
		require.Equal(t, c.want, ep.Config, c.url)
	}
}

func TestParseURL_RedshiftTakesTheStagingKeysFromTheEnvironment(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	t.Setenv("AWS_SESSION_TOKEN", "tok")
	ep, err := load.ParseURL("redshift://u:pw@h/dev?s3_bucket=b1")
	require.NoError(t, err)
	require.Equal(t, map[string]any{"bucket": "b1", "access_key_id": "AKIAENV", "secret_access_key": "env-secret", "session_token": "tok"},
		ep.Config["s3_staging"])
	// Keys in the URL win over the environment, never mixed with it.
	ep, err = load.ParseURL("redshift://u:pw@h/dev?s3_bucket=b1&s3_access_key_id=A&s3_secret_access_key=S")
	require.NoError(t, err)
	require.Equal(t, map[string]any{"bucket": "b1", "access_key_id": "A", "secret_access_key": "S"}, ep.Config["s3_staging"])
}

func TestParseURL_MissingPartsAnswerOneLineWithoutThePassword(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	const secret = "Hunter2Secret"
	cases := []struct{ url, want string }{
		{"sqlserver://sa:" + secret + "@127.0.0.1:1433", "needs a user, a host and a database"},
		{"clickhouse://u:" + secret + "@:9000/db", "clickhouse URL needs a host"},
		{"clickhouse://u:" + secret + "@h/db?secure=maybe", "secure must be true or false"},
		{"clickhouse://u:" + secret + "@h/db?protocol=grpc", "protocol must be native or http"},
		{"clickhouse://u:" + secret + "@h:99999/db", "port must be between 1 and 65535"},
		{"redshift://u:" + secret + "@h:5439?s3_bucket=b", "needs a user, a password, a host and a database"},
		{"redshift://u@h:5439/dev?s3_bucket=b", "needs a user, a password, a host and a database"},
		{"redshift://u:" + secret + "@h:5439/dev?iam_role=x", "needs s3_bucket"},
		{"redshift://u:" + secret + "@h:5439/dev?s3_bucket=b&s3_access_key_id=A", "needs the staging bucket's keys"},
		{"snowflake://u:" + secret + "@acct/db", "needs a user, a password, an account, a database and a warehouse"},
		{"snowflake://u:" + secret + "@acct?warehouse=w", "needs a user, a password, an account, a database and a warehouse"},
		{"snowflake://u@acct/db?warehouse=w", "needs a user, a password, an account, a database and a warehouse"},
		{"oracle://u:" + secret + "@h/db", "must be postgres, mysql, sqlserver, sqlite, clickhouse, redshift or snowflake"},
	}
	for _, c := range cases {
		_, err := load.ParseURL(c.url)
		require.Error(t, err, c.url)
		require.ErrorContains(t, err, c.want, c.url)
		require.NotContains(t, err.Error(), secret)
		require.NotContains(t, err.Error(), "\n")
		require.NotContains(t, err.Error(), c.url)
	}
}
