package transform

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform/dialect"
)

func TestCompat_GraphContextListsNodesSourcesAndMacros(t *testing.T) {
	t.Parallel()
	const p = "compat_dbt_graph"
	runCompat(t, compatCase{dir: "dbt_graph", steps: []compatStep{
		{command: CmdBuild, status: StatusSuccess, want: map[string]compatWant{
			"seed." + p + ".people":               {status: StatusSuccess, rows: 2},
			"model." + p + ".stg_people":          {status: StatusSuccess},
			"model." + p + ".people_count":        {status: StatusSuccess},
			"model." + p + ".graph_report":        {status: StatusSuccess},
			"test." + p + ".unique_stg_people_id": {status: StatusPass},
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
