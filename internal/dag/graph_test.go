package dag

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func testGraph(edges ...[2]Node) *graph {
	g := &graph{names: map[Node]string{}, children: map[Node][]Node{}, parents: map[Node][]Node{}}
	for _, e := range edges {
		for _, n := range e {
			g.names[n] = n.Key()
		}
	}
	for _, e := range edges {
		g.addEdge(edge{up: e[0], down: e[1]})
	}
	return g
}

func keys(ns []Node) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, n.Key())
	}
	return out
}

func TestCascade_DiamondRunsEachNodeOnceAfterAllItsUpstreams(t *testing.T) {
	p, a, b, c, j := Node{TypePipeline, 1}, Node{TypeTransformation, 2}, Node{TypeTransformation, 3}, Node{TypeTransformation, 4}, Node{TypeJob, 5}
	other := Node{TypePipeline, 9}
	g := testGraph([2]Node{p, a}, [2]Node{p, b}, [2]Node{a, c}, [2]Node{b, c}, [2]Node{c, j}, [2]Node{other, c})
	order, ups := g.cascade(p)
	require.Equal(t, []string{"pipeline:1", "transformation:2", "transformation:3", "transformation:4", "job:5"}, keys(order))
	require.ElementsMatch(t, []string{"transformation:2", "transformation:3"}, keys(ups[c]), "an upstream outside the cascade does not hold it")
	require.Empty(t, ups[p])
	// From the middle, only the descendants.
	order, _ = g.cascade(b)
	require.Equal(t, []string{"transformation:3", "transformation:4", "job:5"}, keys(order))
}

func TestPath_FindsTheShortestWayOrNone(t *testing.T) {
	a, b, c, d := Node{TypePipeline, 1}, Node{TypePipeline, 2}, Node{TypePipeline, 3}, Node{TypePipeline, 4}
	g := testGraph([2]Node{a, b}, [2]Node{b, c}, [2]Node{a, c}, [2]Node{c, d})
	require.Equal(t, []string{"pipeline:1", "pipeline:3", "pipeline:4"}, keys(g.path(a, d)))
	require.Nil(t, g.path(d, a))
	require.Equal(t, []string{"pipeline:2"}, keys(g.path(b, b)))
}

func TestKeys_RoundTripAndRefuseJunk(t *testing.T) {
	n, ok := ParseKey("job:42")
	require.True(t, ok)
	require.Equal(t, Node{TypeJob, 42}, n)
	for _, bad := range []string{"", "job", "job:", "file:1", "pipeline:x", ":3"} {
		_, ok := ParseKey(bad)
		require.False(t, ok, bad)
	}
}
