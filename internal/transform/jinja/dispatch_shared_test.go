package jinja

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Renders given the same adapter namespace share one copy of it with dispatch; each dispatch
// still resolves in its own render (its macros see its globals, its return() its frame).
func TestDispatch_SharedAdapterServesEachRenderItsOwn(t *testing.T) {
	t.Parallel()
	env, err := NewEnv(Options{Dialect: "postgres"}, []File{{Path: "macros/x.sql", Text: "{% macro x(a) %}{{ return(adapter.dispatch('x')(a)) }}{% endmacro %}" +
		"{% macro default__x(a) %}{{ who }}:{{ a }}:{{ adapter.quote('q') }}{% endmacro %}"}})
	require.NoError(t, err)
	tpl, err := env.Parse("models/m.sql", "{{ x(1) }}|{{ adapter.dispatch('x')(2) }}")
	require.NoError(t, err)
	adapter := Namespace{"quote": func(va *exec.VarArgs) *exec.Value { return exec.AsValue(`"` + va.Args[0].String() + `"`) }}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := env.Render(context.Background(), tpl, map[string]any{"who": i, "adapter": adapter})
			assert := assert.New(t)
			assert.NoError(err)
			w := strconv.Itoa(i)
			assert.Equal(w+`:1:"q"|`+w+`:2:"q"`, out)
		}()
	}
	wg.Wait()
	// Another namespace is not mistaken for the one kept.
	other := Namespace{"quote": func(*exec.VarArgs) *exec.Value { return exec.AsValue("Q") }}
	out, err := env.Render(context.Background(), tpl, map[string]any{"who": "o", "adapter": other})
	require.NoError(t, err)
	require.Equal(t, "o:1:Q|o:2:Q", out)
}
