package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/blob"
	"github.com/datanika/datanika/internal/connectors/s3/s3test"
)

func setupFiles(t *testing.T) (*testServer, string) {
	t.Helper()
	dir := t.TempDir()
	s := setupDB(t, func(d *Deps) {
		b, err := blob.NewDir(dir)
		require.NoError(t, err)
		d.Blobs = b
		d.MaxUploadBytes = 64 << 10
	})
	return s, dir
}

func blobCount(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n++
		}
		return err
	}))
	return n
}

func TestFiles_UploadRecognisesTheFormatAndHashes(t *testing.T) {
	t.Parallel()
	s, dir := setupFiles(t)
	f := s.newOrg(t)
	content := []byte("id,customer,amount,ordered_on\n1,Ada,10.50,2024-01-02\n2,Bob,3,2024-01-03\n")
	got := decode[api.File](t, s.call(t, http.MethodPost, "/api/v1/files", f.editor.AccessToken, upload{"file", "../../etc/orders.csv", content}), http.StatusCreated)
	sum := sha256.Sum256(content)
	require.Equal(t, hex.EncodeToString(sum[:]), got.Sha256)
	require.Equal(t, int64(len(content)), got.Size)
	require.Equal(t, api.FileFormat("csv"), got.Format)
	require.Equal(t, "orders.csv", got.Name, "the client's path is never kept")
	require.Equal(t, []api.DetectedColumn{
		{Name: "id", Type: "integer"}, {Name: "customer", Type: "string"}, {Name: "amount", Type: "number"}, {Name: "ordered_on", Type: "date"},
	}, got.DetectedColumns)
	require.Equal(t, 1, blobCount(t, dir))

	list := decode[api.FileList](t, s.call(t, http.MethodGet, "/api/v1/files", f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, list.Items, 1)

	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/files/%d", got.Id), f.admin.AccessToken, nil).Code)
	require.Zero(t, blobCount(t, dir), "the bytes go with the file")
	list = decode[api.FileList](t, s.call(t, http.MethodGet, "/api/v1/files", f.viewer.AccessToken, nil), http.StatusOK)
	require.Empty(t, list.Items)
}

func TestFiles_TooLargeAnswers413AndKeepsNothing(t *testing.T) {
	t.Parallel()
	s, dir := setupFiles(t)
	f := s.newOrg(t)
	big := append([]byte("a,b\n"), bytes.Repeat([]byte("1,2\n"), 20_000)...) // 80 kB > 64 kB
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/files", f.owner.AccessToken, upload{"file", "big.csv", big}), http.StatusRequestEntityTooLarge)
	require.Equal(t, api.ErrorCodePayloadTooLarge, *p.Code)
	require.Zero(t, blobCount(t, dir))
}

func TestFiles_BadUploadsAnswer4xxAndKeepNothing(t *testing.T) {
	t.Parallel()
	s, dir := setupFiles(t)
	f := s.newOrg(t)
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/files", f.owner.AccessToken, upload{"file", "x.bin", []byte{0, 1, 2, 3, 0xff}}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "file")
	p = decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/files", f.owner.AccessToken, upload{"other", "x.csv", []byte("a\n1\n")}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "file")
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/files", f.owner.AccessToken, map[string]any{"file": "not multipart"}), http.StatusUnsupportedMediaType)
	require.Zero(t, blobCount(t, dir))
	list := decode[api.FileList](t, s.call(t, http.MethodGet, "/api/v1/files", f.owner.AccessToken, nil), http.StatusOK)
	require.Empty(t, list.Items)
}

// With BLOB_URL, uploads go to the bucket; readers of uploaded files (the file connector here)
// get a checked local copy, downloaded again when this machine has none.
func TestFiles_UploadToS3BlobStorage(t *testing.T) {
	t.Parallel()
	bucket := s3test.New(t, "AKIDSERVERTEST")
	cache := t.TempDir()
	s := setup(t, func(d *Deps) {
		b, err := blob.NewS3(blob.S3Options{Bucket: s3test.Bucket, Prefix: "uploads/", Endpoint: bucket.URL, Region: "us-east-1",
			PathStyle: true, AccessKeyID: "AKIDSERVERTEST", SecretAccessKey: "server-test-secret"}, cache)
		require.NoError(t, err)
		d.Blobs = b
		d.MaxUploadBytes = 64 << 10
	})
	f := s.newOrg(t)
	content := []byte("id,customer\n1,Ada\n2,Bob\n")
	got := decode[api.File](t, s.call(t, http.MethodPost, "/api/v1/files", f.editor.AccessToken, upload{"file", "orders.csv", content}), http.StatusCreated)
	sum := sha256.Sum256(content)
	require.Equal(t, hex.EncodeToString(sum[:]), got.Sha256)
	require.Equal(t, []api.DetectedColumn{{Name: "id", Type: "integer"}, {Name: "customer", Type: "string"}}, got.DetectedColumns)
	keys := bucket.Keys(t)
	require.Len(t, keys, 1)
	require.Regexp(t, `^uploads/[0-9]+/[0-9a-f]{32}$`, keys[0])

	big := append([]byte("a,b\n"), bytes.Repeat([]byte("1,2\n"), 20_000)...) // 80 kB > 64 kB
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/files", f.owner.AccessToken, upload{"file", "big.csv", big}), http.StatusRequestEntityTooLarge)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/files", f.owner.AccessToken, upload{"file", "x.bin", []byte{0, 1, 2, 3, 0xff}}), http.StatusUnprocessableEntity)
	require.Equal(t, keys, bucket.Keys(t), "refused uploads leave nothing in the bucket")
	require.Equal(t, 1, blobCount(t, cache), "nor in the cache")

	require.NoError(t, os.RemoveAll(cache)) // as on a machine that never saw the upload
	res := decode[api.ConnectionTestResult](t, s.call(t, http.MethodPost, "/api/v1/connections/test", f.editor.AccessToken,
		map[string]any{"type": "file", "config": map[string]any{"file_id": got.Id, "format": "csv"}}), http.StatusOK)
	require.True(t, res.Ok, res.Message)
	require.Equal(t, 1, blobCount(t, cache), "downloaded once into the cache")

	require.NoError(t, os.RemoveAll(cache))
	bucket.Refuse(true)
	res = decode[api.ConnectionTestResult](t, s.call(t, http.MethodPost, "/api/v1/connections/test", f.editor.AccessToken,
		map[string]any{"type": "file", "config": map[string]any{"file_id": got.Id, "format": "csv"}}), http.StatusOK)
	require.False(t, res.Ok)
	require.Contains(t, res.Message, "cannot be read now")
	require.NotContains(t, res.Message, bucket.Host(), "where blobs are stored is not the user's business")
	bucket.Refuse(false)
	res = decode[api.ConnectionTestResult](t, s.call(t, http.MethodPost, "/api/v1/connections/test", f.editor.AccessToken,
		map[string]any{"type": "file", "config": map[string]any{"file_id": got.Id, "format": "csv"}}), http.StatusOK)
	require.True(t, res.Ok, "nothing half-downloaded was kept: %s", res.Message)

	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/files/%d", got.Id), f.admin.AccessToken, nil).Code)
	require.Empty(t, bucket.Keys(t), "the bytes go with the file")
	require.Zero(t, blobCount(t, cache))
}

// A multipart body cut off before its closing boundary (a client or proxy that gave up) answers
// 400 problem+json and keeps nothing: no file row, no blob.
func TestFiles_TruncatedUploadAnswers400AndKeepsNothing(t *testing.T) {
	t.Parallel()
	s, dir := setupFiles(t)
	f := s.newOrg(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", "orders.csv")
	require.NoError(t, err)
	_, _ = fw.Write([]byte("id,amount\n1,10.50\n2,3\n"))
	// No mw.Close(): the closing boundary never comes.
	req := httptest.NewRequest(http.MethodPost, "/api/v1/files", bytes.NewReader(buf.Bytes()))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+f.editor.AccessToken)
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"), rec.Body.String())
	p := decodeProblem(t, rec, http.StatusBadRequest)
	require.Contains(t, *p.Detail, "ended before the file was complete")
	require.Zero(t, blobCount(t, dir))
	list := decode[api.FileList](t, s.call(t, http.MethodGet, "/api/v1/files", f.owner.AccessToken, nil), http.StatusOK)
	require.Empty(t, list.Items)
}
