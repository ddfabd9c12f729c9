package project

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

func load(t *testing.T, files map[string]string) *Project {
	t.Helper()
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	p, err := Load(fsys)
	require.NoError(t, err)
	return p
}

func TestLoad_NodesSourcesSnapshotsAndTests(t *testing.T) {
	t.Parallel()
	p := load(t, map[string]string{
		"dbt_project.yml":          "name: shop\nvars:\n  shop:\n    scoped: 1\n  global: 2\nmodels:\n  shop:\n    materialized: table\n    legacy:\n      +enabled: false\n",
		"models/a.sql":             "select 1",
		"models/legacy/old.sql":    "select 1",
		"models/src.yml":           "version: 2\nsources:\n  - name: raw\n    schema: landing\n    loaded_at_field: _at\n    freshness: {warn_after: {count: 2, period: hour}}\n    tables:\n      - name: orders\n        identifier: orders_v2\n        columns:\n          - name: id\n            tests: [unique]\n",
		"snapshots/s.sql":          "-- header\n{% snapshot snap_a %}\nselect 1\n{% endsnapshot %}\n{% snapshot snap_b %}select 2{% endsnapshot %}",
		"tests/singular.sql":       "select 1 where false",
		"tests/generic/is_odd.sql": "{% test is_odd(model, column_name) %}select 1{% endtest %}",
		"macros/m.sql":             "{% macro m() %}{% endmacro %}",
	})
	require.Equal(t, map[string]any{"scoped": 1, "global": 2}, p.Vars)
	require.Equal(t, "table", p.Nodes["model.shop.a"].Config.Materialized(), "known keys work without +")
	require.NotContains(t, p.Nodes, "model.shop.old", "disabled nodes leave the project")
	src := p.Nodes["source.shop.raw.orders"]
	require.Equal(t, "landing", src.Source.Schema)
	require.Equal(t, "orders_v2", src.Alias())
	require.Equal(t, 2, src.Source.Freshness.WarnAfter.Count)
	// dbt names a source's test source_<test>_<source>_<table>_<column>, its id hashed.
	require.Contains(t, p.Nodes, "test.shop.source_unique_raw_orders_id.56401af608")
	require.Equal(t, "source('raw', 'orders')", testNamed(t, p, "source_unique_raw_orders_id").Test.Attached)
	a, b := p.Nodes["snapshot.shop.snap_a"], p.Nodes["snapshot.shop.snap_b"]
	require.Equal(t, "snapshot", a.Config.Materialized())
	require.Equal(t, "\n\nselect 1\n", a.Raw, "the body keeps its line numbers")
	require.Equal(t, "\n\n\n\nselect 2", b.Raw)
	require.Contains(t, p.Nodes, "test.shop.singular")
	require.Len(t, p.Macros, 2, "generic test files are macros, not singular tests")
}

func TestLoad_DescribingAMissingModelIsAWarning(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml":   {Data: []byte("name: p\n")},
		"models/a.sql":      {Data: []byte("select 1")},
		"models/schema.yml": {Data: []byte("version: 2\nmodels:\n  - name: ghost\n  - name: a\n    description: kept\n")},
	}
	p, err := Load(fsys)
	require.NoError(t, err)
	require.Equal(t, []string{`models/schema.yml: model "ghost" is described but there is no such model`}, p.Warnings)
	require.Equal(t, "kept", p.Nodes["model.p.a"].Description)
}

func TestLoad_DuplicateModelNamesAreAnError(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: p\n")},
		"models/a/x.sql":  {Data: []byte("select 1")},
		"models/b/x.sql":  {Data: []byte("select 2")},
	}
	_, err := Load(fsys)
	require.ErrorContains(t, err, "two models are named x: models/a/x.sql and models/b/x.sql")
}
