package transform

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBuiltinMacros_DbtUtilsRunOnLiveDatabases(t *testing.T) {
	t.Parallel()
	for _, lt := range liveTargets() {
		t.Run(lt.name, func(t *testing.T) {
			t.Parallel()
			db, schema := lt.open(t)
			dir := writeProject(t, map[string]string{
				"dbt_project.yml":    "name: u\nmodels:\n  u:\n    +materialized: table\n",
				"seeds/pay.csv":      "id,method,amount,kept\n1,card,10,1\n1,card,10,1\n2,cash,5,2\n3,card,7,3\n",
				"seeds/other.csv":    "id,extra\n9,x\n",
				"models/keys.sql":    "select {{ dbt_utils.generate_surrogate_key(['id', 'method']) }} as sk, id from {{ ref('pay') }}",
				"models/starred.sql": "select {{ dbt_utils.star(from=ref('pay'), except=['kept']) }} from {{ ref('pay') }}",
				"models/unioned.sql": "{{ dbt_utils.union_relations(relations=[ref('pay'), ref('other')]) }}",
				"models/pivoted.sql": "select id, {{ dbt_utils.pivot('method', ['card', 'cash'], agg='sum', then_value='amount') }} from {{ ref('pay') }} group by id",
				"models/spine.sql":   "{{ dbt_utils.date_spine('day', \"cast('2024-01-01' as date)\", \"cast('2024-01-11' as date)\") }}",
				"models/dedup.sql":   "{{ dbt_utils.deduplicate(ref('pay'), 'id', 'amount desc') }}",
				"models/schema.yml": `version: 2
models:
  - name: dedup
    tests:
      - dbt_utils.unique_combination_of_columns:
          combination_of_columns: [id, method]
    columns:
      - name: amount
        tests:
          - dbt_utils.accepted_range: {min_value: 0, max_value: 100}
          - dbt_utils.not_constant
          - dbt_utils.expression_is_true:
              expression: "> 0"
`,
			})
			s := runDir(t, db, lt.d, schema, dir, CmdBuild, "")
			requireAllOK(t, s)
			require.Equal(t, 4, count(t, db, lt.d, schema, "keys", ""))
			require.Equal(t, 3, scalar[int](t, db, "select count(distinct sk) from "+lt.d.Relation(schema, "keys")))
			require.Equal(t, 32, len(scalar[string](t, db, "select min(sk) from "+lt.d.Relation(schema, "keys"))))
			cols := columnNames(t, db, lt, schema, "starred")
			require.Equal(t, []string{"id", "method", "amount"}, cols, "star leaves out the excepted column")
			require.Equal(t, 5, count(t, db, lt.d, schema, "unioned", ""))
			require.Equal(t, []string{"_dbt_source_relation", "id", "method", "amount", "kept", "extra"}, columnNames(t, db, lt, schema, "unioned"))
			require.Equal(t, 20, scalar[int](t, db, "select card from "+lt.d.Relation(schema, "pivoted")+" where id = 1"))
			require.Equal(t, 10, count(t, db, lt.d, schema, "spine", ""))
			require.Equal(t, 3, count(t, db, lt.d, schema, "dedup", ""))
		})
	}
}

func columnNames(t *testing.T, db *sql.DB, lt liveTarget, schema, table string) []string {
	t.Helper()
	cols, err := dbCatalog{q: db, d: lt.d}.Columns(context.Background(), schema, table)
	require.NoError(t, err)
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}
