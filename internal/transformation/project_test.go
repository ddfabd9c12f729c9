package transformation

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/transform/dialect"
)

func TestFiles_WritesTheLayoutDbtReads(t *testing.T) {
	t.Parallel()
	custom := "marts"
	files, err := Files(Input{
		Models: []Model{
			{Name: "orders", Path: "marts/orders.sql", SQL: "select 1 as id", Materialization: "incremental", Schema: &custom,
				Tags: []string{"nightly"}, Incremental: map[string]any{"unique_key": "id", "strategy": "merge"},
				Tests: map[string]any{"columns": map[string]any{"id": []any{"unique"}}}},
			{Name: "snap", Path: "snap.sql", SQL: "select 1 as id", Materialization: "snapshot",
				Snapshot: map[string]any{"unique_key": "id", "strategy": "check", "check_cols": "all"}},
		},
		Macros:  []MacroFile{{Name: "m", SQL: "{% macro m() %}1{% endmacro %}"}},
		Seeds:   []SeedFile{{Name: "countries", CSV: []byte("code\nFR\n")}},
		Sources: []SourceDef{{Name: "raw", Schema: "raw", Tables: []SourceTable{{Name: "orders"}}}},
	})
	require.NoError(t, err)
	require.Equal(t, "select 1 as id", string(files["models/marts/orders.sql"]))
	require.Equal(t, "{% snapshot snap %}\nselect 1 as id\n{% endsnapshot %}\n", string(files["snapshots/snap.sql"]))
	require.Contains(t, string(files[modelPropsFile]), "incremental_strategy: merge")
	require.Contains(t, string(files[modelPropsFile]), "schema: marts")
	require.Equal(t, "code\nFR\n", string(files["seeds/countries.csv"]))
	require.Contains(t, string(files[sourcePropsFile]), "name: raw")
	require.Contains(t, string(files["macros/m.sql"]), "macro m()")

	// And the engine reads it: the config and tests land on the nodes.
	parsed, err := Parse(context.Background(), Input{Models: []Model{
		{Name: "orders", Path: "marts/orders.sql", SQL: "select 1 as id", Materialization: "table", Schema: &custom,
			Tests: map[string]any{"columns": map[string]any{"id": []any{"unique", "not_null"}}}},
	}}, dialect.Postgres, "analytics", nil)
	require.NoError(t, err)
	n := parsed.Engine.Project().Nodes["model.datanika.orders"]
	require.Equal(t, "table", n.Config.Materialized())
	tests := 0
	for _, node := range parsed.Engine.Project().Nodes {
		if node.ResourceType == "test" {
			tests++
		}
	}
	require.Equal(t, 2, tests)
}

func TestCallPosition_FindsTheQuotedCall(t *testing.T) {
	t.Parallel()
	sql := "select *\nfrom {{ ref( \"a\" ) }} join {{ source('s','t') }}"
	require.Equal(t, [2]int{2, 9}, callPosition(sql, "x refers to ref('a'), which is not a model"))
	require.Equal(t, [2]int{2, 31}, callPosition(sql, "x refers to source('s', 't'), which no sources: block declares"))
	require.Equal(t, [2]int{}, callPosition(sql, "something else"))
	require.Equal(t, [2]int{}, callPosition(sql, "x refers to ref('zzz'), which"))
}

func TestParse_CycleNamesItsPath(t *testing.T) {
	t.Parallel()
	_, err := Parse(context.Background(), Input{Models: []Model{
		{Name: "a", Path: "a.sql", SQL: "select * from {{ ref('b') }}", Materialization: "view"},
		{Name: "b", Path: "b.sql", SQL: "select * from {{ ref('a') }}", Materialization: "view"},
	}}, dialect.Postgres, "analytics", nil)
	e, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.Invalid, e.Kind)
	require.Regexp(t, `dependency cycle: (a -> b -> a|b -> a -> b)`, e.Fields[0].Message)
}

func TestCheckPath(t *testing.T) {
	t.Parallel()
	require.Empty(t, checkPath("staging/stg_orders.sql"))
	for _, bad := range []string{"", "x.txt", "/a.sql", "../a.sql", "a/../b.sql", "./a.sql", ".hidden/a.sql", "a\\b.sql"} {
		require.NotEmpty(t, checkPath(bad), bad)
	}
}

func TestIsQuery_OnlyQueriesArePlanned(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"select 1", "  -- c\n/* x */ (select 1)", "WITH a AS (select 1) select * from a", "values (1)", "select"} {
		require.True(t, isQuery(q), q)
	}
	for _, q := range []string{"analyze select 1", "ANALYZE t", "selection", "delete from t", "/* select */ update t set a = 1", "verbose select 1", ""} {
		require.False(t, isQuery(q), q)
	}
}
