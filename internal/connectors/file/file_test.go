package file

import (
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func TestFileConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	valid := map[string]any{"file_id": 3, "format": "csv", "compression": "gzip", "has_header": true, "delimiter": ";"}
	connectorstest.RequireValid(t, typ, valid)
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid, "file_id", "3"), "config.file_id")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid, "format", connectorstest.Remove), "config.format")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid, "delimiter", ";;"), "config.delimiter")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid, "path", "/etc/passwd"), "config.path")
}

func TestFileConfig_HasNoSecrets(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), map[string]any{"file_id": 3, "format": "csv"})
}

func env(t *testing.T, files map[int64]string) connectors.Env {
	t.Helper()
	return connectors.Env{Files: func(_ context.Context, id int64) (string, error) {
		if p, ok := files[id]; ok {
			return p, nil
		}
		return "", errors.New("no such file")
	}}
}

func TestFile_TestAndCatalogReadTheUpload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "a")
	require.NoError(t, os.WriteFile(csvPath, []byte("id,name,amount\n1,a,1.5\n2,b,2\n"), 0o600))
	gzPath := filepath.Join(dir, "b")
	f, err := os.Create(gzPath)
	require.NoError(t, err)
	zw := gzip.NewWriter(f)
	_, _ = zw.Write([]byte("{\"x\":1}\n{\"x\":2}\n"))
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	e := env(t, map[int64]string{7: csvPath, 8: gzPath})

	c, err := Type().Open(map[string]any{"file_id": float64(7), "format": "csv"}, e)
	require.NoError(t, err)
	res := c.Test(context.Background())
	require.True(t, res.OK, res.Message)
	cat, err := c.(connectors.Cataloger).Catalog(context.Background())
	require.NoError(t, err)
	require.Equal(t, "file_7", cat[0].Tables[0].Name)
	require.Equal(t, []connectors.Column{
		{Name: "id", Type: "integer", Nullable: true}, {Name: "name", Type: "string", Nullable: true}, {Name: "amount", Type: "number", Nullable: true},
	}, cat[0].Tables[0].Columns)

	c, err = Type().Open(map[string]any{"file_id": float64(8), "format": "jsonl", "compression": "gzip"}, e)
	require.NoError(t, err)
	require.True(t, c.Test(context.Background()).OK)
}

func TestFile_TestFailsCleanlyForMissingOrMismatchedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "a")
	require.NoError(t, os.WriteFile(p, []byte("a,b\n1,2\n"), 0o600))
	e := env(t, map[int64]string{1: p})

	c, _ := Type().Open(map[string]any{"file_id": float64(2), "format": "csv"}, e)
	res := c.Test(context.Background())
	require.False(t, res.OK)
	require.NotContains(t, res.Message, dir, "server paths never reach users")

	c, _ = Type().Open(map[string]any{"file_id": float64(1), "format": "parquet"}, e)
	res = c.Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "not parquet")

	_, err := Type().Open(map[string]any{"file_id": float64(1), "format": "csv"}, connectors.Env{})
	require.Error(t, err)
}
