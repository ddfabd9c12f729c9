package jinja

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDictMethods_ChangeTheDictItself(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		"{% set v = {} %}{% do v.update({'a': 1}) %}{% do v.update(b=2) %}{{ v.a }}{{ v['b'] }}|{{ v | length }}":       "12|2",
		"{% set v = {'a': 1} %}{% do v.update({'a': 3}) %}{{ v.a }}|{{ v | length }}":                                   "3|1",
		"{% set v = {} %}{% set x = v.setdefault('k', []) %}{% do v.k.append(1) %}{{ v.k }}|{{ v.setdefault('k', 9) }}": "[1]|[1]",
		"{% set v = {'a': 1, 'b': 2} %}{{ v.pop('a') }}{{ v.pop('zz', 'd') }}|{{ v.keys() | list }}":                    "1d|['b']",
		"{% set v = {'a': 1} %}{% do v.clear() %}{{ v | length }}":                                                      "0",
		"{% do g.update({'x': 'y'}) %}{{ g.x }}{% do g.pop('x') %}{{ g.get('x', '-') }}":                                "y-",
		"{% set v = {} %}{% for i in [1, 2] %}{% do v.update({i|string: i * 2}) %}{% endfor %}{{ v['2'] }}":             "4",
	} {
		require.Equal(t, want, mustRender(t, nil, src, map[string]any{"g": map[string]any{}}), src)
	}
	_, err := render(t, nil, "{% set v = {} %}{{ v.pop('missing') }}", nil)
	require.ErrorContains(t, err, "pop(): no key 'missing'")
}

func TestStrMethods_GivePlainStringsThatCompareEqual(t *testing.T) {
	t.Parallel()
	g := map[string]any{"remove": []any{"name"}}
	for src, want := range map[string]string{
		"{{ 'Name'.lower() == 'name' }}":                      "True",
		"{{ 'Name'.lower() in remove }}":                      "True",
		"{{ 'a,b'.split(',')[1] == 'b' }}":                    "True",
		"{{ 'X'.lower() in ['x'] and ' y '.strip() == 'y' }}": "True",
		"{{ {'name': 1}['Name'.lower()] }}":                   "1",
	} {
		out, err := render(t, nil, src, g)
		require.NoError(t, err, src)
		require.Equal(t, want, out, src)
	}
}

func TestListMethods_IndexAndCount(t *testing.T) {
	t.Parallel()
	out, err := render(t, nil, "{% set xs = ['A', 'B', 'A'] %}{{ xs.index('B') }} {{ xs.count('A') }} {{ xs.index('C') if 'C' in xs else -1 }}", nil)
	require.NoError(t, err)
	require.Equal(t, "1 2 -1", out)
	_, err = render(t, nil, "{{ ['A'].index('Z') }}", nil)
	require.ErrorContains(t, err, "is not in list")
}

func TestStringFilters_TakePythonsStrOfAnyValue(t *testing.T) {
	t.Parallel()
	out, err := render(t, nil, "{{ false | trim }}|{{ none | lower }}|{{ 3 | replace('3', 'three') }}|{{ true | upper }}", nil)
	require.NoError(t, err)
	require.Equal(t, "False|none|three|TRUE", out)
}
