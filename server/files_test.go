package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/blob"
)

func setupFiles(t *testing.T) (*testServer, string) {
	t.Helper()
	dir := t.TempDir()
	s := setup(t, func(d *Deps) {
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
