// Package dag owns the org's DAG (SPEC §8): the dependencies people declare between pipelines,
// transformations and jobs, the edges inferred from ref() and source(), cascades (DAG runs)
// that run a node and then its descendants in topological order, the check_timeframe waits, and
// the dispatcher that turns every ended run (the run_events outbox) into the cascade's next
// step and into notifications.
package dag

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/run"
	"github.com/datanika/datanika/internal/transformation"
)

// Node types.
const (
	TypePipeline       = "pipeline"
	TypeTransformation = "transformation"
	TypeJob            = "job"
)

// Node is one node of the DAG.
type Node struct {
	Type string
	ID   int64
}

// Key is the node's key in the API: "pipeline:12".
func (n Node) Key() string { return n.Type + ":" + strconv.FormatInt(n.ID, 10) }

// ParseKey reads a key written by Key.
func ParseKey(key string) (Node, bool) {
	t, id, ok := strings.Cut(key, ":")
	if !ok {
		return Node{}, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || !validType(t) {
		return Node{}, false
	}
	return Node{Type: t, ID: n}, true
}

func validType(t string) bool {
	return t == TypePipeline || t == TypeTransformation || t == TypeJob
}

// Service is the DAG: dependencies, the graph, cascades.
type Service struct {
	db       database.DB
	runs     *run.Service
	projects *transformation.Service
}

// New returns the DAG service; runs enqueues the cascades' runs, projects infers edges.
func New(db database.DB, runs *run.Service, projects *transformation.Service) *Service {
	return &Service{db: db, runs: runs, projects: projects}
}

// Timeframe is a dependency's check_timeframe.
type Timeframe struct {
	Value int32
	Unit  string
}

// DependencyInput is a dependency to declare.
type DependencyInput struct {
	Upstream, Downstream Node
	Timeframe            *Timeframe
}

// ListDependencies pages the org's declared dependencies.
func (s *Service) ListDependencies(ctx context.Context, p auth.Principal, afterID int64, limit int32) ([]dbgen.Dependency, error) {
	var out []dbgen.Dependency
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		out, err = q.ListDependencies(ctx, dbgen.ListDependenciesParams{OrgID: p.OrgID, AfterID: afterID, Lim: limit})
		return err
	})
	return out, err
}

// CreateDependency declares that in.Downstream runs after in.Upstream. Both must be live nodes
// of the org (422 naming the field); a self-edge, a duplicate, or an edge that closes a cycle
// (declared or inferred edges alike) is a Conflict, the cycle's path in the error.
func (s *Service) CreateDependency(ctx context.Context, p auth.Principal, in DependencyInput) (dbgen.Dependency, error) {
	if fe := checkDependency(in); len(fe) > 0 {
		return dbgen.Dependency{}, apperr.Invalidf(fe, "The dependency is invalid.")
	}
	if in.Upstream == in.Downstream {
		return dbgen.Dependency{}, apperr.Conflictf("A node cannot depend on itself.")
	}
	var out dbgen.Dependency
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		if err := q.LockOrgDependencies(ctx, p.OrgID); err != nil {
			return err
		}
		for field, n := range map[string]Node{"upstream": in.Upstream, "downstream": in.Downstream} {
			if _, err := q.NodeName(ctx, dbgen.NodeNameParams{OrgID: p.OrgID, NodeType: n.Type, NodeID: n.ID}); errors.Is(err, pgx.ErrNoRows) {
				return apperr.Invalidf([]apperr.FieldError{{Field: field + ".id", Message: fmt.Sprintf("no %s %d", n.Type, n.ID)}},
					"The %s node does not exist.", field)
			} else if err != nil {
				return err
			}
		}
		g, err := s.graph(ctx, q, p)
		if err != nil {
			return err
		}
		for _, e := range g.edges {
			if e.up == in.Upstream && e.down == in.Downstream && e.id != 0 {
				return apperr.Conflictf("%s already depends on %s.", in.Downstream.Key(), in.Upstream.Key())
			}
		}
		// The new edge up → down closes a cycle when up is reachable from down.
		if path := g.path(in.Downstream, in.Upstream); path != nil {
			keys := make([]string, 0, len(path)+1)
			for _, n := range path {
				keys = append(keys, n.Key())
			}
			keys = append(keys, in.Downstream.Key())
			e := apperr.Conflictf("This dependency would close a cycle: %s.", strings.Join(keys, " → "))
			e.Cycle = keys
			return e
		}
		params := dbgen.CreateDependencyParams{
			OrgID: p.OrgID, UpstreamType: in.Upstream.Type, UpstreamID: in.Upstream.ID,
			DownstreamType: in.Downstream.Type, DownstreamID: in.Downstream.ID, CreatedBy: userOf(p),
		}
		if in.Timeframe != nil {
			params.CheckTimeframeValue, params.CheckTimeframeUnit = &in.Timeframe.Value, &in.Timeframe.Unit
		}
		out, err = q.CreateDependency(ctx, params)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return apperr.Conflictf("%s already depends on %s.", in.Downstream.Key(), in.Upstream.Key())
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "dependency.create", ResourceType: "dependency",
			ResourceID: strconv.FormatInt(out.ID, 10), New: dependencyAudit(out)})
	})
	return out, err
}

func checkDependency(in DependencyInput) []apperr.FieldError {
	var fe []apperr.FieldError
	if !validType(in.Upstream.Type) {
		fe = append(fe, apperr.FieldError{Field: "upstream.type", Message: "must be pipeline, transformation or job"})
	}
	if !validType(in.Downstream.Type) {
		fe = append(fe, apperr.FieldError{Field: "downstream.type", Message: "must be pipeline, transformation or job"})
	}
	if t := in.Timeframe; t != nil {
		if t.Value < 1 || t.Value > 100000 {
			fe = append(fe, apperr.FieldError{Field: "check_timeframe.value", Message: "must be between 1 and 100000"})
		}
		if t.Unit != "minutes" && t.Unit != "hours" && t.Unit != "days" {
			fe = append(fe, apperr.FieldError{Field: "check_timeframe.unit", Message: "must be minutes, hours or days"})
		}
	}
	return fe
}

func dependencyAudit(d dbgen.Dependency) map[string]any {
	m := map[string]any{
		"upstream":   Node{d.UpstreamType, d.UpstreamID}.Key(),
		"downstream": Node{d.DownstreamType, d.DownstreamID}.Key(),
	}
	if d.CheckTimeframeValue != nil && d.CheckTimeframeUnit != nil {
		m["check_timeframe"] = fmt.Sprintf("%d %s", *d.CheckTimeframeValue, *d.CheckTimeframeUnit)
	}
	return m
}

// DeleteDependency removes a declared dependency.
func (s *Service) DeleteDependency(ctx context.Context, p auth.Principal, id int64) error {
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		d, err := q.DeleteDependency(ctx, dbgen.DeleteDependencyParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No dependency %d.", id)
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "dependency.delete", ResourceType: "dependency",
			ResourceID: strconv.FormatInt(id, 10), Old: dependencyAudit(d)})
	})
}

func userOf(p auth.Principal) *int64 {
	if p.UserID == 0 {
		return nil
	}
	return &p.UserID
}

// edge is one edge of the graph; id is the declared dependency's (0: inferred).
type edge struct {
	up, down  Node
	id        int64
	timeframe *Timeframe
}

// graph is the org's DAG as this transaction sees it.
type graph struct {
	names    map[Node]string
	statuses map[Node]string
	order    []Node
	edges    []edge
	children map[Node][]Node
	parents  map[Node][]Node
}

// graph reads the org's live nodes, its declared edges between live nodes, and the inferred ones.
func (s *Service) graph(ctx context.Context, q *dbgen.Queries, p auth.Principal) (*graph, error) {
	rows, err := q.DagNodes(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	g := &graph{names: map[Node]string{}, statuses: map[Node]string{}, children: map[Node][]Node{}, parents: map[Node][]Node{}}
	for _, r := range rows {
		n := Node{r.NodeType, r.ID}
		g.names[n] = r.Name
		g.statuses[n] = r.Status
		g.order = append(g.order, n)
	}
	deps, err := q.AllDependencies(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	declared := map[[2]Node]bool{}
	for _, d := range deps {
		e := edge{up: Node{d.UpstreamType, d.UpstreamID}, down: Node{d.DownstreamType, d.DownstreamID}, id: d.ID}
		if d.CheckTimeframeValue != nil && d.CheckTimeframeUnit != nil {
			e.timeframe = &Timeframe{Value: *d.CheckTimeframeValue, Unit: *d.CheckTimeframeUnit}
		}
		g.addEdge(e)
		declared[[2]Node{e.up, e.down}] = true
	}
	if s.projects != nil {
		inferred, err := s.projects.Lineage(ctx, q, p)
		if err != nil {
			return nil, err
		}
		for _, l := range inferred {
			e := edge{up: Node{l.UpType, l.UpID}, down: Node{l.DownType, l.DownID}}
			if !declared[[2]Node{e.up, e.down}] {
				g.addEdge(e)
			}
		}
	}
	return g, nil
}

func (g *graph) addEdge(e edge) {
	if _, ok := g.names[e.up]; !ok {
		return
	}
	if _, ok := g.names[e.down]; !ok {
		return
	}
	g.edges = append(g.edges, e)
	g.children[e.up] = append(g.children[e.up], e.down)
	g.parents[e.down] = append(g.parents[e.down], e.up)
}

// path is a shortest path from one node to another along the edges, or nil.
func (g *graph) path(from, to Node) []Node {
	prev := map[Node]Node{from: from}
	queue := []Node{from}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n == to {
			var out []Node
			for c := to; ; c = prev[c] {
				out = append(out, c)
				if c == from {
					break
				}
			}
			for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
				out[i], out[j] = out[j], out[i]
			}
			return out
		}
		for _, c := range g.children[n] {
			if _, seen := prev[c]; !seen {
				prev[c] = n
				queue = append(queue, c)
			}
		}
	}
	return nil
}

// cascade is root and its descendants in a topological order (Kahn's, ties by key so the order
// is stable), each with its upstreams inside the cascade. An inferred cycle (which the
// projects' own checks forbid) leaves its nodes out rather than loop.
func (g *graph) cascade(root Node) ([]Node, map[Node][]Node) {
	in := map[Node]bool{root: true}
	stack := []Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range g.children[n] {
			if !in[c] {
				in[c] = true
				stack = append(stack, c)
			}
		}
	}
	ups := map[Node][]Node{}
	indeg := map[Node]int{}
	for n := range in {
		seen := map[Node]bool{}
		for _, p := range g.parents[n] {
			if in[p] && !seen[p] && n != root {
				seen[p] = true
				ups[n] = append(ups[n], p)
			}
		}
		indeg[n] = len(ups[n])
	}
	var order []Node
	ready := []Node{root}
	for len(ready) > 0 {
		sort.Slice(ready, func(i, j int) bool { return ready[i].Key() < ready[j].Key() })
		n := ready[0]
		ready = ready[1:]
		order = append(order, n)
		seen := map[Node]bool{}
		for _, c := range g.children[n] {
			if !in[c] || c == root || seen[c] {
				continue
			}
			seen[c] = true
			indeg[c]--
			if indeg[c] == 0 {
				ready = append(ready, c)
			}
		}
	}
	return order, ups
}
