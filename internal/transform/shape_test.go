package transform

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform/builtin"
	"github.com/datanika/datanika/internal/transform/dialect"
	"github.com/datanika/datanika/internal/transform/project"
)

// Generic tests of one shape share one parsed template (their strings become variables); each
// must still compile exactly as its own literal text does, whatever its strings hold.
func TestGenericTests_ShareATemplatePerShapeAndCompileAsTheirText(t *testing.T) {
	t.Parallel()
	schema := `version: 2
sources:
  - name: raw
    tables:
      - name: events
        columns:
          - name: id
            tests: [not_null, unique]
models:
  - name: a
    columns:
      - name: id
        tests:
          - not_null
          - unique
          - accepted_values:
              values: ["it's", 'back\slash', "two\nlines", "{{ 'jin' ~ 'ja' }}", 'x {{ var("v") }} y', 3, true]
      - name: name
        tests:
          - not_null:
              config:
                where: "name <> 'z'"
          - accepted_values:
              values: ['p', 'q']
  - name: b
    columns:
      - name: id
        tests:
          - not_null
          - unique
          - relationships:
              to: ref('a')
              field: id
          - relationships:
              to: "source('raw', 'events')"
              field: id
      - name: name
        tests:
          - accepted_values:
              values: ['r', 's']
              quote: false
`
	fsys := fstest.MapFS{
		"dbt_project.yml":   {Data: []byte("name: shapes\nversion: '1'\nvars:\n  v: 7\n")},
		"models/a.sql":      {Data: []byte("select 1 as id, 'p' as name\n")},
		"models/b.sql":      {Data: []byte("select * from {{ ref('a') }}\n")},
		"models/schema.yml": {Data: []byte(schema)},
	}
	p, err := project.Load(fsys)
	require.NoError(t, err)
	e, err := New(context.Background(), p, Options{Dialect: dialect.Postgres, TargetSchema: "analytics"})
	require.NoError(t, err)

	// Macro files, the 2 models and 10 shapes for 12 tests: not_null on a ref, on a source and
	// with a where; unique on a ref and on a source; accepted_values with three different
	// argument lists; relationships to a ref and to a source.
	require.Equal(t, len(builtin.Files())+2+10, e.env.ParsedTemplates())
	tests := 0
	for id, n := range e.nodes {
		if n.Test == nil {
			continue
		}
		tests++
		got, err := e.CompileNode(context.Background(), id, nil)
		require.NoError(t, err, id)
		// The same node compiled from its literal text, as before shapes existed.
		literal := *n
		literal.literals = nil
		literal.tpl, err = e.env.Parse(n.Path, n.templateText)
		require.NoError(t, err, id)
		want, err := e.compile(context.Background(), &literal, nil)
		require.NoError(t, err, id)
		require.Equal(t, want, got, id)
	}
	require.Equal(t, 12, tests)
	require.Contains(t, mustCompile(t, e, "test.shapes.relationships_b_id__id__ref_a_.7af89a82ca"), `"analytics"."a"`)
}

func mustCompile(t *testing.T, e *Engine, id string) string {
	t.Helper()
	sql, err := e.CompileNode(context.Background(), id, nil)
	require.NoError(t, err)
	return sql
}
