package redshift

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func withStaging(staging map[string]any) map[string]any {
	return connectorstest.With(valid(), "s3_staging", staging)
}

func staging() map[string]any {
	return map[string]any{"bucket": "dnk-stage", "prefix": "loads/", "region": "eu-west-1", "iam_role": "arn:aws:iam::123456789012:role/RedshiftLoad",
		"access_key_id": "AKIDSTAGE", "secret_access_key": "stage-secret", "session_token": "stage-token"}
}

func TestRedshiftConfig_S3StagingValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, withStaging(staging()))
	connectorstest.RequireValid(t, typ, withStaging(map[string]any{"bucket": "b12", "access_key_id": "A", "secret_access_key": "S"}))
	for _, field := range []string{"bucket", "access_key_id", "secret_access_key"} {
		connectorstest.RequireInvalid(t, typ, withStaging(connectorstest.With(staging(), field, connectorstest.Remove)), "config.s3_staging."+field)
	}
	connectorstest.RequireInvalid(t, typ, withStaging(connectorstest.With(staging(), "iam_role", "role/x")), "config.s3_staging.iam_role")
	connectorstest.RequireInvalid(t, typ, withStaging(connectorstest.With(staging(), "bucket", "Bad_Bucket")), "config.s3_staging.bucket")
	connectorstest.RequireInvalid(t, typ, withStaging(connectorstest.With(staging(), "prefix", "a/../b")), "config.s3_staging.prefix")
	connectorstest.RequireInvalid(t, typ, withStaging(connectorstest.With(staging(), "endpoint", "ftp://x")), "config.s3_staging.endpoint")
	connectorstest.RequireInvalid(t, typ, withStaging(connectorstest.With(staging(), "extra", "x")), "config.s3_staging.extra")
}

func TestRedshiftConfig_MasksTheStagingSecrets(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), withStaging(staging()), []string{"password"},
		[]string{"s3_staging", "secret_access_key"}, []string{"s3_staging", "session_token"})
}

func TestRedshift_StagingNamesTheMissingSetting(t *testing.T) {
	t.Parallel()
	c := newConnector(t, valid(), connectors.Env{})
	_, err := c.Staging()
	require.ErrorContains(t, err, "s3_staging")

	c, err = New(withStaging(map[string]any{"bucket": "b12"}), connectors.Env{})
	require.NoError(t, err)
	_, err = c.Staging()
	require.ErrorContains(t, err, "s3_staging.access_key_id and s3_staging.secret_access_key")

	c = newConnector(t, withStaging(staging()), connectors.Env{})
	st, err := c.Staging()
	require.NoError(t, err)
	require.Equal(t, S3Staging{Bucket: "dnk-stage", Prefix: "loads/", Region: "eu-west-1", IAMRole: "arn:aws:iam::123456789012:role/RedshiftLoad",
		AccessKeyID: "AKIDSTAGE", SecretAccessKey: "stage-secret", SessionToken: "stage-token"}, st)
	cc, err := c.LoadConnConfig()
	require.NoError(t, err)
	require.Equal(t, "dev", cc.Database)
	require.Equal(t, map[string]string{"application_name": "datanika"}, cc.RuntimeParams, "no statement timeout for loads")
}
