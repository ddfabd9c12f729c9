package project

import (
	"archive/zip"
	"bytes"
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

func ids(p *Project) []string {
	var out []string
	for id := range p.Nodes {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func TestZip_ExportImportIsLossless(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("../testdata/jaffle_shop")))
	require.NoError(t, os.WriteFile(dir+"/seeds/raw_orders.csv", []byte("id,user_id,order_date,status\n1,1,2018-01-01,returned\n"), 0o600))
	original, err := Load(os.DirFS(dir))
	require.NoError(t, err)

	var buf bytes.Buffer
	require.NoError(t, original.WriteZip(&buf))
	fsys, err := OpenZip(buf.Bytes())
	require.NoError(t, err)
	imported, err := Load(fsys)
	require.NoError(t, err)
	require.Equal(t, []byte(dbtUtilsPackages), imported.Files["packages.yml"], "dbt-core needs dbt_utils declared")
	delete(imported.Files, "packages.yml")
	require.Equal(t, original.Files, imported.Files, "every file comes back byte for byte")
	require.Equal(t, ids(original), ids(imported))
	require.Equal(t, original.Nodes["model.jaffle_shop.orders"].Config, imported.Nodes["model.jaffle_shop.orders"].Config)

	out := t.TempDir()
	require.NoError(t, imported.WriteDir(out))
	again, err := Load(os.DirFS(out))
	require.NoError(t, err)
	delete(again.Files, "packages.yml")
	require.Equal(t, original.Files, again.Files)
}

func TestOpenZip_FindsAProjectInATopLevelFolder(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, text := range map[string]string{"shop/dbt_project.yml": "name: shop\n", "shop/models/a.sql": "select 1"} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(text))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	fsys, err := OpenZip(buf.Bytes())
	require.NoError(t, err)
	p, err := Load(fsys)
	require.NoError(t, err)
	require.Contains(t, p.Nodes, "model.shop.a")
}

func TestOpenZip_RefusesArchivesWithoutAProject(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	_, err := zw.Create("readme.txt")
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	_, err = OpenZip(buf.Bytes())
	require.ErrorContains(t, err, "no dbt_project.yml")
}
