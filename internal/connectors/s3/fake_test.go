package s3

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
	"github.com/datanika/datanika/internal/connectors/s3/s3test"
)

const (
	testBucket = s3test.Bucket
	testKeyID  = "AKIDTESTKEY"
	testSecret = "s3cr3t-Key/with+chars"
)

type fakeS3 struct{ *s3test.Server }

func newFake(t *testing.T, keyID string) fakeS3 { return fakeS3{s3test.New(t, keyID)} }

func (f fakeS3) put(t *testing.T, key string, body []byte) { f.Put(t, key, body) }

// config is a valid config for the fake, with the given fields changed.
func (f fakeS3) config(kv ...any) map[string]any {
	c := map[string]any{"bucket": testBucket, "endpoint": f.URL, "region": "us-east-1", "force_path_style": true,
		"access_key_id": testKeyID, "secret_access_key": testSecret, "format": "csv"}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == connectorstest.Remove {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

// open validates config against the schema and opens it, as the connection service does.
func open(t *testing.T, config map[string]any, env connectors.Env) *Connector {
	t.Helper()
	c, err := connectorstest.Registry(t, Type()).Open("s3", config, env)
	require.NoError(t, err)
	return c.(*Connector)
}

func bg() context.Context { return context.Background() }

func minioError(code, msg string) error {
	return minio.ErrorResponse{Code: code, Message: msg, StatusCode: http.StatusServiceUnavailable}
}

func itoa(n int) string { return strconv.Itoa(n) }
