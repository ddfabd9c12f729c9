package s3

import (
	"testing"

	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func valid() map[string]any {
	return map[string]any{"bucket": "my-data", "prefix": "exports/", "region": "eu-west-1",
		"endpoint": "https://minio.example.com:9000", "force_path_style": true,
		"access_key_id": "AKIAEXAMPLE", "secret_access_key": "sk", "session_token": "st",
		"format": "parquet", "compression": "none"}
}

func TestS3_IsDescribedButNotOffered(t *testing.T) {
	t.Parallel()
	connectorstest.RequireNotOffered(t, Type())
}

func TestS3Config_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	connectorstest.RequireValid(t, typ, map[string]any{"bucket": "public-bucket"})
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "bucket", connectorstest.Remove), "config.bucket")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "bucket", "Bad_Bucket"), "config.bucket")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "endpoint", "file:///etc/passwd"), "config.endpoint")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "endpoint", "http://x y"), "config.endpoint")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "format", "xlsx"), "config.format")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "access_key_id", connectorstest.Remove), "config.access_key_id")
}

func TestS3Config_MasksSecretKeyAndToken(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), valid(), []string{"secret_access_key"}, []string{"session_token"})
}
