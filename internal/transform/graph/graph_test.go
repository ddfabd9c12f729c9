package graph

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// fixture: seed raw -> stg_a, stg_b -> mart -> report; test_mart checks mart.
//
//	raw ─┬─ stg_a ─┐
//	     └─ stg_b ─┴─ mart ─ report
func fixture(t *testing.T) *Graph {
	t.Helper()
	nodes := []*Node{
		{ID: "seed.p.raw", Name: "raw", ResourceType: "seed", Path: "seeds/raw.csv", FQN: []string{"p", "raw"}},
		{ID: "model.p.stg_a", Name: "stg_a", ResourceType: "model", Path: "models/staging/stg_a.sql", FQN: []string{"p", "staging", "stg_a"}, Tags: []string{"staging"}, Config: map[string]any{"materialized": "view"}},
		{ID: "model.p.stg_b", Name: "stg_b", ResourceType: "model", Path: "models/staging/stg_b.sql", FQN: []string{"p", "staging", "stg_b"}, Tags: []string{"staging", "pii"}, Config: map[string]any{"materialized": "view"}},
		{ID: "model.p.mart", Name: "mart", ResourceType: "model", Path: "models/marts/mart.sql", FQN: []string{"p", "marts", "mart"}, Config: map[string]any{"materialized": "table"}},
		{ID: "model.p.report", Name: "report", ResourceType: "model", Path: "models/marts/report.sql", FQN: []string{"p", "marts", "report"}, Config: map[string]any{"materialized": "incremental"}},
		{ID: "test.p.not_null_mart_id", Name: "not_null_mart_id", ResourceType: "test", TestOf: []string{"model.p.mart"}},
	}
	parents := map[string][]string{
		"model.p.stg_a":           {"seed.p.raw"},
		"model.p.stg_b":           {"seed.p.raw"},
		"model.p.mart":            {"model.p.stg_a", "model.p.stg_b"},
		"model.p.report":          {"model.p.mart"},
		"test.p.not_null_mart_id": {"model.p.mart"},
	}
	g, err := New(nodes, parents)
	require.NoError(t, err)
	return g
}

func sel(t *testing.T, g *Graph, s, ex string) []string {
	t.Helper()
	got, err := g.Select(s, ex)
	require.NoError(t, err)
	var out []string
	for id := range got {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func TestOrder_ParentsComeFirst(t *testing.T) {
	t.Parallel()
	g := fixture(t)
	pos := map[string]int{}
	for i, id := range g.Order() {
		pos[id] = i
	}
	require.Less(t, pos["seed.p.raw"], pos["model.p.stg_a"])
	require.Less(t, pos["model.p.stg_b"], pos["model.p.mart"])
	require.Less(t, pos["model.p.mart"], pos["model.p.report"])
}

func TestNew_CycleNamesItsPath(t *testing.T) {
	t.Parallel()
	_, err := New([]*Node{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}},
		map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
	var ce *CycleError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "dependency cycle: a -> b -> c -> a", err.Error())
}

func TestNew_UnknownParentIsAnError(t *testing.T) {
	t.Parallel()
	_, err := New([]*Node{{ID: "a"}}, map[string][]string{"a": {"ghost"}})
	require.ErrorContains(t, err, "a depends on ghost")
}

func TestSelect_Syntax(t *testing.T) {
	t.Parallel()
	g := fixture(t)
	const test = "test.p.not_null_mart_id"
	cases := []struct {
		sel, exclude string
		want         []string
	}{
		{"mart", "", []string{"model.p.mart", test}},
		{"+mart", "", []string{"model.p.mart", "model.p.stg_a", "model.p.stg_b", "seed.p.raw", test}},
		{"1+mart", "", []string{"model.p.mart", "model.p.stg_a", "model.p.stg_b", test}},
		{"mart+", "", []string{"model.p.mart", "model.p.report", test}},
		{"raw+1", "", []string{"model.p.stg_a", "model.p.stg_b", "seed.p.raw"}},
		{"tag:staging", "", []string{"model.p.stg_a", "model.p.stg_b"}},
		{"tag:staging,tag:pii", "", []string{"model.p.stg_b"}},
		{"tag:pii report", "", []string{"model.p.report", "model.p.stg_b"}},
		{"path:models/staging", "", []string{"model.p.stg_a", "model.p.stg_b"}},
		{"path:marts", "", []string{"model.p.mart", "model.p.report", test}},
		{"staging", "", []string{"model.p.stg_a", "model.p.stg_b"}},
		{"config.materialized:table", "", []string{"model.p.mart", test}},
		{"config.materialized:view", "stg_b", []string{"model.p.stg_a"}},
		{"+report", "tag:staging not_null_mart_id", []string{"model.p.mart", "model.p.report", "seed.p.raw"}},
		{"stg_*", "", []string{"model.p.stg_a", "model.p.stg_b"}},
		{"resource_type:seed", "", []string{"seed.p.raw"}},
		{"", "resource_type:model", []string{"seed.p.raw", test}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, sel(t, g, c.sel, c.exclude), "select %q exclude %q", c.sel, c.exclude)
	}
}

func TestSelect_UnknownMethodIsAnError(t *testing.T) {
	t.Parallel()
	_, err := fixture(t).Select("colour:red", "")
	require.ErrorContains(t, err, `unknown selector method "colour"`)
}

func TestSelect_PackageMethod(t *testing.T) {
	t.Parallel()
	nodes := []*Node{
		{ID: "model.root.a", Name: "a", ResourceType: "model", FQN: []string{"root", "a"}},
		{ID: "model.pkg.b", Name: "b", ResourceType: "model", FQN: []string{"pkg", "b"}},
		{ID: "seed.pkg.c", Name: "c", ResourceType: "seed", FQN: []string{"pkg", "c"}},
	}
	g, err := New(nodes, map[string][]string{"model.root.a": {"model.pkg.b"}})
	require.NoError(t, err)
	require.Equal(t, []string{"model.pkg.b", "seed.pkg.c"}, sel(t, g, "package:pkg", ""))
	require.Equal(t, []string{"model.root.a"}, sel(t, g, "", "package:pkg"))
}
