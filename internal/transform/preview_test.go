package transform

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform/dialect"
)

func TestPreview_IsReadOnlyAndCapped(t *testing.T) {
	t.Parallel()
	for _, lt := range liveTargets() {
		t.Run(lt.name, func(t *testing.T) {
			t.Parallel()
			db, schema := lt.open(t)
			dir := writeProject(t, map[string]string{
				"dbt_project.yml":  "name: pv\n",
				"seeds/nums.csv":   "n\n1\n2\n3\n4\n5\n",
				"models/evens.sql": "select n from {{ ref('nums') }} where mod(n, 2) = 0",
			})
			requireAllOK(t, runDir(t, db, lt.d, schema, dir, CmdSeed, ""))
			p := loadDir(t, dir)
			e, err := New(context.Background(), p, Options{Dialect: lt.d, TargetSchema: schema})
			require.NoError(t, err)
			rows, err := e.Preview(context.Background(), db, "model.pv.evens", 1)
			require.NoError(t, err)
			require.Len(t, rows, 1)
			kind, err := dbCatalog{q: db, d: lt.d}.Kind(context.Background(), schema, "evens")
			require.NoError(t, err)
			require.Empty(t, kind, "previewing builds nothing")
		})
	}
}

func TestPreview_RefusesWritesInsideTheQuery(t *testing.T) {
	t.Parallel()
	db := postgresTarget(t)
	dir := writeProject(t, map[string]string{
		"dbt_project.yml": "name: pw\n",
		"models/evil.sql": "select 1 as x; create table stolen (x int)",
	})
	e, err := New(context.Background(), loadDir(t, dir), Options{Dialect: dialect.Postgres, TargetSchema: "public"})
	require.NoError(t, err)
	_, err = e.Preview(context.Background(), db, "model.pw.evil", 10)
	require.Error(t, err)
	require.Equal(t, 0, scalar[int](t, db, "select count(*) from information_schema.tables where table_name = 'stolen'"))
}
