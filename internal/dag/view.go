package dag

import (
	"context"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// LastRun is a node's newest run.
type LastRun struct {
	ID         int64
	Status     string
	StartedAt  *time.Time
	FinishedAt *time.Time
	DagRunID   *int64
}

// ViewNode is a node of the DAG as GET /dag shows it.
type ViewNode struct {
	Node
	Name, Status string
	LastRun      *LastRun
}

// ViewEdge is an edge of the DAG; ID is 0 for an inferred one.
type ViewEdge struct {
	ID         int64
	Upstream   Node
	Downstream Node
	Inferred   bool
	Timeframe  *Timeframe
}

// View is the org's whole DAG.
type View struct {
	Nodes []ViewNode
	Edges []ViewEdge
}

// Graph reads the org's DAG: every live node with its newest run, declared and inferred edges.
func (s *Service) Graph(ctx context.Context, p auth.Principal) (View, error) {
	var out View
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		g, err := s.graph(ctx, q, p)
		if err != nil {
			return err
		}
		last, err := q.LastRunsOfNodes(ctx, p.OrgID)
		if err != nil {
			return err
		}
		lastOf := make(map[Node]*LastRun, len(last))
		for _, r := range last {
			lr := &LastRun{ID: r.ID, Status: r.Status, DagRunID: r.DagRunID}
			if r.StartedAt.Valid {
				t := r.StartedAt.Time
				lr.StartedAt = &t
			}
			if r.FinishedAt.Valid {
				t := r.FinishedAt.Time
				lr.FinishedAt = &t
			}
			lastOf[Node{r.TargetType, r.TargetID}] = lr
		}
		out.Nodes = make([]ViewNode, 0, len(g.order))
		for _, n := range g.order {
			out.Nodes = append(out.Nodes, ViewNode{Node: n, Name: g.names[n], Status: g.statuses[n], LastRun: lastOf[n]})
		}
		out.Edges = make([]ViewEdge, 0, len(g.edges))
		for _, e := range g.edges {
			out.Edges = append(out.Edges, ViewEdge{ID: e.id, Upstream: e.up, Downstream: e.down, Inferred: e.id == 0, Timeframe: e.timeframe})
		}
		sort.SliceStable(out.Edges, func(i, j int) bool {
			a, b := out.Edges[i], out.Edges[j]
			if a.Upstream.Key() != b.Upstream.Key() {
				return a.Upstream.Key() < b.Upstream.Key()
			}
			return a.Downstream.Key() < b.Downstream.Key()
		})
		return nil
	})
	return out, err
}
