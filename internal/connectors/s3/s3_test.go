package s3

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
	"github.com/datanika/datanika/internal/egress"
)

func valid() map[string]any {
	return map[string]any{"bucket": "my-data", "prefix": "exports/", "region": "eu-west-1",
		"endpoint": "https://minio.example.com:9000", "force_path_style": true,
		"access_key_id": "AKIAEXAMPLE", "secret_access_key": "sk", "session_token": "st",
		"format": "parquet", "compression": "none"}
}

func TestS3_IsOffered(t *testing.T) {
	t.Parallel()
	typ := Type()
	require.True(t, typ.Available())
	r := connectorstest.Registry(t, typ)
	require.Len(t, r.Offered(), 1)
	c, err := r.Open("s3", valid(), connectors.Env{})
	require.NoError(t, err, "opening does not touch the network")
	require.Implements(t, (*connectors.Cataloger)(nil), c)
}

func TestS3Config_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	with := func(k string, v any) map[string]any { return connectorstest.With(valid(), k, v) }
	connectorstest.RequireValid(t, typ, valid())
	connectorstest.RequireValid(t, typ, map[string]any{"bucket": "public-bucket"})
	connectorstest.RequireValid(t, typ, with("prefix", "a/b..c/d.csv"))
	connectorstest.RequireValid(t, typ, with("endpoint", "http://127.0.0.1:9000/"))
	connectorstest.RequireInvalid(t, typ, with("bucket", connectorstest.Remove), "config.bucket")
	connectorstest.RequireInvalid(t, typ, with("bucket", "Bad_Bucket"), "config.bucket")
	for _, endpoint := range []string{"file:///etc/passwd", "http://x y", "ftp://example.com", "https://example.com/base/path",
		"https://user:pw@example.com", "https://example.com?x=1", "example.com:9000", "https://example.com\n"} {
		connectorstest.RequireInvalid(t, typ, with("endpoint", endpoint), "config.endpoint")
	}
	for _, prefix := range []string{"/abs", "../x", "a/../b", "a/./b", "a/..", "a\nb", "a\x00b", string(make([]byte, 1025))} {
		connectorstest.RequireInvalid(t, typ, with("prefix", prefix), "config.prefix")
	}
	connectorstest.RequireInvalid(t, typ, with("format", "xlsx"), "config.format")
	connectorstest.RequireInvalid(t, typ, with("compression", "gzip"), "config.compression") // parquet compresses inside
	connectorstest.RequireValid(t, typ, connectorstest.With(with("format", "csv"), "compression", "gzip"))
	connectorstest.RequireInvalid(t, typ, with("access_key_id", connectorstest.Remove), "config.access_key_id")
	connectorstest.RequireInvalid(t, typ, with("region", "eu west"), "config.region")
	connectorstest.RequireInvalid(t, typ, with("path", "/etc/passwd"), "config.path")
}

func TestS3Config_MasksSecretKeyAndToken(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), valid(), []string{"secret_access_key"}, []string{"session_token"})
}

func TestS3_TestListsTheBucketUnderThePrefix(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	f.put(t, "exports/a.csv", []byte("a\n1\n"))
	d := &connectorstest.CountingDialer{}
	res := open(t, f.config("prefix", "exports/"), connectors.Env{Dialer: d}).Test(bg())
	require.True(t, res.OK, res.Message)
	require.Equal(t, "connected", res.Message)
	require.Positive(t, d.Dials(), "the connector dials through the Env's Dialer")

	// An empty prefix, an empty bucket and no region (looked up) are fine too.
	res = open(t, f.config("prefix", "nothing-here/", "region", connectorstest.Remove), connectors.Env{}).Test(bg())
	require.True(t, res.OK, res.Message)
}

func TestS3_TestSendsTheSessionToken(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	res := open(t, f.config("session_token", "tok-123456789"), connectors.Env{}).Test(bg())
	require.True(t, res.OK, res.Message)
	require.Positive(t, f.Tokens())
}

func TestS3_TestAnonymousReachesAPublicBucket(t *testing.T) {
	t.Parallel()
	f := newFake(t, "")
	res := open(t, f.config("access_key_id", connectorstest.Remove, "secret_access_key", connectorstest.Remove), connectors.Env{}).Test(bg())
	require.True(t, res.OK, res.Message)
}

func TestS3_TestSaysWhenTheBucketIsMissing(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	res := open(t, f.config("bucket", "no-such-bucket"), connectors.Env{}).Test(bg())
	require.False(t, res.OK)
	require.Equal(t, `bucket "no-such-bucket" does not exist`, res.Message)
}

// The fake refuses unknown access key IDs and unsigned requests the way S3 does; it cannot
// check signatures, so a wrong secret with a right key ID is not tested against it.
func TestS3_TestRefusesWrongCredentialsWithoutEchoingTheSecret(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	res := open(t, f.config("access_key_id", "AKIDWRONG"), connectors.Env{}).Test(bg())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "access key ID was refused")
	require.NotContains(t, res.Message, testSecret)

	res = open(t, f.config("access_key_id", connectorstest.Remove, "secret_access_key", connectorstest.Remove), connectors.Env{}).Test(bg())
	require.False(t, res.OK)
	require.Contains(t, res.Message, `access to bucket "data" was denied`)
}

func TestS3_MessagesNeverCarryTheSecret(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	// A server that echoes what it was sent (here: a bucket named like the secret is
	// impossible, so echo the secret through the message of an error).
	c := open(t, f.config(), connectors.Env{})
	err := c.describe(minioError("SlowDown", "please slow down, "+testSecret))
	require.Error(t, err)
	require.NotContains(t, err.Error(), testSecret)
	require.Contains(t, err.Error(), "SlowDown")
}

func TestS3_TestAnswersWithinItsTimeoutWhenUnreachable(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		endpoint string
		dialer   connectors.Dialer
	}{
		"closed port":       {endpoint: "http://127.0.0.1:" + itoa(connectorstest.ClosedPort(t))},
		"blackhole address": {endpoint: "http://" + connectorstest.Blackhole + ":9000"},
		"dial that hangs":   {endpoint: "https://s3.example.com", dialer: connectorstest.HangingDialer{}},
		"silent server":     {endpoint: "http://127.0.0.1:" + itoa(connectorstest.SilentServer(t))},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conf := map[string]any{"bucket": "data", "endpoint": tc.endpoint, "region": "us-east-1",
				"access_key_id": testKeyID, "secret_access_key": testSecret}
			res := connectorstest.RequireUnreachableFails(t, open(t, conf, connectors.Env{Dialer: tc.dialer}), 2500*time.Millisecond, testSecret)
			require.NotEmpty(t, res.Message)
		})
	}
}

// The egress policy plugs in as the Env's Dialer and decides at dial time.
func TestS3_EgressPolicyDecidesAtDialTime(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	strict, err := egress.New(false, "")
	require.NoError(t, err)
	res := open(t, f.config(), connectors.Env{Dialer: strict.Dialer(connectors.TestTimeout)}).Test(bg())
	require.False(t, res.OK, "a loopback endpoint is denied when private addresses are not allowed")
	require.Contains(t, res.Message, "egress denied")
	require.Zero(t, f.Requests(), "not one request reached the server")

	c := open(t, f.config(), connectors.Env{Dialer: strict.Dialer(connectors.TestTimeout)})
	_, err = c.Catalog(bg())
	require.ErrorContains(t, err, "egress denied")

	allowed, err := egress.New(true, "")
	require.NoError(t, err)
	res = open(t, f.config(), connectors.Env{Dialer: allowed.Dialer(connectors.TestTimeout)}).Test(bg())
	require.True(t, res.OK, res.Message)
}
