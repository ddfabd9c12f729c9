package server

import (
	"context"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/dag"
	"github.com/datanika/datanika/internal/run"
)

func toAPIDependency(d dbgen.Dependency) api.Dependency {
	out := api.Dependency{
		Id: d.ID, CreatedAt: d.CreatedAt.Time,
		Upstream:   api.NodeRef{Type: api.NodeType(d.UpstreamType), Id: d.UpstreamID},
		Downstream: api.NodeRef{Type: api.NodeType(d.DownstreamType), Id: d.DownstreamID},
	}
	if d.CheckTimeframeValue != nil && d.CheckTimeframeUnit != nil {
		out.CheckTimeframe = &api.CheckTimeframe{Value: *d.CheckTimeframeValue, Unit: api.CheckTimeframeUnit(*d.CheckTimeframeUnit)}
	}
	return out
}

// ListDependencies pages the declared dependencies.
func (h *handlers) ListDependencies(ctx context.Context, req api.ListDependenciesRequestObject) (api.ListDependenciesResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.dag.ListDependencies(ctx, principal(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	var out api.DependencyList
	out.Items, out.NextCursor = page(rows, limit, func(d dbgen.Dependency) int64 { return d.ID }, toAPIDependency)
	return api.ListDependencies200JSONResponse(out), nil
}

// CreateDependency declares an edge; 409 for a self-edge, a duplicate or a cycle (with its path).
func (h *handlers) CreateDependency(ctx context.Context, req api.CreateDependencyRequestObject) (api.CreateDependencyResponseObject, error) {
	in := dag.DependencyInput{
		Upstream:   dag.Node{Type: string(req.Body.Upstream.Type), ID: req.Body.Upstream.Id},
		Downstream: dag.Node{Type: string(req.Body.Downstream.Type), ID: req.Body.Downstream.Id},
	}
	if tf := req.Body.CheckTimeframe; tf != nil {
		in.Timeframe = &dag.Timeframe{Value: tf.Value, Unit: string(tf.Unit)}
	}
	d, err := h.dag.CreateDependency(ctx, principal(ctx), in)
	if err != nil {
		return nil, err
	}
	return api.CreateDependency201JSONResponse(toAPIDependency(d)), nil
}

// DeleteDependency removes a declared edge.
func (h *handlers) DeleteDependency(ctx context.Context, req api.DeleteDependencyRequestObject) (api.DeleteDependencyResponseObject, error) {
	if err := h.dag.DeleteDependency(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.DeleteDependency204Response{}, nil
}

// GetDag answers the org's nodes with their last runs and the declared and inferred edges.
func (h *handlers) GetDag(ctx context.Context, _ api.GetDagRequestObject) (api.GetDagResponseObject, error) {
	v, err := h.dag.Graph(ctx, principal(ctx))
	if err != nil {
		return nil, err
	}
	out := api.Dag{Nodes: make([]api.DagNode, 0, len(v.Nodes)), Edges: make([]api.DagEdge, 0, len(v.Edges))}
	for _, n := range v.Nodes {
		node := api.DagNode{Key: n.Key(), Type: api.NodeType(n.Type), Id: n.ID, Name: n.Name}
		if n.Status != "" {
			status := n.Status
			node.Status = &status
		}
		if lr := n.LastRun; lr != nil {
			node.LastRun = &api.DagLastRun{Id: lr.ID, Status: api.RunStatus(lr.Status), StartedAt: lr.StartedAt, FinishedAt: lr.FinishedAt, DagRunId: lr.DagRunID}
		}
		out.Nodes = append(out.Nodes, node)
	}
	for _, e := range v.Edges {
		edge := api.DagEdge{Upstream: e.Upstream.Key(), Downstream: e.Downstream.Key(), Inferred: e.Inferred}
		if e.ID != 0 {
			id := e.ID
			edge.Id = &id
		}
		if tf := e.Timeframe; tf != nil {
			edge.CheckTimeframe = &api.CheckTimeframe{Value: tf.Value, Unit: api.CheckTimeframeUnit(tf.Unit)}
		}
		out.Edges = append(out.Edges, edge)
	}
	return api.GetDag200JSONResponse(out), nil
}

func toAPIDagRun(v dag.RunView) api.DagRun {
	out := api.DagRun{
		Id: v.ID, Root: dag.Node{Type: v.RootType, ID: v.RootID}.Key(), Status: api.DagRunStatus(v.Status),
		Trigger: api.RunTrigger(v.Trigger), ScheduleId: v.ScheduleID, CreatedAt: v.CreatedAt.Time,
		Nodes: make([]api.DagRunNode, 0, len(v.Nodes)),
	}
	if v.FinishedAt.Valid {
		t := v.FinishedAt.Time
		out.FinishedAt = &t
	}
	for _, n := range v.Nodes {
		out.Nodes = append(out.Nodes, api.DagRunNode{Key: n.Key(), Type: api.NodeType(n.Type), Id: n.ID, Name: n.Name,
			Upstreams: append([]string{}, n.Upstreams...), Status: api.DagRunNodeStatus(n.Status), RunId: n.RunID})
	}
	return out
}

// GetDagRun answers a DAG run with its nodes' statuses.
func (h *handlers) GetDagRun(ctx context.Context, req api.GetDagRunRequestObject) (api.GetDagRunResponseObject, error) {
	v, err := h.dag.GetDagRun(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetDagRun200JSONResponse(toAPIDagRun(v)), nil
}

// CancelDagRun cancels what runs and skips what waits.
func (h *handlers) CancelDagRun(ctx context.Context, req api.CancelDagRunRequestObject) (api.CancelDagRunResponseObject, error) {
	v, err := h.dag.CancelDagRun(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.CancelDagRun202JSONResponse(toAPIDagRun(v)), nil
}

// triggerNode starts a run of a node: alone, or with downstream as a DAG run.
func (h *handlers) triggerNode(ctx context.Context, node dag.Node, downstream, fullRefresh bool, command string) (dbgen.Run, error) {
	p := principal(ctx)
	return h.dag.Trigger(ctx, p, node, dag.TriggerOptions{Trigger: run.Trigger(p), Downstream: downstream, FullRefresh: fullRefresh, Command: command})
}
