package jinja

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A template binds only the macros it can reach: a namespace member called by name brings that
// member (and what it calls), a quoted namespace (dispatch's macro_namespace) brings nothing,
// and a namespace used as a value brings all of it, so every way of calling still works.
func TestClosure_NamespaceMembersByNameOnly(t *testing.T) {
	t.Parallel()
	pkg := File{Path: "builtin/pkg/m.sql", Text: `{% macro one() %}1{{ two() }}{% endmacro %}
{% macro two() %}2{% endmacro %}
{% macro three() %}3{% endmacro %}
{% macro disp() %}{{ return(adapter.dispatch('disp', 'pkg')()) }}{% endmacro %}
{% macro default__disp() %}d{% endmacro %}`}
	env, err := NewEnv(Options{Dialect: "postgres"}, []File{pkg})
	require.NoError(t, err)
	names := func(src string) []string {
		var out []string
		for _, i := range env.closure(src) {
			out = append(out, env.macros[i].name)
		}
		return out
	}
	require.ElementsMatch(t, []string{"one", "two"}, names("{{ pkg.one() }}"))
	require.ElementsMatch(t, []string{"disp", "default__disp"}, names("{{ pkg.disp() }}"))
	require.ElementsMatch(t, []string{"one", "two", "three", "disp", "default__disp"}, names("{% set p = pkg %}{{ p.three() }}"))
	require.Empty(t, names("{{ 'pkg' }} pkgs mypkg"))

	for src, want := range map[string]string{
		"{{ pkg.one() }}":                         "12",
		"{{ pkg.disp() }}":                        "d",
		"{{ disp() }}":                            "d",
		"{% set p = pkg %}{{ p.three() }}":        "3",
		"{{ adapter.dispatch('disp', 'pkg')() }}": "d",
	} {
		out, err := render(t, []File{pkg}, src, nil)
		require.NoError(t, err, src)
		require.Equal(t, want, out, src)
	}
}
