package transform

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform/dialect"
)

func TestCompat_GraphContextListsNodesSourcesAndMacros(t *testing.T) {
	t.Parallel()
	const p = "compat_dbt_graph"
	runCompat(t, compatCase{dir: "dbt_graph", steps: []compatStep{
		{command: CmdBuild, status: StatusSuccess, want: map[string]compatWant{
			"seed." + p + ".people":                          {status: StatusSuccess, rows: 2},
			"model." + p + ".stg_people":                     {status: StatusSuccess},
			"model." + p + ".people_count":                   {status: StatusSuccess},
			"model." + p + ".graph_report":                   {status: StatusSuccess},
			"test." + p + ".unique_stg_people_id.27b08cba8e": {status: StatusPass},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t, map[string]string{
			"models": "graph_report:table:|people_count:table:model.compat_dbt_graph.stg_people+seed.compat_dbt_graph.people|" +
				"stg_people:view:seed.compat_dbt_graph.people",
			"n_nodes":  "5",
			"tests":    "unique@id>model.compat_dbt_graph.stg_people",
			"sources":  "raw.people=people:id",
			"stg_file": "models/staging/stg_people.sql", "stg_path": "staging/stg_people.sql",
			"stg_fqn": "compat_dbt_graph.staging.stg_people", "stg_tags": "staging",
			"stg_description": "People, cleaned.", "stg_columns": "id,name", "stg_package": p,
			"count_owner": "ops", "seed_type": "seed", "has_macro": "True", "macro_file": "macros/listing.sql",
		}, rowText(t, db, `select * from compat.graph_report`))
	}})
}

func TestGraph_IsBuiltOnlyWhenATemplateReadsIt(t *testing.T) {
	t.Parallel()
	e := newEngine(t, os.DirFS(jaffleDir(t, false)), dialect.Postgres)
	for _, id := range e.Graph().Order() {
		if strings.HasPrefix(id, "model.") {
			_, err := e.CompileNode(context.Background(), id, nil)
			require.NoError(t, err)
		}
	}
	require.Nil(t, e.graphCtx, "no jaffle_shop template reads graph")
	require.Len(t, lazyGraph{e: e}.mustNodes(t), len(e.nodes)-len(e.proj.NodesOf("source")))
}

func (g lazyGraph) mustNodes(t *testing.T) map[string]any {
	t.Helper()
	v, ok := g.GetAttribute("nodes")
	require.True(t, ok)
	return v.Interface().(map[string]any)
}

// dbt's manifest lists each ref() call as {name, package, version}: the version (and the
// package) the call gave, None where it gave none — an unpinned ref to a versioned model too.
func TestGraph_RefsCarryTheVersionAndPackageAsked(t *testing.T) {
	t.Parallel()
	e := newEngine(t, fstest.MapFS{
		"dbt_project.yml":   {Data: []byte("name: p\n")},
		"models/dim_v1.sql": {Data: []byte("select 1 as id")},
		"models/dim_v2.sql": {Data: []byte("select 2 as id")},
		"models/other.sql":  {Data: []byte("select 1 as id")},
		"models/schema.yml": {Data: []byte("version: 2\nmodels:\n  - name: dim\n    latest_version: 1\n    versions:\n      - v: 1\n      - v: 2\n" +
			"  - name: other\n    columns:\n      - name: id\n        data_tests: [unique]\n")},
		"models/uses.sql": {Data: []byte("select * from {{ ref('dim', v=2) }}, {{ ref('dim') }}, {{ ref('p', 'other') }}, {{ ref('dim', version='1') }}")},
	}, dialect.Postgres)
	nodes := lazyGraph{e: e}.mustNodes(t)
	uses := nodes["model.p.uses"].(map[string]any)
	require.Equal(t, []any{
		map[string]any{"name": "dim", "package": nil, "version": "2"},
		map[string]any{"name": "dim", "package": nil, "version": nil},
		map[string]any{"name": "other", "package": "p", "version": nil},
		map[string]any{"name": "dim", "package": nil, "version": "1"},
	}, uses["refs"])
	require.Equal(t, []any{"model.p.dim.v2", "model.p.dim.v1", "model.p.other", "model.p.dim.v1"}, uses["depends_on"].(map[string]any)["nodes"])
	// A generic test's name is dbt's, its path its compiled file's.
	test := nodes["test.p.unique_other_id.7249bf48cd"].(map[string]any)
	require.Equal(t, "unique_other_id", test["name"])
	require.Equal(t, "unique_other_id", test["alias"])
	require.Equal(t, "unique_other_id.sql", test["path"])
	require.Equal(t, "models/schema.yml", test["original_file_path"])
}
