package jinja

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// range() draws on one budget per render, in the template and in the macros it calls alike;
// another render starts with a full budget.
func TestRange_BudgetIsPerRender(t *testing.T) {
	t.Parallel()
	env, err := NewEnv(Options{}, []File{{Path: "macros/r.sql", Text: "{% macro r(n) %}{{ range(n) | length }}{% endmacro %}"}})
	require.NoError(t, err)
	ctx := context.Background()
	half := "{% for i in range(2) %}{{ r(49990) }}{% endfor %}"
	tpl, err := env.Parse("models/half.sql", half+"{{ range(10) | length }}")
	require.NoError(t, err)
	for range 2 {
		out, err := env.Render(ctx, tpl, nil)
		require.NoError(t, err)
		require.Equal(t, "499904999010", out)
	}
	over, err := env.Parse("models/over.sql", half+"{{ range(100) | length }}")
	require.NoError(t, err)
	_, err = env.Render(ctx, over, nil)
	require.ErrorContains(t, err, "range() produced more than 100000 items in one render")
}

func TestReturn_OutsideAMacroFails(t *testing.T) {
	t.Parallel()
	_, err := render(t, nil, "a{{ return(1) }}b", nil)
	require.ErrorContains(t, err, "return() outside a macro")
	out := mustRender(t, []File{{Path: "macros/m.sql", Text: "{% macro m() %}x{{ return(7) }}y{% endmacro %}"}}, "a{{ m() }}b", nil)
	require.Equal(t, "a7b", out)
}
