package jinja

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Each expression is what real packages write (dbt_utils' equality, recency, unpivot,
// surrogate_key, not_null_proportion) and gonja's own parser either refused or read wrong.
func TestNormalize_JinjaGrammarGonjaMisreads(t *testing.T) {
	t.Parallel()
	macros := []File{{Path: "macros/f.sql", Text: "{% macro f(a) %}a={{ a }} va={{ varargs }} kw={{ kwargs }}{% endmacro %}" +
		"{% macro g(a, b=2) %}g{{ a }}{{ b }}{% endmacro %}" +
		"{% macro default__g(a, b=2) %}d{{ a }}{{ b }}{% endmacro %}{% macro h(a) %}{{ return(adapter.dispatch('g')(a, *varargs, **kwargs)) }}{% endmacro %}"}}
	cases := []struct{ src, want string }{
		// A filter binds to its operand, on either side of in / not in.
		{"{% if 'A'|lower in ['a','b']|map('lower') %}y{% else %}n{% endif %}", "y"},
		{"{% if 'c' not in ['a','B']|map('lower') %}y{% else %}n{% endif %}", "y"},
		{"{{ (['A','b']|map('lower')|list)[0] }}", "a"},
		{"{{ -1|abs }}", "1"},
		// A conditional expression anywhere, lazily at the top of a tag.
		{"{% set t = true %}{{ 'cast(' ~ ('date' if t else 'ts') ~ ')' }}", "cast(date)"},
		{"{% set y = (1 if true else 2) + 3 %}{{ y }}", "4"},
		{"{{ f(a=('x' if false else 'y')) }}", "a=y va=[] kw={}"},
		{"{{ 'y' if 1 in [1] and 2 not in [1] else 'n' }}", "y"},
		// Spread arguments, and the varargs/kwargs a macro mentions.
		{"{{ f(1, 2, b=3) }}", "a=1 va=[2] kw={'b': 3}"},
		{"{{ f(1, *[2,3], **{'b': 4}) }}", "a=1 va=[2, 3] kw={'b': 4}"},
		{"{% set xs=[5] %}{{ g(*xs) }}", "g52"},
		{"{% set kw={'b': 7} %}{{ g(1, **kw) }}", "g17"},
		{"{{ h(1, b=5) }}", "d15"},
		// Line breaks after and/or in a multi-line condition.
		{"{% set a = 1 %}{% if (\n a and\n not b\n) %}y{% endif %}", "y"},
		{"{% if (true and\n true) %}y{% endif %}\nx", "y\nx"},
		// What gonja already read stays as it was.
		{"{{ [1,2,3][::-1] }}", "[3, 2, 1]"},
		{"{{ 'a' 'b' }}", "ab"},
		{"{% for k, v in {'a': 1}.items() %}{{k}}{{v}}{% endfor %}", "a1"},
		{"{{ x is defined and x }}", "False"},
		{"{{ 4 is divisibleby 2 }}", "True"},
		{"{{ 1 + 2 * 3 }}-{{ (1 + 2) * 3 }}", "7-9"},
		{"{{ not true or true }}", "True"},
		{"{% for i in [1,2,3] if i is odd %}{{ i }}{% endfor %}", "13"},
		{"{{ {'a': {'b': 2}}['a']['b'] }}", "2"},
		{"{{ ('a').upper() }}", "A"},
		{"{%- set s = 'x' -%} {{- s -}} ", "x"},
	}
	for _, c := range cases {
		out, err := render(t, macros, c.src, nil)
		require.NoError(t, err, c.src)
		require.Equal(t, c.want, out, c.src)
	}
}

func TestNormalize_KeepsLinesAndUnreadableTags(t *testing.T) {
	t.Parallel()
	src := "{% if (a and\n b) %}\n{{ x }}{% endif %}"
	got := normalizeExpressions(src)
	require.Equal(t, strings.Count(src, "\n"), strings.Count(got, "\n"))
	column := func(s string) int {
		at := strings.Index(s, "{{ x }}")
		require.GreaterOrEqual(t, at, 0)
		return at - strings.LastIndex(s[:at], "\n")
	}
	require.Equal(t, column(src), column(got), "the column after the tag")
	// A tag this grammar cannot read is left for gonja to report.
	for _, bad := range []string{"{{ a + }}", "{% if %}", "{{ 'open }}", "{% set a, %}", "{% macro m(a=1) %}{% endmacro %}"} {
		require.Equal(t, bad, normalizeExpressions(bad))
	}
	_, err := render(t, nil, "line1\n{{ a + }}", nil)
	require.ErrorContains(t, err, "m.sql:2")
}

func TestNormalize_SpreadOfWrongTypeIsAnError(t *testing.T) {
	t.Parallel()
	macros := []File{{Path: "macros/g.sql", Text: "{% macro g(a, b=2) %}g{{ a }}{{ b }}{% endmacro %}"}}
	_, err := render(t, macros, "{{ g(*5) }}", nil)
	require.ErrorContains(t, err, "not a list")
	_, err = render(t, macros, "{{ g(1, **[1]) }}", nil)
	require.ErrorContains(t, err, "not a mapping")
	_, err = render(t, macros, "{{ g(1, b=3, **{'b': 4}) }}", nil)
	require.ErrorContains(t, err, "multiple values")
}

func TestNormalize_NestedConditionalEvaluatesOnlyItsBranch(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		"{% for x in ([1, 2] if true else undefined_fn()) %}{{ x }}{% endfor %}": "12",
		"{% for x in (undefined_fn() if false else [3]) %}{{ x }}{% endfor %}":   "3",
		"{{ 'a' ~ ('' if true else 'b') ~ 'c' }}":                                "ac",
		"{{ (0 if true else 1) }} {{ (1 if false) is none }}":                    "0 True",
	} {
		out, err := render(t, nil, src, nil)
		require.NoError(t, err, src)
		require.Equal(t, want, out, src)
	}
}

func TestNormalize_PercentFormatsStringsAndNeverCrashes(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		"{{ '%s-%s' % ('a', 'b') }}":             "a-b",
		"{{ 'n=%d' % 7 }}":                       "n=7",
		"{{ '%05.2f|%x|%%' % (3.14159, 255) }}":  "03.14|ff|%",
		"{{ '%(k)s!' % {'k': 'v'} }}":            "v!",
		"{{ 7 % 3 }} {{ -7 % 3 }} {{ 7.5 % 2 }}": "1 2 1.5",
	} {
		out, err := render(t, nil, src, nil)
		require.NoError(t, err, src)
		require.Equal(t, want, out, src)
	}
	for src, msg := range map[string]string{
		"{{ 1 % 0 }}":            "modulo by zero",
		"{{ '%s %s' % ('a',) }}": "not enough arguments",
	} {
		_, err := render(t, nil, src, nil)
		require.ErrorContains(t, err, msg, src)
	}
}

func TestNormalize_SetUnpacksSeveralNames(t *testing.T) {
	t.Parallel()
	out, err := render(t, nil, "{% set pair = ['x', 'y'] %}{%- set a, b = pair -%} {{ b }}{{ a }} {% set k, v = ('key', 3) %}{{ k }}={{ v }}", nil)
	require.NoError(t, err)
	require.Equal(t, "yx key=3", out)
}

func TestNormalize_StringsWithBackslashesKeepPythonsValue(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		`{{ "a\\b" }}`:                    `a\b`,
		`{{ "\\" }}`:                      `\`,
		`{{ 'x' | replace("x", "\\'") }}`: `\'`,
		`{{ "C:\\dir\\" ~ 'f' }}`:         `C:\dir\f`,
		`{{ '\d+' }}`:                     `\d+`,
		`{{ 'it\'s' }}|{{ "q\"" }}|{{ 'A\x42\u0043' }}`: `it's|q"|ABC`,
		`{{ "l1\nl2" | length }}`:                       `5`,
	} {
		out, err := render(t, nil, src, nil)
		require.NoError(t, err, src)
		require.Equal(t, want, out, src)
	}
}
