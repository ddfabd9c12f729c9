package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/blob"
	"github.com/datanika/datanika/internal/connectors/s3/s3test"
)

const (
	keyID  = "AKIDBLOBTEST"
	secret = "blob-secret-key"
)

func newS3(t *testing.T, srv *s3test.Server, prefix string) (*blob.S3, string) {
	t.Helper()
	cache := t.TempDir()
	s, err := blob.NewS3(blob.S3Options{Bucket: s3test.Bucket, Prefix: prefix, Endpoint: srv.URL, Region: "us-east-1",
		PathStyle: true, AccessKeyID: keyID, SecretAccessKey: secret}, cache)
	require.NoError(t, err)
	require.NoError(t, s.Check(context.Background()))
	return s, cache
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	}))
	return out
}

const key = "7/0123456789abcdef0123456789abcdef"

func TestS3_PutOpenLocalPathDelete(t *testing.T) {
	t.Parallel()
	srv := s3test.New(t, keyID)
	s, cache := newS3(t, srv, "uploads/")
	ctx := context.Background()
	body := make([]byte, 16<<20+5) // more than one part
	_, _ = rand.Read(body)
	n, sum, err := s.Put(ctx, key, bytes.NewReader(body), 32<<20)
	require.NoError(t, err)
	require.Equal(t, int64(len(body)), n)
	want := sha256.Sum256(body)
	require.Equal(t, want[:], sum)
	require.Equal(t, []string{"uploads/" + key}, srv.Keys(t))
	require.Equal(t, []string{key}, files(t, cache), "the spooled upload is the cached copy")

	f, err := s.Open(ctx, key)
	require.NoError(t, err)
	got, err := io.ReadAll(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.True(t, bytes.Equal(body, got))

	// Another machine (an empty cache) downloads and checks the blob once.
	other, otherCache := newS3(t, srv, "uploads/")
	before := srv.Requests()
	p, err := other.LocalPath(ctx, key)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(otherCache, filepath.FromSlash(key)), p)
	got, err = os.ReadFile(p) //nolint:gosec // the test's cache
	require.NoError(t, err)
	require.True(t, bytes.Equal(body, got))
	downloaded := srv.Requests()
	p2, err := other.LocalPath(ctx, key)
	require.NoError(t, err)
	require.Equal(t, p, p2)
	require.Equal(t, downloaded, srv.Requests(), "a cached copy costs no request")
	require.Greater(t, downloaded, before)

	require.NoError(t, s.Delete(ctx, key))
	require.Empty(t, srv.Keys(t))
	require.Empty(t, files(t, cache))
	_, err = s.Open(ctx, key)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, s.Delete(ctx, key), "deleting twice is fine")
}

func TestS3_OversizedPutLeavesNothing(t *testing.T) {
	t.Parallel()
	srv := s3test.New(t, keyID)
	s, cache := newS3(t, srv, "")
	before := srv.Requests()
	_, _, err := s.Put(context.Background(), key, bytes.NewReader(make([]byte, 1001)), 1000)
	require.ErrorIs(t, err, blob.ErrTooLarge)
	require.Equal(t, before, srv.Requests(), "nothing was sent")
	require.Empty(t, srv.Keys(t))
	require.Empty(t, files(t, cache))
}

type brokenReader struct{ n int }

func (r *brokenReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("client went away")
	}
	n := min(r.n, len(p))
	r.n -= n
	return n, nil
}

func TestS3_FailedPutsLeaveNothing(t *testing.T) {
	t.Parallel()
	srv := s3test.New(t, keyID)
	s, cache := newS3(t, srv, "")
	ctx := context.Background()
	_, _, err := s.Put(ctx, key, &brokenReader{n: 5000}, 1<<20)
	require.ErrorContains(t, err, "client went away")

	// The bucket refuses the upload (wrong credentials).
	bad, badCache := func() (*blob.S3, string) {
		c := t.TempDir()
		b, err := blob.NewS3(blob.S3Options{Bucket: s3test.Bucket, Endpoint: srv.URL, Region: "us-east-1", PathStyle: true,
			AccessKeyID: "AKIDWRONG", SecretAccessKey: secret}, c)
		require.NoError(t, err)
		return b, c
	}()
	_, _, err = bad.Put(ctx, key, strings.NewReader("a,b\n1,2\n"), 1<<20)
	require.ErrorContains(t, err, "upload to blob storage")
	require.NotContains(t, err.Error(), secret)
	require.Error(t, bad.Check(ctx))

	require.Empty(t, srv.Keys(t))
	require.Empty(t, files(t, cache))
	require.Empty(t, files(t, badCache))
}

func TestS3_LocalPathRefusesACorruptDownload(t *testing.T) {
	t.Parallel()
	srv := s3test.New(t, keyID)
	s, _ := newS3(t, srv, "")
	ctx := context.Background()
	_, _, err := s.Put(ctx, key, strings.NewReader("id\n1\n"), 100)
	require.NoError(t, err)
	// Someone rewrites the object behind our back, keeping the recorded SHA-256.
	obj, err := srv.Backend.HeadObject(s3test.Bucket, key)
	require.NoError(t, err)
	_, err = srv.Backend.PutObject(s3test.Bucket, key, obj.Metadata, strings.NewReader("id\n2\n"), 5, nil)
	require.NoError(t, err)

	other, otherCache := newS3(t, srv, "")
	_, err = other.LocalPath(ctx, key)
	require.ErrorContains(t, err, "SHA-256")
	require.Empty(t, files(t, otherCache), "nothing unchecked is cached")

	_, err = other.LocalPath(ctx, "7/ffffffffffffffffffffffffffffffff")
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestS3_RefusesKeysThatAreNotItsOwn(t *testing.T) {
	t.Parallel()
	srv := s3test.New(t, keyID)
	s, _ := newS3(t, srv, "")
	ctx := context.Background()
	before := srv.Requests()
	for _, k := range []string{"../etc/passwd", "1/../../x", "/abs", "1/ABC", ""} {
		_, _, err := s.Put(ctx, k, strings.NewReader("x"), 10)
		require.Error(t, err, k)
		_, err = s.Open(ctx, k)
		require.Error(t, err, k)
		_, err = s.LocalPath(ctx, k)
		require.Error(t, err, k)
		require.Error(t, s.Delete(ctx, k), k)
	}
	require.Equal(t, before, srv.Requests())
}

func TestS3_CheckSaysWhenTheBucketIsMissing(t *testing.T) {
	t.Parallel()
	srv := s3test.New(t, keyID)
	s, err := blob.NewS3(blob.S3Options{Bucket: "missing-bucket", Endpoint: srv.URL, Region: "us-east-1", PathStyle: true,
		AccessKeyID: keyID, SecretAccessKey: secret}, t.TempDir())
	require.NoError(t, err)
	require.EqualError(t, s.Check(context.Background()), `blob storage: bucket "missing-bucket" does not exist`)
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	o, err := blob.ParseURL("s3://my-bucket/uploads/prod?endpoint=http://127.0.0.1:9000&region=us-east-1&path_style=true")
	require.NoError(t, err)
	require.Equal(t, blob.S3Options{Bucket: "my-bucket", Prefix: "uploads/prod/", Endpoint: "http://127.0.0.1:9000", Region: "us-east-1", PathStyle: true}, o)
	o, err = blob.ParseURL("s3://my-bucket")
	require.NoError(t, err)
	require.Equal(t, blob.S3Options{Bucket: "my-bucket"}, o)
	o, err = blob.ParseURL("s3://my-bucket/a/")
	require.NoError(t, err)
	require.Equal(t, "a/", o.Prefix)

	bad := map[string]string{
		"http://my-bucket":                           "s3://",
		"s3://AKID:topsecret@my-bucket":              "AWS_ACCESS_KEY_ID",
		"s3://My_Bucket":                             "bucket",
		"s3://":                                      "bucket",
		"s3://my-bucket/a/../b":                      "prefix",
		"s3://my-bucket/a//b":                        "prefix",
		"s3://my-bucket?endpoint=ftp://x":            "endpoint",
		"s3://my-bucket?endpoint=http://x/path":      "endpoint",
		"s3://my-bucket?region=EU%20WEST":            "region",
		"s3://my-bucket?path_style=maybe":            "path_style",
		"s3://my-bucket?secret_key=topsecret":        "unknown parameter",
		"s3://my-bucket?region=a&region=b":           "more than once",
		"s3://my-bucket#x":                           "fragment",
		"::not a url":                                "URL",
		"s3://my-bucket/a%0Ab?endpoint=http://x:900": "prefix",
	}
	for raw, want := range bad {
		_, err := blob.ParseURL(raw)
		require.ErrorContains(t, err, want, raw)
		require.NotContains(t, err.Error(), "topsecret", raw)
	}
}
