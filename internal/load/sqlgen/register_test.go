package sqlgen_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/sqlgen"
)

// refusingDialer stands for a network where nothing answers, for Snowflake (whose host is
// derived from the account name, so no local port can stand in).
type refusingDialer struct{}

func (refusingDialer) DialContext(_ context.Context, _, addr string) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused (test dialer: " + addr + ")")}
}

const wiringSecret = "Wiring-S3cret"

func TestOpenDestination_EachRegisteredTypeFailsCleanlyWhenNothingAnswers(t *testing.T) {
	t.Parallel()
	sqlgen.Register()
	staging := map[string]any{"bucket": "stage-bkt", "access_key_id": "AKID", "secret_access_key": wiringSecret,
		"iam_role": "arn:aws:iam::123456789012:role/load"}
	cases := []struct {
		typ    string
		config map[string]any
		env    connectors.Env
	}{
		{"mssql", map[string]any{"host": "127.0.0.1", "port": 1, "database": "d", "user": "sa", "password": wiringSecret, "encrypt": "disable"}, connectors.Env{}},
		{"clickhouse", map[string]any{"host": "127.0.0.1", "port": 1, "secure": false, "password": wiringSecret}, connectors.Env{}},
		{"redshift", map[string]any{"host": "127.0.0.1", "port": 1, "database": "dev", "user": "u", "password": wiringSecret, "s3_staging": staging}, connectors.Env{}},
		{"snowflake", map[string]any{"account": "acct", "user": "u", "password": wiringSecret, "warehouse": "w", "database": "d"},
			connectors.Env{Dialer: refusingDialer{}}},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			d, err := load.OpenDestination(ctx, load.Endpoint{Type: c.typ, Config: c.config, Env: c.env}, "raw")
			require.Error(t, err)
			require.Nil(t, d)
			require.Contains(t, err.Error(), c.typ+" destination")
			require.NotContains(t, err.Error(), wiringSecret)
			require.NoError(t, ctx.Err(), "failed at once, not at the deadline")
		})
	}
}

func TestOpenDestination_UnknownTypesSaySo(t *testing.T) {
	t.Parallel()
	sqlgen.Register()
	_, err := load.OpenDestination(context.Background(), load.Endpoint{Type: "oracle"}, "raw")
	require.EqualError(t, err, `destination type "oracle" is not supported by the load engine`)
	require.Subset(t, load.RegisteredDestinations(), []string{"clickhouse", "mssql", "redshift", "snowflake"})
}

func TestOpenDestination_RedshiftWithoutStagingNamesTheMissingSetting(t *testing.T) {
	t.Parallel()
	sqlgen.Register()
	base := func() map[string]any {
		return map[string]any{"host": "127.0.0.1", "port": 1, "database": "dev", "user": "u", "password": wiringSecret}
	}
	_, err := load.OpenDestination(context.Background(), load.Endpoint{Type: "redshift", Config: base()}, "raw")
	require.ErrorContains(t, err, "s3_staging")
	require.NotContains(t, err.Error(), "\n")

	cfg := base()
	cfg["s3_staging"] = map[string]any{"bucket": "b"}
	_, err = load.OpenDestination(context.Background(), load.Endpoint{Type: "redshift", Config: cfg}, "raw")
	require.ErrorContains(t, err, "s3_staging.access_key_id and s3_staging.secret_access_key")
	require.False(t, strings.Contains(err.Error(), wiringSecret))
}

func TestSupportsDestination_SaysWhichTypesCanBeLoadedInto(t *testing.T) {
	t.Parallel()
	sqlgen.Register()
	for _, typ := range []string{"postgres", "mysql", "mssql", "clickhouse", "snowflake", "redshift"} {
		require.NoError(t, load.SupportsDestination(typ), typ)
	}
	require.ErrorIs(t, load.SupportsDestination("oracle"), load.ErrDestinationNotSupported)
	require.True(t, load.SupportsSource("sqlite"))
	require.True(t, load.SupportsSource("rest_api"))
	require.False(t, load.SupportsSource("bigquery"), "the engine does not read BigQuery")
}
