package graph

import (
	"fmt"
	"sort"
	"strings"
)

// Node is what selection needs to know about a node.
type Node struct {
	ID           string
	Name         string
	ResourceType string
	// Path is the file, relative to the project root (models/staging/stg_orders.sql).
	Path   string
	FQN    []string
	Tags   []string
	Config map[string]any
	// TestOf lists the nodes a test checks, for indirect selection of tests.
	TestOf []string
}

// Graph is an acyclic dependency graph.
type Graph struct {
	nodes    map[string]*Node
	parents  map[string][]string
	children map[string][]string
	order    []string
}

// CycleError names the nodes of a cycle in order, the first repeated at the end.
type CycleError struct{ Path []string }

func (e *CycleError) Error() string {
	return "dependency cycle: " + strings.Join(e.Path, " -> ")
}

// New builds the graph; parents maps a node to the nodes it depends on. Edges to unknown nodes
// are an error, so a typo in ref() is reported rather than ignored.
func New(nodes []*Node, parents map[string][]string) (*Graph, error) {
	g := &Graph{nodes: map[string]*Node{}, parents: map[string][]string{}, children: map[string][]string{}}
	for _, n := range nodes {
		g.nodes[n.ID] = n
	}
	ids := make([]string, 0, len(g.nodes))
	for id := range g.nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		seen := map[string]bool{}
		for _, p := range parents[id] {
			if _, ok := g.nodes[p]; !ok {
				return nil, fmt.Errorf("%s depends on %s, which is not in the project", id, p)
			}
			if seen[p] {
				continue
			}
			seen[p] = true
			g.parents[id] = append(g.parents[id], p)
			g.children[p] = append(g.children[p], id)
		}
	}
	for _, id := range ids {
		sort.Strings(g.children[id])
	}
	if err := g.sort(ids); err != nil {
		return nil, err
	}
	return g, nil
}

// sort orders nodes so parents come first; a depth-first walk finds a cycle's path.
func (g *Graph) sort(ids []string) error {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(id string) error
	visit = func(id string) error {
		switch state[id] {
		case done:
			return nil
		case active:
			i := len(stack) - 1
			for stack[i] != id {
				i--
			}
			path := append(append([]string{}, stack[i:]...), id)
			return &CycleError{Path: path}
		}
		state[id] = active
		stack = append(stack, id)
		for _, p := range g.parents[id] {
			if err := visit(p); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		g.order = append(g.order, id)
		return nil
	}
	for _, id := range ids {
		if err := visit(id); err != nil {
			return err
		}
	}
	return nil
}

// Order is every node, parents before children.
func (g *Graph) Order() []string { return g.order }

// Parents are the direct dependencies of id.
func (g *Graph) Parents(id string) []string { return g.parents[id] }

// Children are the direct dependents of id.
func (g *Graph) Children(id string) []string { return g.children[id] }

// Node returns a node by id.
func (g *Graph) Node(id string) *Node { return g.nodes[id] }

// walk collects nodes reachable through next, up to depth steps (negative: unbounded).
func (g *Graph) walk(start string, next map[string][]string, depth int, into map[string]bool) {
	frontier := []string{start}
	for d := 0; len(frontier) > 0 && (depth < 0 || d < depth); d++ {
		var more []string
		for _, id := range frontier {
			for _, n := range next[id] {
				if !into[n] {
					into[n] = true
					more = append(more, n)
				}
			}
		}
		frontier = more
	}
}
