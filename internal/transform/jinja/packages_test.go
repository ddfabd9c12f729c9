package jinja

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func packageEnv(t *testing.T, dispatch map[string][]string) *Env {
	t.Helper()
	files := []File{
		{Path: "dbt_packages/pk/macros/a.sql", Namespace: "pk", Text: "{% macro go() %}{{ return(adapter.dispatch('go', 'pk')()) }}{% endmacro %}" +
			"{% macro default__go() %}pk{% endmacro %}{% macro helper() %}pk-helper{% endmacro %}{% macro calls_helper() %}{{ helper() }}{% endmacro %}" +
			"{% macro missing() %}{{ return(adapter.dispatch('nowhere', 'pk')()) }}{% endmacro %}"},
		{Path: "dbt_packages/other/macros/a.sql", Namespace: "other", Text: "{% macro postgres__go() %}other{% endmacro %}"},
		{Path: "macros/root.sql", Namespace: "root", Text: "{% macro helper() %}root-helper{% endmacro %}"},
	}
	env, err := NewEnv(Options{Dialect: "postgres", Root: "root", Packages: []string{"pk", "other"}, Dispatch: dispatch}, files)
	require.NoError(t, err)
	return env
}

func renderIn(t *testing.T, env *Env, pkg, src string) (string, error) {
	t.Helper()
	tpl, err := env.ParseIn(pkg, "models/m.sql", src)
	require.NoError(t, err)
	return env.Render(context.Background(), tpl, nil)
}

func TestPackages_NamespacesLocalLookupAndDispatchSearchOrder(t *testing.T) {
	t.Parallel()
	env := packageEnv(t, nil)
	out, err := renderIn(t, env, "", "{{ pk.go() }} {{ helper() }} {{ pk.calls_helper() }} {{ root.helper() }}")
	require.NoError(t, err)
	// Without dispatch config the root project then pk are searched; a package macro calls its
	// own helper, the root project's template the root's.
	require.Equal(t, "pk root-helper pk-helper root-helper", out)

	out, err = renderIn(t, env, "pk", "{{ helper() }}")
	require.NoError(t, err)
	require.Equal(t, "pk-helper", out, "a package's node sees its package's macros first")

	out, err = renderIn(t, packageEnv(t, map[string][]string{"pk": {"other", "pk"}}), "", "{{ pk.go() }}")
	require.NoError(t, err)
	require.Equal(t, "other", out, "dispatch: search_order puts other's postgres__go first")

	_, err = renderIn(t, env, "", "{{ pk.missing() }}")
	require.ErrorContains(t, err, "in dispatch: no macro named 'nowhere' found within namespace 'pk'; searched for 'root.postgres__nowhere', 'root.default__nowhere', 'pk.postgres__nowhere', 'pk.default__nowhere'")
}

func TestRender_TheFirstReturnInALoopWins(t *testing.T) {
	t.Parallel()
	// dbt_utils.get_powers_of_two returns from inside a for loop.
	macros := []File{{Path: "macros/p.sql", Text: "{% macro first_power(n) %}{% for _ in range(1, 100) %}{% if n <= 2 ** loop.index %}{{ return(loop.index) }}{% endif %}{% endfor %}{% endmacro %}"}}
	require.Equal(t, "2", mustRender(t, macros, "{{ first_power(4) }}", nil))
}

func TestRender_AnInlineIfWithoutElseIsNone(t *testing.T) {
	t.Parallel()
	src := "{% set a = [1] if not given %}{% set b = 'x if y' if given %}{%- set c = 'k' if given else 'j' -%}{{ a }} {{ b is none }} {{ b }} {{ c }}"
	require.Equal(t, "[1] True  j", mustRender(t, nil, src, map[string]any{"given": false}))
	require.Equal(t, " False x if y k", mustRender(t, nil, src, map[string]any{"given": true}))
}
