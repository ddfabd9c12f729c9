package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/dag"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/run"
	"github.com/datanika/datanika/internal/testutil"
	"github.com/datanika/datanika/internal/transformation"
)

func (e *runEnv) depend(t *testing.T, up, down api.NodeRef, status int) *httptest.ResponseRecorder {
	t.Helper()
	rec := e.call(t, http.MethodPost, "/api/v1/dependencies", e.f.editor.AccessToken, map[string]any{"upstream": up, "downstream": down})
	require.Equal(t, status, rec.Code, rec.Body.String())
	return rec
}

func node(typ string, id int64) api.NodeRef { return api.NodeRef{Type: api.NodeType(typ), Id: id} }

// waitDagRun polls a DAG run until it ended.
func (e *runEnv) waitDagRun(t *testing.T, id int64, timeout time.Duration) api.DagRun {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		dr := decode[api.DagRun](t, e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/dag-runs/%d", id), e.f.viewer.AccessToken, nil), http.StatusOK)
		if dr.Status != "running" {
			return dr
		}
		if time.Now().After(deadline) {
			t.Fatalf("DAG run %d still running after %s: %+v", id, timeout, dr.Nodes)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func dagNodeStatus(dr api.DagRun) map[string]string {
	out := map[string]string{}
	for _, n := range dr.Nodes {
		out[n.Name] = string(n.Status)
	}
	return out
}

// loadedOrders makes the env's source hold orders and runs a pipeline that loads them into
// raw.orders of the destination (so the destination's catalog knows the table), and answers it.
func (e *runEnv) loadedOrders(t *testing.T) int64 {
	t.Helper()
	e.exec(t, e.src, "CREATE TABLE orders (id int PRIMARY KEY, amount int)")
	e.exec(t, e.src, "INSERT INTO orders SELECT g, g * 10 FROM generate_series(1, 20) g")
	id := e.pipeline(t, "orders", map[string]any{"mode": "single_table", "table": "public.orders"})
	r := e.waitFor(t, e.trigger(t, id, map[string]any{}).Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "%v", r.errMsg)
	return id
}

func TestDag_DependenciesRefuseSelfEdgesDuplicatesAndCyclesWithThePath(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{noWorker: true})
	p1 := e.pipeline(t, "one", map[string]any{"mode": "single_table", "table": "public.a"})
	p2 := e.pipeline(t, "two", map[string]any{"mode": "single_table", "table": "public.b"})
	p3 := e.pipeline(t, "three", map[string]any{"mode": "single_table", "table": "public.c"})

	d12 := decode[api.Dependency](t, e.depend(t, node("pipeline", p1), node("pipeline", p2), http.StatusCreated), http.StatusCreated)
	require.Equal(t, p1, d12.Upstream.Id)
	require.Nil(t, d12.CheckTimeframe)
	e.depend(t, node("pipeline", p2), node("pipeline", p3), http.StatusCreated)

	require.Contains(t, *decodeProblem(t, e.depend(t, node("pipeline", p1), node("pipeline", p1), http.StatusConflict), http.StatusConflict).Detail, "itself")
	require.Contains(t, *decodeProblem(t, e.depend(t, node("pipeline", p1), node("pipeline", p2), http.StatusConflict), http.StatusConflict).Detail, "already")
	cyc := decodeProblem(t, e.depend(t, node("pipeline", p3), node("pipeline", p1), http.StatusConflict), http.StatusConflict)
	require.NotNil(t, cyc.Cycle)
	key := func(id int64) string { return fmt.Sprintf("pipeline:%d", id) }
	require.Equal(t, []string{key(p1), key(p2), key(p3), key(p1)}, *cyc.Cycle)

	// A node that is not the org's is a 422 naming the field; nothing was stored.
	other := e.newOrg(t)
	_ = other
	rec := e.call(t, http.MethodPost, "/api/v1/dependencies", e.f.editor.AccessToken,
		map[string]any{"upstream": node("job", 999999), "downstream": node("pipeline", p1)})
	pr := decodeProblem(t, rec, http.StatusUnprocessableEntity)
	require.Equal(t, "upstream.id", (*pr.Errors)[0].Field)
	rec = e.call(t, http.MethodPost, "/api/v1/dependencies", e.f.editor.AccessToken,
		map[string]any{"upstream": node("pipeline", p3), "downstream": node("pipeline", p1), "check_timeframe": map[string]any{"value": 0, "unit": "hours"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())

	list := decode[api.DependencyList](t, e.call(t, http.MethodGet, "/api/v1/dependencies", e.f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, list.Items, 2)

	// With a timeframe; then deleted, the cycle's edge can be declared.
	withTF := decode[api.Dependency](t, e.call(t, http.MethodPost, "/api/v1/dependencies", e.f.editor.AccessToken,
		map[string]any{"upstream": node("pipeline", p1), "downstream": node("pipeline", p3), "check_timeframe": map[string]any{"value": 2, "unit": "hours"}}), http.StatusCreated)
	require.Equal(t, api.CheckTimeframe{Value: 2, Unit: "hours"}, *withTF.CheckTimeframe)
	require.Equal(t, http.StatusNoContent, e.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/dependencies/%d", d12.Id), e.f.editor.AccessToken, nil).Code)
	require.Equal(t, http.StatusNotFound, e.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/dependencies/%d", d12.Id), e.f.editor.AccessToken, nil).Code)
	require.Equal(t, http.StatusNotFound, e.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/dependencies/%d", withTF.Id), other.editor.AccessToken, nil).Code,
		"another org's dependency is not found")
	e.depend(t, node("pipeline", p2), node("pipeline", p1), http.StatusCreated)

	g := decode[api.Dag](t, e.call(t, http.MethodGet, "/api/v1/dag", e.f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, g.Nodes, 3)
	require.Len(t, g.Edges, 3)
	for _, ed := range g.Edges {
		require.False(t, ed.Inferred)
		require.NotNil(t, ed.Id)
	}

	// A deleted node takes its dependencies with it.
	require.Equal(t, http.StatusNoContent, e.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/pipelines/%d", p3), e.f.admin.AccessToken, nil).Code)
	list = decode[api.DependencyList](t, e.call(t, http.MethodGet, "/api/v1/dependencies", e.f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, list.Items, 1)
	require.Equal(t, p2, list.Items[0].Upstream.Id)
	require.Equal(t, p1, list.Items[0].Downstream.Id)
}

func TestDag_InfersEdgesFromRefAndSourceAndCascadesADiamond(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	orders := e.loadedOrders(t)
	a := e.model(t, map[string]any{"name": "a_orders", "sql_body": "select id, amount from {{ source('raw', 'orders') }}"})
	b := e.model(t, map[string]any{"name": "b_orders", "sql_body": "select id from {{ source('raw', 'orders') }} where amount > 50"})
	c := e.model(t, map[string]any{"name": "c_joined", "materialization": "table",
		"sql_body": "select a.id, a.amount from {{ ref('a_orders') }} a join {{ ref('b_orders') }} b on a.id = b.id"})

	g := decode[api.Dag](t, e.call(t, http.MethodGet, "/api/v1/dag", e.f.viewer.AccessToken, nil), http.StatusOK)
	edges := map[string]bool{}
	for _, ed := range g.Edges {
		require.True(t, ed.Inferred, "%+v", ed)
		require.Nil(t, ed.Id)
		edges[ed.Upstream+">"+ed.Downstream] = true
	}
	pk, ak, bk, ck := fmt.Sprintf("pipeline:%d", orders), fmt.Sprintf("transformation:%d", a.Id), fmt.Sprintf("transformation:%d", b.Id), fmt.Sprintf("transformation:%d", c.Id)
	require.Equal(t, map[string]bool{pk + ">" + ak: true, pk + ">" + bk: true, ak + ">" + ck: true, bk + ">" + ck: true}, edges)
	for _, n := range g.Nodes {
		if n.Key == pk {
			require.NotNil(t, n.LastRun)
			require.Equal(t, api.RunStatus("success"), n.LastRun.Status)
		}
	}
	// An inferred edge counts for cycles.
	pr := decodeProblem(t, e.call(t, http.MethodPost, "/api/v1/dependencies", e.f.editor.AccessToken,
		map[string]any{"upstream": node("transformation", c.Id), "downstream": node("pipeline", orders)}), http.StatusConflict)
	require.Equal(t, []string{pk, ak, ck, pk}, *pr.Cycle)

	// The pipeline with downstream: one DAG run; c runs after both a and b succeeded.
	root := e.trigger(t, orders, map[string]any{"downstream": true})
	require.NotNil(t, root.DagRunId)
	dr := e.waitDagRun(t, *root.DagRunId, 60*time.Second)
	require.Equal(t, api.DagRunStatus("success"), dr.Status, "%+v", dr.Nodes)
	require.Equal(t, pk, dr.Root)
	require.Equal(t, map[string]string{"orders": "success", "a_orders": "success", "b_orders": "success", "c_joined": "success"}, dagNodeStatus(dr))
	require.Equal(t, pk, dr.Nodes[0].Key)
	require.Equal(t, ck, dr.Nodes[3].Key)
	require.ElementsMatch(t, []string{ak, bk}, dr.Nodes[3].Upstreams)

	runs := decode[api.RunList](t, e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs?dag_run_id=%d", *root.DagRunId), e.f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, runs.Items, 4)
	started := map[string]api.Run{}
	for _, r := range runs.Items {
		require.Equal(t, *root.DagRunId, *r.DagRunId)
		started[*r.TargetName] = r
		if r.Id != root.Id {
			require.Equal(t, api.RunTrigger("dependency"), r.Trigger)
		}
	}
	require.False(t, started["c_joined"].StartedAt.Before(*started["a_orders"].FinishedAt), "c after a")
	require.False(t, started["c_joined"].StartedAt.Before(*started["b_orders"].FinishedAt), "c after b")
	require.False(t, started["a_orders"].StartedAt.Before(*started["orders"].FinishedAt), "a after the pipeline")
	require.Equal(t, e.count(t, e.dst, "SELECT count(*) FROM raw.orders a JOIN raw.orders b ON a.id = b.id AND b.amount > 50"),
		e.count(t, e.dst, "SELECT count(*) FROM analytics.c_joined"), "c_joined was built from what the cascade's load left")
}

func TestDag_AFailureInTheMiddleSkipsItsDescendantsAndLetsSiblingsRun(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	orders := e.loadedOrders(t)
	bad := e.model(t, map[string]any{"name": "bad", "sql_body": "select id, 1 / (amount - amount) as boom from {{ source('raw', 'orders') }}", "materialization": "table"})
	good := e.model(t, map[string]any{"name": "good", "sql_body": "select id from {{ source('raw', 'orders') }}"})
	after := e.model(t, map[string]any{"name": "after_bad", "sql_body": "select * from {{ ref('bad') }}"})
	last := e.model(t, map[string]any{"name": "after_after", "sql_body": "select * from {{ ref('after_bad') }}"})
	_, _, _ = good, last, bad

	root := e.trigger(t, orders, map[string]any{"downstream": true})
	dr := e.waitDagRun(t, *root.DagRunId, 60*time.Second)
	require.Equal(t, api.DagRunStatus("failed"), dr.Status)
	for _, n := range dr.Nodes {
		if n.RunId != nil {
			r := e.run(t, *n.RunId)
			if r.errMsg != nil {
				t.Logf("%s %s %s", n.Name, r.status, *r.errMsg)
			}
		}
	}
	require.Equal(t, map[string]string{"orders": "success", "bad": "failed", "good": "success", "after_bad": "skipped", "after_after": "skipped"}, dagNodeStatus(dr))
	for _, n := range dr.Nodes {
		if n.Id == after.Id && n.Type == "transformation" {
			r := e.run(t, *n.RunId)
			require.NotNil(t, r.errMsg)
			require.Contains(t, *r.errMsg, "bad failed")
		}
	}
	// The dashboard lists the failing node (skipped ones are not failures).
	d := decode[api.Dashboard](t, e.call(t, http.MethodGet, "/api/v1/dashboard", e.f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, d.FailingNodes, 1, "%+v", d.FailingNodes)
	require.Equal(t, "bad", d.FailingNodes[0].Name)
	require.Equal(t, fmt.Sprintf("transformation:%d", bad.Id), d.FailingNodes[0].Key)
}

func TestDag_CancellingADagRunCancelsWhatRunsAndSkipsWhatWaits(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	orders := e.loadedOrders(t)
	slow := e.model(t, map[string]any{"name": "slow", "materialization": "table",
		"sql_body": "select id, pg_sleep(30) is not null as slept from {{ source('raw', 'orders') }} limit 1"})
	e.model(t, map[string]any{"name": "after_slow", "sql_body": "select * from {{ ref('slow') }}"})

	root := e.trigger(t, orders, map[string]any{"downstream": true})
	id := *root.DagRunId
	deadline := time.Now().Add(30 * time.Second)
	for {
		dr := decode[api.DagRun](t, e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/dag-runs/%d", id), e.f.viewer.AccessToken, nil), http.StatusOK)
		if dagNodeStatus(dr)["slow"] == "running" {
			break
		}
		require.True(t, time.Now().Before(deadline), "slow never ran: %+v", dr.Nodes)
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, http.StatusForbidden, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/dag-runs/%d/cancel", id), e.f.viewer.AccessToken, nil).Code)
	cancelled := decode[api.DagRun](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/dag-runs/%d/cancel", id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	require.Equal(t, api.DagRunStatus("cancelled"), cancelled.Status)
	require.Equal(t, "skipped", dagNodeStatus(cancelled)["after_slow"])
	for _, n := range cancelled.Nodes {
		if n.Id == slow.Id && n.Type == "transformation" {
			r := e.waitFor(t, *n.RunId, 20*time.Second, "cancelled", "failed", "success")
			require.Equal(t, "cancelled", r.status)
		}
	}
	decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/dag-runs/%d/cancel", id), e.f.editor.AccessToken, nil), http.StatusConflict)
	decodeProblem(t, e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/dag-runs/%d", id), e.newOrg(t).viewer.AccessToken, nil), http.StatusNotFound)
}

// The DAG operations in the RBAC and cross-tenant walks of rbac_test.go: a fresh target each time.
func init() {
	deps := func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/dependencies", nil}
	}
	create := func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, "/api/v1/dependencies", map[string]any{
			"upstream": node("pipeline", s.storedPipeline(t, g)), "downstream": node("pipeline", s.storedPipeline(t, g))}}
	}
	del := func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/dependencies/%d", s.storedDependency(t, g)), nil}
	}
	graph := func(*testing.T, *testServer, orgFixture) request { return request{http.MethodGet, "/api/v1/dag", nil} }
	getRun := func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/dag-runs/%d", s.storedDagRun(t, g)), nil}
	}
	cancel := func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, fmt.Sprintf("/api/v1/dag-runs/%d/cancel", s.storedDagRun(t, g)), nil}
	}
	for op, b := range map[string]func(*testing.T, *testServer, orgFixture) request{
		"listDependencies": deps, "createDependency": create, "deleteDependency": del, "getDag": graph,
		"getDagRun": getRun, "cancelDagRun": cancel,
	} {
		requestBuilders[op] = b
	}
	for op, b := range map[string]func(*testing.T, *testServer, orgFixture) request{
		"deleteDependency": del, "getDagRun": getRun, "cancelDagRun": cancel,
	} {
		crossTenantTargets[op] = b
	}
}

// storedDependency stores a dependency between two new pipelines of g.
func (s *testServer) storedDependency(t *testing.T, g orgFixture) int64 {
	t.Helper()
	up, down := s.storedPipeline(t, g), s.storedPipeline(t, g)
	var id int64
	require.NoError(t, testutil.OwnerPool(t, s.pool).QueryRow(context.Background(), `INSERT INTO dependencies
		(org_id, upstream_type, upstream_id, downstream_type, downstream_id) VALUES ($1, 'pipeline', $2, 'pipeline', $3) RETURNING id`,
		g.orgID, up, down).Scan(&id))
	return id
}

// storedDagRun stores a running DAG run of g over a new pipeline that has not run yet.
func (s *testServer) storedDagRun(t *testing.T, g orgFixture) int64 {
	t.Helper()
	p := s.storedPipeline(t, g)
	owner := testutil.OwnerPool(t, s.pool)
	var id int64
	require.NoError(t, owner.QueryRow(context.Background(), `INSERT INTO dag_runs (org_id, root_type, root_id, trigger)
		VALUES ($1, 'pipeline', $2, 'manual') RETURNING id`, g.orgID, p).Scan(&id))
	_, err := owner.Exec(context.Background(), `INSERT INTO dag_run_nodes (dag_run_id, org_id, node_type, node_id, position)
		VALUES ($1, $2, 'pipeline', $3, 0)`, id, g.orgID, p)
	require.NoError(t, err)
	return id
}

// scheduleRun starts a run of a node as its schedule would (trigger schedule), in the env's org.
func (e *runEnv) scheduleRun(t *testing.T, typ string, id int64) int64 {
	t.Helper()
	p := auth.Principal{OrgID: e.f.orgID, Name: "schedule"}
	var r dbgen.Run
	require.NoError(t, database.InOrg(context.Background(), e.pool, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		var err error
		r, err = run.NewService(e.pool, e.queue).EnqueueNode(context.Background(), q, tx, p, typ, id, run.NodeOptions{Trigger: run.TriggerSchedule})
		return err
	}))
	return r.ID
}

func TestDag_AScheduledRunWaitsForItsUpstreamsTimeframeThenFailsNamingIt(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{dependencyWait: 2 * time.Second, dependencyRecheck: 200 * time.Millisecond})
	e.exec(t, e.src, "CREATE TABLE orders (id int PRIMARY KEY, amount int)")
	e.exec(t, e.src, "INSERT INTO orders SELECT g, g FROM generate_series(1, 5) g")
	e.exec(t, e.src, "CREATE TABLE report (id int PRIMARY KEY)")
	up := e.pipeline(t, "nightly load", map[string]any{"mode": "single_table", "table": "public.orders"})
	down := e.pipeline(t, "report", map[string]any{"mode": "single_table", "table": "public.report"})
	decode[api.Dependency](t, e.call(t, http.MethodPost, "/api/v1/dependencies", e.f.editor.AccessToken, map[string]any{
		"upstream": node("pipeline", up), "downstream": node("pipeline", down), "check_timeframe": map[string]any{"value": 1, "unit": "hours"}}), http.StatusCreated)

	// The upstream never succeeded: the scheduled run waits, saying so, then fails naming it.
	id := e.scheduleRun(t, "pipeline", down)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := e.run(t, id)
		if r.stats.Waiting != nil {
			require.Equal(t, "queued", r.status)
			require.Equal(t, "waiting", r.stats.Phase)
			require.Contains(t, r.stats.Waiting.Upstreams[0], "nightly load")
			got := decode[api.Run](t, e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d", id), e.f.viewer.AccessToken, nil), http.StatusOK)
			require.NotNil(t, got.Stats.Waiting)
			break
		}
		require.True(t, time.Now().Before(deadline), "the run never waited: %+v", r)
		time.Sleep(50 * time.Millisecond)
	}
	r := e.waitFor(t, id, 15*time.Second, "failed", "success", "cancelled")
	require.Equal(t, "failed", r.status)
	require.Contains(t, *r.errMsg, "nightly load")
	logs := decode[api.RunLogList](t, e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/logs", id), e.f.viewer.AccessToken, nil), http.StatusOK)
	require.Contains(t, logs.Items[0].Message, "waiting for nightly load")

	// Once the upstream succeeded, the scheduled run starts at once; a manual run never waits.
	require.Equal(t, "success", e.waitFor(t, e.trigger(t, up, map[string]any{}).Id, 30*time.Second, "success", "failed").status)
	r = e.waitFor(t, e.scheduleRun(t, "pipeline", down), 30*time.Second, "success", "failed")
	require.Equal(t, "success", r.status, "%v", r.errMsg)
}

// The dispatcher's transaction is all or nothing: a handler failing (here the one after the
// cascade's, twice) rolls back the cascade's next runs with it and puts the event back; the
// next pass does the whole step again, once. No node runs twice, none is lost.
func TestDag_ADispatchThatFailsIsRolledBackAndDoneAgainOnce(t *testing.T) {
	t.Parallel()
	var failures atomic.Int32
	e := setupRuns(t, runEnvOptions{dispatch: func(d *dag.Dispatcher) {
		d.Handle(func(_ context.Context, _ *dbgen.Queries, _ pgx.Tx, _ dag.Event, r dbgen.Run) error {
			if r.DagRunID != nil && failures.Add(1) <= 2 {
				return errors.New("injected: the notifier's insert failed")
			}
			return nil
		})
	}})
	orders := e.loadedOrders(t)
	e.model(t, map[string]any{"name": "a_orders", "sql_body": "select id from {{ source('raw', 'orders') }}"})
	e.model(t, map[string]any{"name": "b_orders", "sql_body": "select id from {{ ref('a_orders') }}"})

	root := e.trigger(t, orders, map[string]any{"downstream": true})
	dr := e.waitDagRun(t, *root.DagRunId, 60*time.Second)
	require.Equal(t, api.DagRunStatus("success"), dr.Status, "%+v", dr.Nodes)
	require.Equal(t, int64(3), e.count(t, e.owner, "SELECT count(*) FROM runs WHERE dag_run_id = $1", *root.DagRunId), "one run per node")
	require.Equal(t, int64(0), e.count(t, e.owner, "SELECT count(*) FROM run_events WHERE org_id = $1 AND dispatched_at IS NULL", e.f.orgID))
	var attempts int64
	var lastError *string
	require.NoError(t, e.owner.QueryRow(context.Background(), `SELECT attempts, last_error FROM run_events WHERE org_id = $1
		ORDER BY attempts DESC, id LIMIT 1`, e.f.orgID).Scan(&attempts, &lastError))
	require.Equal(t, int64(3), attempts, "failed twice, then done")
	require.NotNil(t, lastError)
	require.Contains(t, *lastError, "injected")
}

// Several dispatchers (several worker processes) handling the ends of sibling runs at once
// start the node they all lead to exactly once.
func TestDag_ConcurrentDispatchersStartAFanInNodeOnce(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{orgLimit: 8})
	for i := 0; i < 2; i++ {
		d := dag.NewDispatcher(e.pool, dag.New(e.pool, run.NewService(e.pool, e.queue), transformation.New(e.pool, nil, testutil.Logger())), testutil.Logger())
		d.Poll = 50 * time.Millisecond
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); d.Run(ctx, e.pool) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	orders := e.loadedOrders(t)
	refs := ""
	for i := 0; i < 6; i++ {
		e.model(t, map[string]any{"name": fmt.Sprintf("part_%d", i), "sql_body": "select id from {{ source('raw', 'orders') }}"})
		if i > 0 {
			refs += " union all "
		}
		refs += fmt.Sprintf("select id from {{ ref('part_%d') }}", i)
	}
	final := e.model(t, map[string]any{"name": "all_parts", "sql_body": refs})

	root := e.trigger(t, orders, map[string]any{"downstream": true})
	dr := e.waitDagRun(t, *root.DagRunId, 60*time.Second)
	require.Equal(t, api.DagRunStatus("success"), dr.Status, "%+v", dr.Nodes)
	require.Len(t, dr.Nodes, 8)
	require.Equal(t, int64(8), e.count(t, e.owner, "SELECT count(*) FROM runs WHERE dag_run_id = $1", *root.DagRunId))
	require.Equal(t, int64(1), e.count(t, e.owner, "SELECT count(*) FROM runs WHERE target_type = 'transformation' AND target_id = $1", final.Id))
}
