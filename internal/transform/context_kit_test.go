package transform

import (
	"context"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform/dialect"
)

// kindCatalog knows the relations of its map; a map field makes it incomparable.
type kindCatalog struct{ kinds map[string]string }

func (c kindCatalog) Kind(_ context.Context, schema, name string) (string, error) {
	return c.kinds[schema+"."+name], nil
}

func (c kindCatalog) Columns(context.Context, string, string) ([]dialect.Column, error) {
	return nil, nil
}

// ptrCatalog is a comparable catalog: renders through the same one share their adapter.
type ptrCatalog struct{ kindCatalog }

func TestIntrospection_EachCatalogAnswersForItself(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: p\n")},
		"models/m.sql": {Data: []byte("{% set r = adapter.get_relation(database=none, schema='s', identifier='t') %}" +
			"select '{{ 'found' if r else 'none' }}' as x, '{{ flags.WHICH }}' as w")},
	}
	e := newEngine(t, fsys, dialect.Postgres)
	ctx := context.Background()
	has := &ptrCatalog{kindCatalog{map[string]string{"s.t": "table"}}}
	lacks := &ptrCatalog{kindCatalog{map[string]string{}}}
	for range 2 {
		for _, c := range []struct {
			cat  Catalog
			want string
		}{
			{has, "found"}, {has, "found"}, {lacks, "none"}, {kindCatalog{map[string]string{"s.t": "view"}}, "found"},
			{kindCatalog{map[string]string{}}, "none"}, {nil, "none"},
		} {
			sql, err := e.CompileNode(ctx, "model.p.m", c.cat)
			require.NoError(t, err)
			require.Equal(t, "select '"+c.want+"' as x, 'run' as w", sql)
		}
	}
	// The same catalog and context reuse one adapter namespace; another catalog gets its own.
	g1, g2, g3 := map[string]any{}, map[string]any{}, map[string]any{}
	e.introspection(ctx, g1, has, true)
	e.introspection(ctx, g2, has, true)
	e.introspection(ctx, g3, lacks, true)
	require.Equal(t, reflectPointer(g1["adapter"]), reflectPointer(g2["adapter"]))
	require.NotEqual(t, reflectPointer(g1["adapter"]), reflectPointer(g3["adapter"]))

	cmd := CmdCompile
	e.which.Store(&cmd)
	sql, err := e.CompileNode(ctx, "model.p.m", nil)
	require.NoError(t, err)
	require.Equal(t, "select 'none' as x, 'compile' as w", sql, "flags follow the command")
}

func TestSameValue(t *testing.T) {
	t.Parallel()
	a := &ptrCatalog{}
	require.True(t, sameValue(nil, nil))
	require.True(t, sameValue(a, a))
	require.False(t, sameValue(a, &ptrCatalog{}))
	require.False(t, sameValue(kindCatalog{}, kindCatalog{}), "incomparable: never the same")
	require.False(t, sameValue(a, nil))
	type holder struct{ v any }
	require.False(t, sameValue(holder{map[string]int{}}, holder{map[string]int{}}), "a comparable type holding an incomparable value")
	require.True(t, sameValue(holder{1}, holder{1}))
}

func reflectPointer(v any) uintptr {
	return reflect.ValueOf(v).Pointer()
}
