package dag

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/run"
)

// DAG run statuses.
const (
	DagRunning   = "running"
	DagSuccess   = "success"
	DagFailed    = "failed"
	DagCancelled = "cancelled"
)

// TriggerOptions are the choices of a trigger.
type TriggerOptions struct {
	// Trigger is manual, api, schedule…
	Trigger string
	// Downstream also runs the node's descendants, as one DAG run.
	Downstream  bool
	FullRefresh bool
	// Command is a transformation's: run, test or build.
	Command    string
	ScheduleID *int64
}

// Trigger starts a run of root in a transaction of its own; see TriggerTx.
func (s *Service) Trigger(ctx context.Context, p auth.Principal, root Node, opts TriggerOptions) (dbgen.Run, error) {
	var out dbgen.Run
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		var err error
		out, err = s.TriggerTx(ctx, q, tx, p, root, opts)
		return err
	})
	return out, err
}

// TriggerTx starts a run of root inside the caller's transaction (scoped to p's org) and
// answers it. With Downstream it starts a DAG run: root and its descendants frozen in
// topological order, root's run queued now, each descendant's run queued by Advance once all
// its upstreams in the cascade succeeded. The run rows, their River jobs and the DAG run are
// written in tx, so they exist together or not at all.
func (s *Service) TriggerTx(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, root Node, opts TriggerOptions) (dbgen.Run, error) {
	no := run.NodeOptions{Trigger: opts.Trigger, FullRefresh: opts.FullRefresh, Command: opts.Command}
	if !opts.Downstream {
		return s.runs.EnqueueNode(ctx, q, tx, p, root.Type, root.ID, no)
	}
	g, err := s.graph(ctx, q, p)
	if err != nil {
		return dbgen.Run{}, err
	}
	if _, ok := g.names[root]; !ok {
		return dbgen.Run{}, apperr.NotFoundf("No %s %d.", root.Type, root.ID)
	}
	order, ups := g.cascade(root)
	dr, err := q.CreateDagRun(ctx, dbgen.CreateDagRunParams{OrgID: p.OrgID, RootType: root.Type, RootID: root.ID,
		Trigger: opts.Trigger, FullRefresh: opts.FullRefresh, ScheduleID: opts.ScheduleID, CreatedBy: userOf(p)})
	if err != nil {
		return dbgen.Run{}, err
	}
	for i, n := range order {
		keys := make([]string, 0, len(ups[n]))
		for _, u := range ups[n] {
			keys = append(keys, u.Key())
		}
		if err := q.AddDagRunNode(ctx, dbgen.AddDagRunNodeParams{DagRunID: dr.ID, OrgID: p.OrgID, NodeType: n.Type,
			NodeID: n.ID, Position: int32(i), Upstreams: keys}); err != nil {
			return dbgen.Run{}, err
		}
	}
	no.DagRunID = &dr.ID
	r, err := s.runs.EnqueueNode(ctx, q, tx, p, root.Type, root.ID, no)
	if err != nil {
		return r, err
	}
	if err := q.SetDagRunNodeRun(ctx, dbgen.SetDagRunNodeRunParams{OrgID: p.OrgID, DagRunID: dr.ID, NodeType: root.Type, NodeID: root.ID, RunID: &r.ID}); err != nil {
		return r, err
	}
	return r, nil
}

// terminal reports whether a run status is final.
func terminal(status string) bool {
	switch status {
	case run.StatusSuccess, run.StatusFailed, run.StatusCancelled, run.StatusSkipped:
		return true
	}
	return false
}

// Advance moves a DAG run on, inside the caller's transaction: every node without a run whose
// upstreams in the cascade all succeeded gets its run queued (trigger dependency); a node with
// an upstream that ended otherwise gets a run that ends skipped at once, naming it; when every
// node's run has ended the DAG run ends (cancelled if any run was cancelled, failed if any
// failed or was skipped, success otherwise). It is idempotent: the dispatcher calls it for
// every ended run of the cascade, and again after a crash.
func (s *Service) Advance(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, dagRunID int64) error {
	dr, err := q.LockDagRun(ctx, dbgen.LockDagRunParams{OrgID: p.OrgID, ID: dagRunID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil || dr.Status != DagRunning {
		return err
	}
	nodes, err := q.DagRunNodes(ctx, dbgen.DagRunNodesParams{OrgID: p.OrgID, DagRunID: dagRunID})
	if err != nil {
		return err
	}
	status := map[string]string{}
	for _, n := range nodes {
		if n.RunStatus != nil {
			status[Node{n.NodeType, n.NodeID}.Key()] = *n.RunStatus
		}
	}
	// A node's name is read only to write a skip's reason.
	nameOf := func(key string) string {
		if n, ok := ParseKey(key); ok {
			if name, err := q.NodeName(ctx, dbgen.NodeNameParams{OrgID: p.OrgID, NodeType: n.Type, NodeID: n.ID}); err == nil {
				return name
			}
		}
		return key
	}
	for _, n := range nodes {
		if n.RunID != nil {
			continue
		}
		key := Node{n.NodeType, n.NodeID}.Key()
		var notOK []string
		waiting := false
		for _, u := range n.Upstreams {
			switch st := status[u]; {
			case st == run.StatusSuccess:
			case terminal(st):
				notOK = append(notOK, fmt.Sprintf("%s %s", nameOf(u), st))
			default:
				waiting = true
			}
		}
		if waiting && len(notOK) == 0 {
			continue
		}
		var r dbgen.Run
		if len(notOK) > 0 {
			r, err = s.skip(ctx, q, p, dr, n.NodeType, n.NodeID, "Skipped: upstream "+strings.Join(notOK, ", ")+".")
		} else {
			r, err = s.runs.EnqueueNode(ctx, q, tx, p, n.NodeType, n.NodeID, run.NodeOptions{
				Trigger: run.TriggerDependency, FullRefresh: dr.FullRefresh, DagRunID: &dr.ID})
			var ae *apperr.Error
			if errors.As(err, &ae) && (ae.Kind == apperr.Conflict || ae.Kind == apperr.NotFound) {
				r, err = s.skip(ctx, q, p, dr, n.NodeType, n.NodeID, "Skipped: "+ae.Detail)
			}
		}
		if err != nil {
			return err
		}
		if err := q.SetDagRunNodeRun(ctx, dbgen.SetDagRunNodeRunParams{OrgID: p.OrgID, DagRunID: dr.ID, NodeType: n.NodeType, NodeID: n.NodeID, RunID: &r.ID}); err != nil {
			return err
		}
		status[key] = r.Status
	}
	final := DagSuccess
	for _, n := range nodes {
		st := status[Node{n.NodeType, n.NodeID}.Key()]
		switch {
		case !terminal(st):
			return nil
		case st == run.StatusCancelled:
			final = DagCancelled
		case (st == run.StatusFailed || st == run.StatusSkipped) && final != DagCancelled:
			final = DagFailed
		}
	}
	_, err = q.FinishDagRun(ctx, dbgen.FinishDagRunParams{OrgID: p.OrgID, ID: dr.ID, Status: final})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return err
}

// skip records a cascade's node that will not run: a run of it that ends skipped at once.
func (s *Service) skip(ctx context.Context, q *dbgen.Queries, p auth.Principal, dr dbgen.DagRun, typ string, id int64, reason string) (dbgen.Run, error) {
	return q.CreateSkippedRun(ctx, dbgen.CreateSkippedRunParams{OrgID: p.OrgID, TargetType: typ, TargetID: id,
		Trigger: run.TriggerDependency, DagRunID: &dr.ID, Error: &reason, CreatedBy: userOf(p)})
}

// RunNode is a node of a DAG run with its run's status (pending before it has a run).
type RunNode struct {
	Node
	Name      string
	Upstreams []string
	Status    string
	RunID     *int64
}

// RunView is a DAG run with its nodes in topological order.
type RunView struct {
	dbgen.DagRun
	Nodes []RunNode
}

// GetDagRun reads a DAG run of the org.
func (s *Service) GetDagRun(ctx context.Context, p auth.Principal, id int64) (RunView, error) {
	var out RunView
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		out, err = s.dagRunView(ctx, q, p, id)
		return err
	})
	return out, err
}

func (s *Service) dagRunView(ctx context.Context, q *dbgen.Queries, p auth.Principal, id int64) (RunView, error) {
	dr, err := q.GetDagRun(ctx, dbgen.GetDagRunParams{OrgID: p.OrgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return RunView{}, apperr.NotFoundf("No DAG run %d.", id)
	}
	if err != nil {
		return RunView{}, err
	}
	nodes, err := q.DagRunNodes(ctx, dbgen.DagRunNodesParams{OrgID: p.OrgID, DagRunID: id})
	if err != nil {
		return RunView{}, err
	}
	out := RunView{DagRun: dr, Nodes: make([]RunNode, 0, len(nodes))}
	for _, n := range nodes {
		v := RunNode{Node: Node{n.NodeType, n.NodeID}, Upstreams: n.Upstreams, Status: "pending", RunID: n.RunID}
		if n.RunStatus != nil {
			v.Status = *n.RunStatus
		}
		if name, err := q.NodeName(ctx, dbgen.NodeNameParams{OrgID: p.OrgID, NodeType: n.NodeType, NodeID: n.NodeID}); err == nil {
			v.Name = name
		} else {
			v.Name = v.Key()
		}
		out.Nodes = append(out.Nodes, v)
	}
	return out, nil
}

// CancelDagRun cancels a running DAG run: its queued and running runs are cancelled (a
// running one ends cancelled when its worker stops) and its nodes still waiting end skipped,
// all in one transaction with the DAG run's own ending. An ended DAG run is a Conflict.
func (s *Service) CancelDagRun(ctx context.Context, p auth.Principal, id int64) (RunView, error) {
	var out RunView
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		dr, err := q.LockDagRun(ctx, dbgen.LockDagRunParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No DAG run %d.", id)
		}
		if err != nil {
			return err
		}
		if dr.Status != DagRunning {
			return apperr.Conflictf("DAG run %d has already ended (%s).", id, dr.Status)
		}
		nodes, err := q.DagRunNodes(ctx, dbgen.DagRunNodesParams{OrgID: p.OrgID, DagRunID: id})
		if err != nil {
			return err
		}
		for _, n := range nodes {
			switch {
			case n.RunID == nil:
				r, err := s.skip(ctx, q, p, dr, n.NodeType, n.NodeID, "Skipped: the DAG run was cancelled.")
				if err != nil {
					return err
				}
				if err := q.SetDagRunNodeRun(ctx, dbgen.SetDagRunNodeRunParams{OrgID: p.OrgID, DagRunID: id, NodeType: n.NodeType, NodeID: n.NodeID, RunID: &r.ID}); err != nil {
					return err
				}
			case n.RunStatus != nil && !terminal(*n.RunStatus):
				if _, err := s.runs.CancelTx(ctx, q, tx, p, *n.RunID); err != nil {
					var ae *apperr.Error
					if !errors.As(err, &ae) || ae.Kind != apperr.Conflict {
						return err
					}
				}
			}
		}
		if _, err := q.FinishDagRun(ctx, dbgen.FinishDagRunParams{OrgID: p.OrgID, ID: id, Status: DagCancelled}); err != nil {
			return err
		}
		out, err = s.dagRunView(ctx, q, p, id)
		return err
	})
	return out, err
}
