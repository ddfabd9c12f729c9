package config

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/blob"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

const validURL = "postgres://postgres@127.0.0.1:5432/datanika?sslmode=disable"

func TestLoad_DefaultsInDevelopment(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"DATABASE_URL": validURL}))
	require.NoError(t, err)
	require.Equal(t, EnvDevelopment, c.Env)
	require.Equal(t, ":8080", c.HTTPAddr)
	require.Equal(t, DevSecretKey, c.SecretKey)
	require.Len(t, c.EncryptionKeys, 1)
	require.Equal(t, "dev", c.EncryptionKeys[0].ID)
	require.Len(t, c.EncryptionKeys[0].Key, 32)
	require.Equal(t, slog.LevelInfo, c.LogLevel)
	require.Equal(t, "text", c.LogFormat)
	require.Equal(t, 30*time.Second, c.ShutdownTimeout)
	require.Equal(t, int64(1024*1024), c.MaxBodyBytes)
	require.Equal(t, 4, c.OrgMaxConcurrentRuns)
	require.Equal(t, 6*time.Hour, c.RunTimeout)
	require.Equal(t, 2*time.Minute, c.RunHeartbeatTimeout)
}

func TestLoad_ProductionRefusesMissingOrDefaultSecrets(t *testing.T) {
	t.Parallel()
	goodKeys := "k1:" + strings.Repeat("A", 43) + "="
	cases := map[string]struct {
		vars map[string]string
		want string
	}{
		"missing secret key":     {map[string]string{"ENCRYPTION_KEYS": goodKeys}, "SECRET_KEY"},
		"default secret key":     {map[string]string{"SECRET_KEY": DevSecretKey, "ENCRYPTION_KEYS": goodKeys}, "SECRET_KEY"},
		"short secret key":       {map[string]string{"SECRET_KEY": "short", "ENCRYPTION_KEYS": goodKeys}, "SECRET_KEY"},
		"missing encryption key": {map[string]string{"SECRET_KEY": strings.Repeat("s", 40)}, "ENCRYPTION_KEYS"},
		"default encryption key": {map[string]string{"SECRET_KEY": strings.Repeat("s", 40), "ENCRYPTION_KEYS": DevEncryptionKeys}, "ENCRYPTION_KEYS"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc.vars["DATANIKA_ENV"] = EnvProduction
			tc.vars["DATABASE_URL"] = validURL
			_, err := Load(env(tc.vars))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestLoad_ProductionAcceptsPrivateSecrets(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{
		"DATANIKA_ENV":    EnvProduction,
		"DATABASE_URL":    validURL,
		"SECRET_KEY":      strings.Repeat("s", 40),
		"ENCRYPTION_KEYS": "k2:" + strings.Repeat("B", 43) + "=, k1:" + strings.Repeat("A", 43) + "=",
	}))
	require.NoError(t, err)
	require.Equal(t, "json", c.LogFormat)
	require.Equal(t, []string{"k2", "k1"}, []string{c.EncryptionKeys[0].ID, c.EncryptionKeys[1].ID})
}

func TestLoad_RejectsBadValuesNamingTheVariable(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"DATABASE_URL":         "postgres://user:pw@host:notaport/db",
		"HTTP_ADDR":            "8080",
		"LOG_LEVEL":            "loud",
		"LOG_FORMAT":           "xml",
		"SHUTDOWN_TIMEOUT":     "soon",
		"MAX_BODY_KB":          "-1",
		"DATANIKA_ENV":         "staging",
		"ENCRYPTION_KEYS":      "k1:c2hvcnQ=",
		"EGRESS_ALLOWLIST":     "10.0.0.0/99",
		"EGRESS_ALLOW_PRIVATE": "maybe",
		"SMTP_URL":             "http://nope",
		"PUBLIC_URL":           "ftp://x",
		"GOOGLE_CLIENT_ID":     "id-without-secret",
	}
	for key, value := range cases {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{"DATABASE_URL": validURL, key: value}
			_, err := Load(env(vars))
			require.ErrorContains(t, err, key)
			require.NotContains(t, err.Error(), "pw@", "a password must never be echoed")
		})
	}
}

func TestLoad_RequiresDatabaseURL(t *testing.T) {
	t.Parallel()
	_, err := Load(env(map[string]string{}))
	require.ErrorContains(t, err, "DATABASE_URL: is required")
}

func TestParseEncryptionKeys(t *testing.T) {
	t.Parallel()
	_, err := ParseEncryptionKeys("k1:" + strings.Repeat("A", 43) + "=,k1:" + strings.Repeat("B", 43) + "=")
	require.ErrorContains(t, err, "appears twice")
	_, err = ParseEncryptionKeys("nocolon")
	require.ErrorContains(t, err, "id:base64key")
	_, err = ParseEncryptionKeys("k1:!!!")
	require.ErrorContains(t, err, "not valid base64")
	keys, err := ParseEncryptionKeys("k1:" + strings.Repeat("A", 43)) // unpadded base64url
	require.NoError(t, err)
	require.Len(t, keys[0].Key, 32)
}

func TestLoad_BlobURLSelectsS3Storage(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"DATABASE_URL": validURL}))
	require.NoError(t, err)
	require.Nil(t, c.Blob, "uploads stay in DATA_DIR/files unless BLOB_URL is set")

	c, err = Load(env(map[string]string{
		"DATABASE_URL":          validURL,
		"BLOB_URL":              "s3://uploads-bucket/datanika?endpoint=http://127.0.0.1:9000&region=us-east-1&path_style=true",
		"AWS_ACCESS_KEY_ID":     "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI",
		"AWS_SESSION_TOKEN":     "tok",
	}))
	require.NoError(t, err)
	require.Equal(t, &blob.S3Options{Bucket: "uploads-bucket", Prefix: "datanika/", Endpoint: "http://127.0.0.1:9000", Region: "us-east-1",
		PathStyle: true, AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI", SessionToken: "tok"}, c.Blob)

	c, err = Load(env(map[string]string{"DATABASE_URL": validURL, "BLOB_URL": "s3://uploads-bucket"}))
	require.NoError(t, err)
	require.Equal(t, &blob.S3Options{Bucket: "uploads-bucket"}, c.Blob, "no keys: the instance's IAM role")
}

func TestLoad_RejectsBadBlobSettingsInOneLine(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		vars map[string]string
		want string
	}{
		"not s3":            {map[string]string{"BLOB_URL": "https://bucket.example.com"}, "BLOB_URL: must start with s3://"},
		"keys in the url":   {map[string]string{"BLOB_URL": "s3://AKID:wJalrXUtnFEMI@uploads-bucket"}, "BLOB_URL: must not hold credentials"},
		"bad bucket":        {map[string]string{"BLOB_URL": "s3://Uploads_Bucket"}, "BLOB_URL: names no valid bucket"},
		"typo in a setting": {map[string]string{"BLOB_URL": "s3://uploads-bucket?pathstyle=true"}, `BLOB_URL: has an unknown parameter "pathstyle"`},
		"bad endpoint":      {map[string]string{"BLOB_URL": "s3://uploads-bucket?endpoint=127.0.0.1:9000"}, "BLOB_URL: has an invalid endpoint"},
		"key without secret": {map[string]string{"BLOB_URL": "s3://uploads-bucket", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE"},
			"AWS_ACCESS_KEY_ID: and AWS_SECRET_ACCESS_KEY must be set together"},
		"secret without key": {map[string]string{"BLOB_URL": "s3://uploads-bucket", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI"},
			"AWS_ACCESS_KEY_ID: and AWS_SECRET_ACCESS_KEY must be set together"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc.vars["DATABASE_URL"] = validURL
			_, err := Load(env(tc.vars))
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), tc.want), err.Error())
			require.NotContains(t, err.Error(), "\n", "one line")
			require.NotContains(t, err.Error(), "wJalrXUtnFEMI", "a secret is never echoed")
		})
	}
}
