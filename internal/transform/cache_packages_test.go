package transform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// copyFixture copies a compat fixture into a directory the test may edit.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "compat", name))))
	return dir
}

func editFile(t *testing.T, dir, name, old, replacement string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	require.Contains(t, string(b), old)
	writeFile(t, dir, name, strings.Replace(string(b), old, replacement, 1))
}

// What a parse render sees of the packages is part of the parse cache's key: a package's vars
// (read by its nodes through var()), the dispatch search orders and the packages' macros. A
// node whose config() depends on them gets its new config from a warm load, as from a cold one.
func TestCache_PackagesVarsDispatchAndMacrosAreInTheKey(t *testing.T) {
	t.Parallel()
	dir := copyFixture(t, "packages")
	// A root model whose config() dispatches into the packages while parsing, and a package
	// model whose config() reads its package's var.
	writeFile(t, dir, "dbt_packages/fake_utils/macros/pick.sql",
		"{% macro pick() %}{{ return(adapter.dispatch('pick', 'fake_utils')()) }}{% endmacro %}\n"+
			"{% macro default__pick() %}{{ return('from_fake') }}{% endmacro %}\n")
	writeFile(t, dir, "local_pkgs/shim_pkg/macros/pick.sql", "{% macro default__pick() %}{{ return('from_shim') }}{% endmacro %}\n")
	writeFile(t, dir, "models/picked.sql", "{{ config(alias=fake_utils.pick()) }}\nselect 1 as one\n")
	editFile(t, dir, "dbt_packages/fake_utils/models/fake_calendar.sql", "select", "{{ config(alias='cal_' ~ var('label_prefix')) }}\nselect")

	cache := NewCache()
	alias := func(e *Engine, id string) string { return e.nodes[id].config.String("alias") }
	e := loadEngine(t, dir, cache)
	require.Equal(t, "from_shim", alias(e, "model.compat_packages.picked"))
	require.Equal(t, "cal_pkg", alias(e, "model.fake_utils.fake_calendar"))
	loadEngine(t, dir, cache)
	hits, misses := cache.Stats()
	require.Zero(t, misses, "nothing changed")
	require.Positive(t, hits)

	// The package's own var changes.
	editFile(t, dir, "dbt_packages/fake_utils/dbt_project.yml", `label_prefix: "pkg"`, `label_prefix: "pkg2"`)
	e = loadEngine(t, dir, cache)
	require.Equal(t, "cal_pkg2", alias(e, "model.fake_utils.fake_calendar"))
	require.Equal(t, compiledAll(t, loadEngine(t, dir, nil)), compiledAll(t, e))

	// The dispatch search order changes: shim_pkg is no longer searched.
	editFile(t, dir, "dbt_project.yml", "['compat_packages', 'shim_pkg', 'fake_utils']", "['compat_packages', 'fake_utils']")
	e = loadEngine(t, dir, cache)
	require.Equal(t, "from_fake", alias(e, "model.compat_packages.picked"))
	require.Equal(t, compiledAll(t, loadEngine(t, dir, nil)), compiledAll(t, e))

	// A package's macro changes.
	writeFile(t, dir, "dbt_packages/fake_utils/macros/pick.sql",
		"{% macro pick() %}{{ return(adapter.dispatch('pick', 'fake_utils')()) }}{% endmacro %}\n"+
			"{% macro default__pick() %}{{ return('from_fake_v2') }}{% endmacro %}\n")
	e = loadEngine(t, dir, cache)
	require.Equal(t, "from_fake_v2", alias(e, "model.compat_packages.picked"))
	require.Equal(t, compiledAll(t, loadEngine(t, dir, nil)), compiledAll(t, e))
}
