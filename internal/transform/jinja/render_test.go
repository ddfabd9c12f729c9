package jinja

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/stretchr/testify/require"
)

func render(t *testing.T, macros []File, src string, globals map[string]any) (string, error) {
	t.Helper()
	env, err := NewEnv(Options{Dialect: "postgres"}, macros)
	require.NoError(t, err)
	tpl, err := env.Parse("models/m.sql", src)
	if err != nil {
		return "", err
	}
	return env.Render(context.Background(), tpl, globals)
}

func mustRender(t *testing.T, macros []File, src string, globals map[string]any) string {
	t.Helper()
	out, err := render(t, macros, src, globals)
	require.NoError(t, err)
	return out
}

func TestRender_SetForIfWithWhitespaceControl(t *testing.T) {
	t.Parallel()
	src := "{% set methods = ['card', 'cash'] %}select\n{%- for m in methods %}\n  sum(case when method = '{{ m }}' then amount end) as {{ m }}_amount{% if not loop.last %},{% endif %}\n{%- endfor %}\nfrom p"
	out := mustRender(t, nil, src, nil)
	require.Equal(t, "select\n  sum(case when method = 'card' then amount end) as card_amount,\n  sum(case when method = 'cash' then amount end) as cash_amount\nfrom p", out)
}

func TestRender_MacrosWithDefaultsKeywordsAcrossFiles(t *testing.T) {
	t.Parallel()
	macros := []File{{Path: "macros/cents.sql", Text: "{% macro cents_to_dollars(col, scale=2) %}round({{ col }} / 100.0, {{ scale }}){% endmacro %}"}}
	out := mustRender(t, macros, "{{ cents_to_dollars('amount') }} {{ cents_to_dollars(col='x', scale=4) }}", nil)
	require.Equal(t, "round(amount / 100.0, 2) round(x / 100.0, 4)", out)
}

func TestRender_CallBlockReachesCallerInAnotherFile(t *testing.T) {
	t.Parallel()
	macros := []File{{Path: "macros/wrap.sql", Text: "{% macro wrap(name) %}with {{ name }} as ({{ caller() }}){% endmacro %}"}}
	out := mustRender(t, macros, "{% call wrap('x') %}select 1{% endcall %} select * from x", nil)
	require.Equal(t, "with x as (select 1) select * from x", out)
}

func TestRender_ReturnGivesTheValueNotTheText(t *testing.T) {
	t.Parallel()
	macros := []File{{Path: "macros/cols.sql", Text: "{% macro cols() %}ignored{{ return(['a', 'b']) }}{% endmacro %}"}}
	out := mustRender(t, macros, "{% for c in cols() %}{{ c }};{% endfor %}{{ cols() | length }}", nil)
	require.Equal(t, "a;b;2", out)
}

func TestDo_AppendInsideLoopKeepsItems(t *testing.T) {
	t.Parallel()
	out := mustRender(t, nil, "{% set xs = [] %}{% for i in [1, 2, 3] %}{% if i > 1 %}{% do xs.append(i * 10) %}{% endif %}{% endfor %}{{ xs | join(',') }}", nil)
	require.Equal(t, "20,30", out)
}

func TestRender_NamespaceWorksAcrossLoop(t *testing.T) {
	t.Parallel()
	out := mustRender(t, nil, "{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", nil)
	require.Equal(t, "6", out)
}

func TestRender_GoFunctionsAndNamespaces(t *testing.T) {
	t.Parallel()
	globals := map[string]any{
		"ref": func(va *exec.VarArgs) *exec.Value { return exec.AsValue(`"s"."` + va.Args[0].String() + `"`) },
		"adapter": Namespace{"quote": func(va *exec.VarArgs) *exec.Value {
			return exec.AsValue(`"` + va.Args[0].String() + `"`)
		}},
	}
	out := mustRender(t, nil, "select {{ adapter.quote('order') }} from {{ ref('orders') }}", globals)
	require.Equal(t, `select "order" from "s"."orders"`, out)
}

func TestRender_DispatchPrefersTheDialect(t *testing.T) {
	t.Parallel()
	macros := []File{{Path: "macros/d.sql", Text: "{% macro now() %}{{ return(adapter.dispatch('now')()) }}{% endmacro %}{% macro default__now() %}current_timestamp{% endmacro %}{% macro postgres__now() %}now(){% endmacro %}{% macro default__only() %}d{% endmacro %}"}}
	out := mustRender(t, macros, "{{ now() }} {{ adapter.dispatch('only')() }}", nil)
	require.Equal(t, "now() d", out)
}

func TestRender_GenericTestBlocksBecomeMacros(t *testing.T) {
	t.Parallel()
	macros := []File{{Path: "tests/generic/positive.sql", Text: "{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} < 0{% endtest %}"}}
	out := mustRender(t, macros, "{{ test_positive('t', 'x') }}", nil)
	require.Equal(t, "select * from t where x < 0", out)
}

func TestRender_ParseErrorNamesFileLineAndColumn(t *testing.T) {
	t.Parallel()
	_, err := render(t, nil, "select 1\nfrom x\n{% if %}\n", nil)
	require.Error(t, err)
	var te *Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, "models/m.sql", te.Path)
	require.Equal(t, 3, te.Line)
	require.Positive(t, te.Col)
	require.True(t, strings.HasPrefix(err.Error(), "models/m.sql:3:"), err.Error())
}

func TestRender_RangeIsBounded(t *testing.T) {
	t.Parallel()
	_, err := render(t, nil, "{% for i in range(100000000) %}{% endfor %}", nil)
	require.ErrorContains(t, err, "limited")
	_, err = render(t, nil, "{% for i in range(400) %}{% for j in range(400) %}{% endfor %}{% endfor %}", nil)
	require.ErrorContains(t, err, "more than 100000 items in one render", "nested loops share one budget")
}

func TestRender_RecursionIsBounded(t *testing.T) {
	t.Parallel()
	macros := []File{{Path: "macros/r.sql", Text: "{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}"}}
	_, err := render(t, macros, "{{ r(0) }}", nil)
	require.ErrorContains(t, err, "nest deeper")
}

func TestRender_NoFileSystemAccess(t *testing.T) {
	t.Parallel()
	_, err := render(t, nil, "{% include '/etc/passwd' %}", nil)
	require.Error(t, err)
}

func TestRender_UndefinedIsEmptyUnlessStrict(t *testing.T) {
	t.Parallel()
	require.Equal(t, "a  b", mustRender(t, nil, "a {{ nope }} b", nil))
	env, err := NewEnv(Options{Strict: true}, nil)
	require.NoError(t, err)
	tpl, err := env.Parse("m.sql", "a {{ nope }} b")
	require.NoError(t, err)
	_, err = env.Render(context.Background(), tpl, nil)
	require.Error(t, err)
}

func TestRender_MacroErrorsPointAtTheMacroFile(t *testing.T) {
	t.Parallel()
	macros := []File{{Path: "macros/broken.sql", Text: "{% macro broken() %}{{ undefined_fn() }}{{ return(1) }}{% endmacro %}"}}
	_, err := render(t, macros, "select {{ broken() }}", nil)
	require.ErrorContains(t, err, "macros/broken.sql")
}

// dbt's return() raises, so nothing after it runs: dbt_utils.union_relations returns ” while
// parsing and raises a compiler error further down only when executing.
func TestRender_NothingAfterReturnRuns(t *testing.T) {
	t.Parallel()
	macros := []File{{Path: "macros/early.sql", Text: "{% macro early(x) %}{% if not x %}{{ return('early') }}{% endif %}" +
		"{% for i in [1, 2] %}{{ return('loop' ~ i) }}{% endfor %}{{ undefined_fn() }}{% endmacro %}" +
		"{% macro outer() %}{% set v = early(false) %}{{ return(v ~ '+' ~ early(true)) }}{% endmacro %}"}}
	out, err := render(t, macros, "{{ early(false) }} {{ early(true) }} {{ outer() }}", nil)
	require.NoError(t, err)
	require.Equal(t, "early loop1 early+loop1", out)
}

func TestRender_DeadlineStopsLongRenders(t *testing.T) {
	t.Parallel()
	env, err := NewEnv(Options{Timeout: time.Millisecond}, []File{{Path: "macros/s.sql", Text: "{% macro s() %}x{% endmacro %}"}})
	require.NoError(t, err)
	tpl, err := env.Parse("m.sql", "{% for i in range(50000) %}{{ s() }}{% endfor %}")
	require.NoError(t, err)
	_, err = env.Render(context.Background(), tpl, nil)
	require.ErrorContains(t, err, "longer than 1ms")
}

func TestRender_DbtIdioms(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"{% set cols %}a, b{% endset %}select {{ cols }}":                                                   "select a, b",
		"{% for x in ['a','b','c'] %}{{ loop.index }}{{ x }}{% if not loop.last %}-{% endif %}{% endfor %}": "1a-2b-3c",
		"{{ ['x', 'y'] | join(', ') }}":                                                                     "x, y",
		"{{ 'MiXed' | lower }} {{ 'abc' | upper }} {{ '  s  ' | trim }}":                                    "mixed ABC s",
		"{{ '1' | as_number + 1 }} {{ 'true' | as_bool }}":                                                  "2 True",
		"{% if none is none and 3 in [1, 2, 3] %}yes{% endif %}":                                            "yes",
		"{{ {'a': 1}.get('a') }}{{ {'a': 1}.get('b', 9) }}":                                                 "19",
		"{% set d = {'k': 'v'} %}{% for key, val in d.items() %}{{ key }}={{ val }}{% endfor %}":            "k=v",
	}
	for src, want := range cases {
		require.Equal(t, want, mustRender(t, nil, src, nil), src)
	}
}

func TestRender_TrailingCommaInCallsListsAndDicts(t *testing.T) {
	t.Parallel()
	macros := []File{{Path: "macros/pick.sql", Text: "{% macro pick(values, n=1,) %}{{ values[n] }}{% endmacro %}"}}
	src := "{{ pick(['a', 'b', 'c',], 2,) }} {{ pick(\n  values=['x', 'y'],\n) }} {{ {'k': 'v',}['k'] }} {{ ',)' }}{# a, ) #}{% raw %}{{ f(a,) }}{% endraw %}"
	out := mustRender(t, macros, src, nil)
	require.Equal(t, "c y v ,){{ f(a,) }}", out)
}

func TestRender_UnknownMacroInsideATestFailsNamingIt(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		"{% if nope() is none %}a{% endif %}",
		"{% if nope() is not none %}a{% endif %}",
		"{% if nope() is sameas true %}a{% endif %}",
		"{% if nope() is defined %}a{% endif %}",
	} {
		_, err := render(t, nil, src, nil)
		require.ErrorContains(t, err, "'nope' is undefined or not a macro", src)
	}
	_, err := render(t, nil, "{% if dbt_utils.nope() %}a{% endif %}", map[string]any{"dbt_utils": Namespace{"star": "x"}})
	require.ErrorContains(t, err, "'nope' is not a macro or method of that namespace")
	require.NotContains(t, err.Error(), "star")
	out := mustRender(t, nil, "{% if x is defined %}a{% else %}b{% endif %}{% if x is undefined %}c{% endif %}{% if y is none %}d{% endif %}", map[string]any{"y": nil})
	require.Equal(t, "bcd", out)
	env, err := NewEnv(Options{Strict: true}, nil)
	require.NoError(t, err)
	tpl, err := env.Parse("models/m.sql", "{% if x is defined %}a{% else %}b{% endif %}")
	require.NoError(t, err)
	out, err = env.Render(context.Background(), tpl, nil)
	require.NoError(t, err)
	require.Equal(t, "b", out)
}

func TestNewEnv_AMacroFileThatCannotBeParsedFailsOnlyItsCallers(t *testing.T) {
	t.Parallel()
	env, err := NewEnv(Options{Dialect: "postgres"}, []File{
		{Path: "macros/ok.sql", Text: "{% macro fine() %}fine{% endmacro %}"},
		{Path: "macros/bad.sql", Text: "{% macro shout(x) %}upper({{ x }}){% endmacro %}\n{% macro half() %}{% if %}{% endmacro %}"},
	})
	require.NoError(t, err)
	require.Len(t, env.Problems(), 1)
	require.ErrorContains(t, env.Problems()[0], "macros/bad.sql:2:")
	tpl, err := env.Parse("models/a.sql", "{{ fine() }}")
	require.NoError(t, err)
	out, err := env.Render(context.Background(), tpl, nil)
	require.NoError(t, err)
	require.Equal(t, "fine", out)
	tpl, err = env.Parse("models/b.sql", "{{ shout('a') }}")
	require.NoError(t, err)
	_, err = env.Render(context.Background(), tpl, nil)
	require.ErrorContains(t, err, "macro shout cannot be used: macros/bad.sql:2:")
}
