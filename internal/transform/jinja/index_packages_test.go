package jinja

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// The word index maps a name to every macro of it, in every package: a template mentioning
// helper reaches the package's and the root project's, and a namespace member (pk.helper)
// does not bring the rest of its namespace. Envs sharing a Cache keep their closures apart.
func TestWordIndex_EveryMacroOfANameInEveryPackage(t *testing.T) {
	t.Parallel()
	cache := NewCache()
	files := []File{
		{Path: "dbt_packages/pk/macros/a.sql", Namespace: "pk", Text: "{% macro helper() %}P{% endmacro %}{% macro uses() %}{{ helper() }}{% endmacro %}"},
		{Path: "dbt_packages/other/macros/a.sql", Namespace: "other", Text: "{% macro default__helper() %}O{% endmacro %}"},
		{Path: "macros/root.sql", Namespace: "root", Text: "{% macro helper() %}R{% endmacro %}"},
	}
	env, err := NewEnv(Options{Dialect: "postgres", Root: "root", Packages: []string{"pk", "other"}, Cache: cache}, files)
	require.NoError(t, err)
	names := func(src string) []string {
		var out []string
		for _, i := range env.closure(src) {
			out = append(out, env.macros[i].namespace+"."+env.macros[i].name)
		}
		return out
	}
	require.ElementsMatch(t, []string{"pk.helper", "root.helper", "other.default__helper"}, names("{{ helper() }}"))
	require.NotContains(t, names("{{ pk.helper() }}"), "pk.uses", "a member, not its whole namespace")
	require.Contains(t, names("{% set p = pk %}{{ p.uses() }}"), "pk.uses", "a namespace used as a value brings all of it")
	require.ElementsMatch(t, []string{"pk.uses", "pk.helper", "root.helper", "other.default__helper"}, names("{{ pk.uses() }}"))

	for pkg, want := range map[string]string{"": "R P", "pk": "P P"} {
		tpl, err := env.ParseIn(pkg, "models/m.sql", "{{ helper() }} {{ pk.uses() }}")
		require.NoError(t, err)
		out, err := env.Render(context.Background(), tpl, nil)
		require.NoError(t, err)
		require.Equal(t, want, out, pkg)
	}

	// The same files under other namespaces are another Env for the shared closures.
	files[0].Namespace = "renamed"
	renamed, err := NewEnv(Options{Dialect: "postgres", Root: "root", Packages: []string{"renamed", "other"}, Cache: cache}, files)
	require.NoError(t, err)
	require.NotEqual(t, env.macroHash, renamed.macroHash)
	tpl, err := renamed.ParseIn("", "models/m.sql", "{{ renamed.uses() }}")
	require.NoError(t, err)
	out, err := renamed.Render(context.Background(), tpl, nil)
	require.NoError(t, err)
	require.Equal(t, "P", out)
}
