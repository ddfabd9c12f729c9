package jinja

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

func TestDropTrailingCommas_BlanksOnlyTrailingCommasAndCopiesOnlyThen(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		"{{ f(a, b,) }}, x,)":                                            "{{ f(a, b ) }}, x,)",
		"{{ [1, 2,\n] }}{% set d = {'k': 1,} %}":                         "{{ [1, 2 \n] }}{% set d = {'k': 1 } %}",
		"{{ ',)' }}{# a,) #}{% raw %}{{ f(a,) }}{% endraw %}{{ g(1,) }}": "{{ ',)' }}{# a,) #}{% raw %}{{ f(a,) }}{% endraw %}{{ g(1 ) }}",
		"{{ f(a, b) }} select a, b":                                      "{{ f(a, b) }} select a, b",
		"{{ f(a,)":                                                       "{{ f(a )",
	} {
		require.Equal(t, want, dropTrailingCommas(src), src)
	}
	unchanged := "select a, b from {{ ref('x') }} where c in (1, 2)"
	require.Same(t, unsafe.StringData(unchanged), unsafe.StringData(dropTrailingCommas(unchanged)), "no copy when nothing changes")
}
