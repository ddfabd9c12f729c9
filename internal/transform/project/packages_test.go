package project

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

func TestReadDependencies_HubGitLocalAndTarballEntries(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"dependencies.yml": {Data: []byte(`packages:
  - package: dbt-labs/dbt_utils
    version: [">=1.0.0", "<2.0.0"]
  - package: calogica/dbt_date
    version: 0.10
  - git: "https://example.com/org/pkg.git"
    revision: 1.2
    subdirectory: sub/dir/
  - local: ../shared
  - tarball: https://example.com/p.tar.gz
    name: tarred
projects:
  - name: upstream
`)}}
	deps, file, err := ReadDependencies(fsys)
	require.NoError(t, err)
	require.Equal(t, "dependencies.yml", file)
	require.Equal(t, []Dependency{
		{Package: "dbt-labs/dbt_utils", Version: []string{">=1.0.0", "<2.0.0"}},
		{Package: "calogica/dbt_date", Version: []string{"0.10"}},
		{Git: "https://example.com/org/pkg.git", Revision: "1.2", Subdirectory: "sub/dir"},
		{Local: "../shared"},
		{Tarball: "https://example.com/p.tar.gz", Name: "tarred"},
	}, deps)
}

func TestReadDependencies_BadEntriesAreClearErrors(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"packages:\n  - package: dbt-labs/dbt_utils\n":            "needs a version",
		"packages:\n  - package: dbt_utils\n    version: 1.0.0\n": "must be written org/name",
		"packages:\n  - git: x\n    local: y\n":                   "exactly one of the keys",
		"packages:\n  - tarball: https://x/y.tgz\n":               "needs a name",
		"packages: {a: 1}\n":                                      "packages.yml",
	} {
		_, _, err := ReadDependencies(fstest.MapFS{"packages.yml": {Data: []byte(text)}})
		require.ErrorContains(t, err, want, text)
	}
	_, _, err := ReadDependencies(fstest.MapFS{"packages.yml": {Data: []byte("packages: []")}, "dependencies.yml": {Data: []byte("packages: []")}})
	require.ErrorContains(t, err, "only one of them")
}

func TestLoad_PackagesRefsSourcesAndVars(t *testing.T) {
	t.Parallel()
	p := load(t, map[string]string{
		"dbt_project.yml":                        "name: shop\nvars:\n  g: root\n  pkg_a:\n    v: root_scoped\nmodels:\n  pkg_a:\n    +tags: [from_root]\n",
		"packages.yml":                           "packages:\n  - package: org/pkg_a\n    version: 1.0.0\n  - package: org/missing\n    version: 1.0.0\n  - package: dbt-labs/dbt_utils\n    version: 1.0.0\n",
		"models/orders.sql":                      "select 1",
		"models/shared.sql":                      "select 1",
		"dbt_packages/pkg_a/dbt_project.yml":     "name: pkg_a\nversion: 1.0.0\nvars:\n  v: own\n  w: own\n  other_pkg:\n    z: 1\nmodels:\n  pkg_a:\n    +materialized: table\n",
		"dbt_packages/pkg_a/models/shared.sql":   "select 2",
		"dbt_packages/pkg_a/models/only_pkg.sql": "select 3",
		"dbt_packages/pkg_a/models/src.yml":      "version: 2\nsources:\n  - name: raw\n    tables: [{name: t}]\n",
		"dbt_packages/pkg_a/macros/m.sql":        "{% macro m() %}{% endmacro %}",
		"dbt_packages/not_a_package/README.md":   "stray folder",
	})
	require.Len(t, p.Packages, 1)
	n := p.Nodes["model.pkg_a.shared"]
	require.Equal(t, "pkg_a", n.Package)
	require.Equal(t, "dbt_packages/pkg_a/models/shared.sql", n.Path)
	require.Equal(t, []string{"pkg_a", "shared"}, n.FQN)
	require.Equal(t, "table", n.Config.Materialized())
	require.Equal(t, []string{"from_root"}, n.Config.Strings("tags"))
	require.Equal(t, "model.shop.shared", p.Ref("shop", "", "shared").UniqueID, "the root's own model first")
	require.Equal(t, "model.pkg_a.shared", p.Ref("pkg_a", "", "shared").UniqueID, "a package's own model first")
	require.Equal(t, "model.pkg_a.shared", p.Ref("shop", "pkg_a", "shared").UniqueID)
	require.Equal(t, "model.pkg_a.only_pkg", p.Ref("shop", "", "only_pkg").UniqueID)
	require.Nil(t, p.Ref("shop", "pkg_a", "orders"))
	require.Equal(t, "source.pkg_a.raw.t", p.Source("shop", "raw", "t").UniqueID)
	require.Equal(t, map[string]any{"v": "root_scoped", "w": "own", "g": "root"}, p.VarsFor("pkg_a"))
	require.Equal(t, []File{{Path: "dbt_packages/pkg_a/macros/m.sql", Text: "{% macro m() %}{% endmacro %}", Package: "pkg_a"}}, p.Macros)
	require.Equal(t, []string{"packages.yml: package org/missing is not installed in dbt_packages/ (run datanika transform deps)"}, p.Warnings)
	require.Contains(t, p.Files, "dbt_packages/pkg_a/models/shared.sql", "an export keeps the installed packages")
}

func TestLoadDir_LocalPackageOutsideTheProject(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(name, text string) {
		full := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o750))
		require.NoError(t, os.WriteFile(full, []byte(text), 0o600))
	}
	write("proj/dbt_project.yml", "name: proj\n")
	write("proj/packages.yml", "packages:\n  - local: ../shared\n")
	write("shared/dbt_project.yml", "name: shared_macros\n")
	write("shared/macros/x.sql", "{% macro x() %}1{% endmacro %}")
	write("shared/models/m.sql", "select 1")
	p, err := LoadDir(filepath.Join(root, "proj"))
	require.NoError(t, err)
	require.NotNil(t, p.Package("shared_macros"))
	require.Contains(t, p.Nodes, "model.shared_macros.m")
	require.Equal(t, "../shared/models/m.sql", p.Nodes["model.shared_macros.m"].Path)

	// From a zip or fs.FS, a path leaving the project cannot be followed: a clear error.
	_, err = Load(os.DirFS(filepath.Join(root, "proj")))
	require.ErrorContains(t, err, "local package ../shared: it lies outside the project; install it with datanika transform deps")
}
