package jinja

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStaticCalls_ReadsTopLevelLiteralCallsOnly(t *testing.T) {
	t.Parallel()
	macros := []File{
		{Path: "macros/plain.sql", Text: "{% macro add(c, n=1) %}({{ c }} + {{ n }}){% endmacro %}"},
		{Path: "macros/refs.sql", Text: "{% macro my_ref(name) %}{{ ref(name) }}{% endmacro %}"},
	}
	env, err := NewEnv(Options{Dialect: "postgres"}, macros)
	require.NoError(t, err)

	calls, ok := env.StaticCalls("{{ config(materialized='table', tags=['a', 'b'], meta={'owner': 'x'}, n=3, f=1.5, on=true, none_=none) }}\n" +
		"{% set xs = [1, 2] %}\nselect {% for x in xs %}{{ add('c', x) }},{% endfor %} 1\n" +
		"from {{ ref('orders') }} join {{ ref('pkg', 'customers') }} using (id)\n" +
		"{# {{ ref('commented_out') }} #}\n" +
		"union all select * from {{- source('raw', 'events') -}}")
	require.True(t, ok)
	require.Equal(t, []StaticCall{
		{Name: "config", Kwargs: map[string]any{"materialized": "table", "tags": []any{"a", "b"},
			"meta": map[string]any{"owner": "x"}, "n": 3, "f": 1.5, "on": true, "none_": nil}},
		{Name: "ref", Args: []any{"orders"}, Kwargs: map[string]any{}},
		{Name: "ref", Args: []any{"pkg", "customers"}, Kwargs: map[string]any{}},
		{Name: "source", Args: []any{"raw", "events"}, Kwargs: map[string]any{}},
	}, calls)

	calls, ok = env.StaticCalls("select {{ add('x') }}")
	require.True(t, ok, "no call at all")
	require.Empty(t, calls)

	for _, src := range []string{
		"{% if var('on') %}select * from {{ ref('a') }}{% endif %}",          // conditional
		"{% for t in ['a'] %}{{ ref(t) }}{% endfor %}",                       // in a loop, computed
		"select * from {{ ref(var('model')) }}",                              // computed argument
		"{{ config(materialized=var('m')) }}",                                // computed config
		"{% set r = ref('a') %}select * from {{ r }}",                        // in a statement
		"select * from {{ my_ref('a') }}",                                    // a macro that refs
		"{% set body %}{{ ref('a') }}{% endset %}{{ body }}",                 // in a block set
		"{{ config.get('materialized') }} {{ ref('a') }}",                    // config read
		"select * from {{ ref('a') | string }}",                              // not the whole tag
		"{% call statement('x') %}select * from {{ ref('a') }}{% endcall %}", // in a call block
		"{{ ref('it\\'s') }}",                                                // an escape
		"{{ ref('a') ",                                                       // unclosed: gonja reports it
	} {
		_, ok := env.StaticCalls(src)
		require.False(t, ok, src)
	}
}
