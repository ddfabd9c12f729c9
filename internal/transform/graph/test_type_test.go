package graph

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSelect_TestTypeTellsUnitGenericAndSingularTestsApart(t *testing.T) {
	t.Parallel()
	nodes := []*Node{
		{ID: "model.p.m", Name: "m", ResourceType: "model", Path: "models/m.sql", FQN: []string{"p", "m"}},
		{ID: "test.p.not_null_m_id", Name: "not_null_m_id", ResourceType: "test", Path: "models/schema.yml", TestOf: []string{"model.p.m"}},
		{ID: "test.p.no_future", Name: "no_future", ResourceType: "test", Path: "tests/no_future.sql", TestOf: []string{"model.p.m"}},
		{ID: "unit_test.p.m.adds_up", Name: "adds_up", ResourceType: "unit_test", Path: "models/schema.yml", FQN: []string{"p", "m", "adds_up"}, TestOf: []string{"model.p.m"}},
	}
	parents := map[string][]string{"test.p.not_null_m_id": {"model.p.m"}, "test.p.no_future": {"model.p.m"}}
	g, err := New(nodes, parents)
	require.NoError(t, err)
	require.Equal(t, []string{"unit_test.p.m.adds_up"}, sel(t, g, "test_type:unit", ""))
	require.Equal(t, []string{"test.p.no_future", "test.p.not_null_m_id"}, sel(t, g, "test_type:data", ""))
	require.Equal(t, []string{"test.p.not_null_m_id"}, sel(t, g, "test_type:generic", ""))
	require.Equal(t, []string{"test.p.no_future"}, sel(t, g, "test_type:singular", ""))
	require.Equal(t, []string{"unit_test.p.m.adds_up"}, sel(t, g, "adds_up", ""))
	// Selecting the model selects its unit tests, as its data tests; excluding by type works.
	require.Equal(t, []string{"model.p.m", "test.p.no_future", "test.p.not_null_m_id"}, sel(t, g, "m", "test_type:unit"))
	_, err = g.Select("test_type:integration", "")
	require.ErrorContains(t, err, "test_type:integration is not unit, data, generic or singular")
}
