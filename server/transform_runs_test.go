package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/transform"
)

// model creates a model in the env's destination as its editor.
func (e *runEnv) model(t *testing.T, body map[string]any) api.Transformation {
	t.Helper()
	body["destination_connection_id"] = e.dstConn.Id
	return decode[api.Transformation](t, e.call(t, http.MethodPost, "/api/v1/transformations", e.f.editor.AccessToken, body), http.StatusCreated)
}

func (e *runEnv) runModel(t *testing.T, id int64, body map[string]any) api.Run {
	t.Helper()
	return decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/transformations/%d/runs", id), e.f.editor.AccessToken, body), http.StatusAccepted)
}

func nodeByID(t *testing.T, nodes []transform.Result, id string) transform.Result {
	t.Helper()
	for _, n := range nodes {
		if n.UniqueID == id {
			return n
		}
	}
	require.Failf(t, "node not in the run's stats", "%s in %+v", id, nodes)
	return transform.Result{}
}

func TestTransformRuns_BuildWithDownstreamRecordsEveryNodeArtifactsAndCatalog(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	stg := e.model(t, map[string]any{"name": "stg_orders", "materialization": "table",
		"sql_body":     "select g as id, g * 10 as amount from generate_series(1, 3) g",
		"tests_config": map[string]any{"columns": map[string]any{"id": []any{"unique", "not_null"}}}})
	big := e.model(t, map[string]any{"name": "big_orders", "sql_body": "select id, amount from {{ ref('stg_orders') }} where amount > 10"})

	// With downstream, the model's run is the first node of a DAG run; big_orders, which
	// ref()s it, runs next as a node of its own.
	queued := e.runModel(t, stg.Id, map[string]any{"command": "build", "downstream": true})
	require.Equal(t, api.RunTargetType("transformation"), queued.TargetType)
	require.NotNil(t, queued.DagRunId)
	dr := e.waitDagRun(t, *queued.DagRunId, 30*time.Second)
	require.Equal(t, api.DagRunStatus("success"), dr.Status, "%+v", dr.Nodes)
	require.Equal(t, map[string]string{"stg_orders": "success", "big_orders": "success"}, dagNodeStatus(dr))
	r := e.waitFor(t, queued.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "%v %+v", r.errMsg, r.stats.Nodes)
	require.Equal(t, "done", r.stats.Phase)
	require.Len(t, r.stats.Nodes, 3, "the model and its two tests")
	require.Equal(t, "success", nodeByID(t, r.stats.Nodes, "model.datanika.stg_orders").Status)
	for _, n := range r.stats.Nodes {
		if n.ResourceType == "test" {
			require.Equal(t, "pass", n.Status, n.UniqueID)
		}
	}
	var n int
	require.NoError(t, e.dst.QueryRow(context.Background(), `SELECT count(*) FROM analytics.big_orders`).Scan(&n))
	require.Equal(t, 2, n)

	// The API shows the nodes; the artifacts are dbt's.
	got := decode[api.Run](t, e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d", queued.Id), e.f.viewer.AccessToken, nil), http.StatusOK)
	require.NotNil(t, got.Stats.Nodes)
	require.Len(t, *got.Stats.Nodes, 3)
	var results struct {
		Metadata struct {
			Schema string `json:"dbt_schema_version"`
		} `json:"metadata"`
		Results []struct {
			UniqueID string `json:"unique_id"`
			Status   string `json:"status"`
		} `json:"results"`
	}
	rec := e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/artifacts/run_results.json", queued.Id), e.f.viewer.AccessToken, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &results))
	require.Contains(t, results.Metadata.Schema, "run-results")
	require.Len(t, results.Results, 3)
	var manifest struct {
		Nodes     map[string]json.RawMessage `json:"nodes"`
		ParentMap map[string][]string        `json:"parent_map"`
	}
	rec = e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/artifacts/manifest.json", queued.Id), e.f.viewer.AccessToken, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &manifest))
	require.Contains(t, manifest.Nodes, "model.datanika.big_orders")
	require.Equal(t, []string{"model.datanika.stg_orders"}, manifest.ParentMap["model.datanika.big_orders"])
	decodeProblem(t, e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/artifacts/index.html", queued.Id), e.f.viewer.AccessToken, nil), http.StatusUnprocessableEntity)

	// The built relations entered the destination connection's catalog.
	var kinds []string
	rows, err := e.owner.Query(context.Background(), `SELECT kind FROM catalog_entries WHERE connection_id = $1 AND schema_name = 'analytics' ORDER BY table_name`, e.dstConn.Id)
	require.NoError(t, err)
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		kinds = append(kinds, k)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"view", "table"}, kinds, "big_orders, stg_orders")
	require.Equal(t, `[{"name":"id","nullable":true,"primary_key":false,"type":"integer"},{"name":"amount","nullable":true,"primary_key":false,"type":"integer"}]`,
		e.catalogColumns(t, "big_orders"), "the columns in their order, as the destination reports them")

	// A later run that changes a relation's columns updates its entry.
	decode[api.Transformation](t, e.call(t, http.MethodPatch, transformationPath(big.Id), e.f.editor.AccessToken,
		map[string]any{"sql_body": "select id, amount, amount > 20 as large from {{ ref('stg_orders') }} where amount > 10"}), http.StatusOK)
	again := e.runModel(t, big.Id, map[string]any{"command": "run"})
	r = e.waitFor(t, again.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "%v %+v", r.errMsg, r.stats.Nodes)
	require.Equal(t, `[{"name":"id","nullable":true,"primary_key":false,"type":"integer"},{"name":"amount","nullable":true,"primary_key":false,"type":"integer"},`+
		`{"name":"large","nullable":true,"primary_key":false,"type":"boolean"}]`, e.catalogColumns(t, "big_orders"))
}

// catalogColumns is the catalog's columns of a relation of the destination's schema analytics.
func (e *runEnv) catalogColumns(t *testing.T, table string) string {
	t.Helper()
	var cols string
	require.NoError(t, e.owner.QueryRow(context.Background(), `SELECT columns::text FROM catalog_entries
		WHERE connection_id = $1 AND schema_name = 'analytics' AND table_name = $2`, e.dstConn.Id, table).Scan(&cols))
	var compact []map[string]any
	require.NoError(t, json.Unmarshal([]byte(cols), &compact))
	b, err := json.Marshal(compact)
	require.NoError(t, err)
	return string(b)
}

func TestTransformRuns_AFailingTestFailsTheRunAtSeverityErrorAndWarnsAtWarn(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	warned := e.model(t, map[string]any{"name": "dupes_warned", "materialization": "table",
		"sql_body":     "select 1 as id union all select 1",
		"tests_config": map[string]any{"columns": map[string]any{"id": []any{map[string]any{"unique": map[string]any{"config": map[string]any{"severity": "warn"}}}}}}})
	r := e.waitFor(t, e.runModel(t, warned.Id, map[string]any{"command": "build"}).Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "%v", r.errMsg)
	var test transform.Result
	for _, n := range r.stats.Nodes {
		if n.ResourceType == "test" {
			test = n
		}
	}
	require.Equal(t, "warn", test.Status)
	require.Equal(t, int64(1), test.Failures)

	failing := e.model(t, map[string]any{"name": "dupes_failing", "materialization": "table",
		"sql_body":     "select 1 as id union all select 1",
		"tests_config": map[string]any{"columns": map[string]any{"id": []any{"unique"}}}})
	child := e.model(t, map[string]any{"name": "after_dupes", "sql_body": "select * from {{ ref('dupes_failing') }}"})
	r = e.waitFor(t, e.runModel(t, failing.Id, map[string]any{"command": "build", "downstream": true}).Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "failed", r.status)
	require.Contains(t, *r.errMsg, "failed")
	for _, n := range r.stats.Nodes {
		if n.ResourceType == "test" {
			require.Equal(t, "fail", n.Status)
			require.Equal(t, int64(1), n.Failures)
			require.NotEmpty(t, n.Sample, "failing rows are sampled")
		}
	}
	require.Equal(t, "skipped", nodeByID(t, r.stats.Nodes, "model.datanika."+child.Name).Status, "a failing test holds back its model's children")
}

func TestTransformRuns_SecondActiveRunAnswers409AndAJobRunsItsSelection(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{noWorker: true})
	m := e.model(t, map[string]any{"name": "one", "sql_body": "select 1 as id"})
	first := e.runModel(t, m.Id, map[string]any{"command": "run"})
	p := decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/transformations/%d/runs", m.Id), e.f.editor.AccessToken,
		map[string]any{"command": "build"}), http.StatusConflict)
	require.Equal(t, first.Id, *p.ActiveRunId)
	fieldErr(t, decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/transformations/%d/runs", m.Id), e.f.editor.AccessToken,
		map[string]any{"command": "seed"}), http.StatusUnprocessableEntity), "command")
	decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/transformations/%d/runs", m.Id), e.f.viewer.AccessToken,
		map[string]any{"command": "run"}), http.StatusForbidden)
	// Deleting a model with an active run is refused too.
	p = decodeProblem(t, e.call(t, http.MethodDelete, transformationPath(m.Id), e.f.editor.AccessToken, nil), http.StatusConflict)
	require.Equal(t, first.Id, *p.ActiveRunId)

	j := decode[api.Job](t, e.call(t, http.MethodPost, "/api/v1/jobs", e.f.editor.AccessToken, map[string]any{
		"name": "Nightly", "command": "build", "destination_connection_id": e.dstConn.Id}), http.StatusCreated)
	jr := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/runs", j.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	require.Equal(t, api.RunTargetType("job"), jr.TargetType)
	p = decodeProblem(t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/runs", j.Id), e.f.editor.AccessToken, nil), http.StatusConflict)
	require.Equal(t, jr.Id, *p.ActiveRunId)
	decodeProblem(t, e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/artifacts/run_results.json", jr.Id), e.f.viewer.AccessToken, nil), http.StatusNotFound)

	// A queued run is cancelled at once.
	c := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/cancel", jr.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	require.Equal(t, api.RunStatus("cancelled"), c.Status)
	// And retried with the same command.
	retried := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/retry", jr.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	require.Equal(t, api.RunTargetType("job"), retried.TargetType)
	var command string
	require.NoError(t, e.owner.QueryRow(context.Background(), `SELECT command FROM runs WHERE id = $1`, retried.Id).Scan(&command))
	require.Equal(t, "build", command)
}

func TestTransformRuns_JobBuildsOnTheDestination(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	e.model(t, map[string]any{"name": "a", "materialization": "table", "sql_body": "select 1 as id", "tags": []string{"nightly"}})
	e.model(t, map[string]any{"name": "b", "sql_body": "select * from {{ ref('a') }}"})
	e.model(t, map[string]any{"name": "c", "sql_body": "select 2 as id"})
	j := decode[api.Job](t, e.call(t, http.MethodPost, "/api/v1/jobs", e.f.editor.AccessToken, map[string]any{
		"name": "Nightly", "command": "build", "select": "tag:nightly+", "destination_connection_id": e.dstConn.Id}), http.StatusCreated)
	jr := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/runs", j.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	r := e.waitFor(t, jr.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "%v", r.errMsg)
	require.Len(t, r.stats.Nodes, 2, "a and b, not c")
	// Each node names itself, through the API as SPEC's stats.nodes lists it.
	got := decode[api.Run](t, e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d", jr.Id), e.f.viewer.AccessToken, nil), http.StatusOK)
	require.NotNil(t, got.Stats.Nodes)
	var names []string
	for _, n := range *got.Stats.Nodes {
		names = append(names, n.Name)
	}
	require.Equal(t, []string{"a", "b"}, names)
	var exists bool
	require.NoError(t, e.dst.QueryRow(context.Background(), `SELECT to_regclass('analytics.c') IS NOT NULL`).Scan(&exists))
	require.False(t, exists)
}

// The transform run operations in the RBAC and cross-tenant walks of rbac_test.go.
func init() {
	modelRun := func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, transformationPath(s.createModel(t, g, 0, uniqueIdent("m"), "select 1 as x").Id) + "/runs", map[string]any{"command": "run"}}
	}
	jobRun := func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/runs", s.createJob(t, g, 0).Id), nil}
	}
	artifact := func(t *testing.T, s *testServer, g orgFixture) request {
		db := database0(t, s)
		id := insertRun(t, db, g.orgID, runRow{targetType: "job", targetID: s.createJob(t, g, 0).Id, status: "success"})
		_, err := db.Exec(context.Background(), `INSERT INTO run_artifacts (run_id, name, org_id, body) VALUES ($1, 'run_results.json', $2, '{}')`, id, g.orgID)
		require.NoError(t, err)
		return request{http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/artifacts/run_results.json", id), nil}
	}
	for op, b := range map[string]func(*testing.T, *testServer, orgFixture) request{
		"triggerTransformationRun": modelRun, "triggerJobRun": jobRun, "getRunArtifact": artifact,
	} {
		requestBuilders[op] = b
		crossTenantTargets[op] = b
	}
}

func TestTransformRuns_CancelMidRunStopsTheStatementAndLeavesThePreviousRelation(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	m := e.model(t, map[string]any{"name": "slow", "materialization": "table", "sql_body": "select 1 as id"})
	e.model(t, map[string]any{"name": "after_slow", "materialization": "table", "sql_body": "select * from {{ ref('slow') }}"})
	first := e.waitFor(t, e.runModel(t, m.Id, map[string]any{"command": "run"}).Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", first.status, "%v", first.errMsg)

	decode[api.Transformation](t, e.call(t, http.MethodPatch, transformationPath(m.Id), e.f.editor.AccessToken,
		map[string]any{"sql_body": "select 2 as id from (select pg_sleep(20)) s"}), http.StatusOK)
	queued := e.runModel(t, m.Id, map[string]any{"command": "run", "downstream": true})
	e.waitFor(t, queued.Id, 20*time.Second, "running")
	// Wait until the destination runs the model's statement.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		require.NoError(t, e.dst.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(20)%' AND pid <> pg_backend_pid()`).Scan(&n))
		if n > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the model's statement never started")
		time.Sleep(50 * time.Millisecond)
	}
	started := time.Now()
	decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/cancel", queued.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	r := e.waitFor(t, queued.Id, 15*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "cancelled", r.status, "%v", r.errMsg)
	require.Less(t, time.Since(started), 10*time.Second, "the statement in flight was cancelled, not waited for")
	require.Equal(t, "skipped", nodeByID(t, r.stats.Nodes, "model.datanika.after_slow").Status)

	// The previous relation is in place, unchanged.
	var id int
	require.NoError(t, e.dst.QueryRow(context.Background(), `SELECT id FROM analytics.slow`).Scan(&id))
	require.Equal(t, 1, id)
	var sleeping int
	require.NoError(t, e.dst.QueryRow(context.Background(),
		`SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(20)%' AND state = 'active' AND pid <> pg_backend_pid()`).Scan(&sleeping))
	require.Equal(t, 0, sleeping, "nothing left running on the destination")
}

func TestTransformRuns_TwoRunsBuildingTheSameRelationNeverBuildItAtOnce(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	m := e.model(t, map[string]any{"name": "shared", "materialization": "table", "sql_body": "select 1 as id from (select pg_sleep(1.5)) s"})
	j := decode[api.Job](t, e.call(t, http.MethodPost, "/api/v1/jobs", e.f.editor.AccessToken, map[string]any{
		"name": "builds shared", "command": "run", "select": "shared", "destination_connection_id": e.dstConn.Id}), http.StatusCreated)
	first := e.runModel(t, m.Id, map[string]any{"command": "run"})
	e.waitFor(t, first.Id, 20*time.Second, "running")
	second := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/runs", j.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	r1 := e.waitFor(t, first.Id, 30*time.Second, "success", "failed", "cancelled")
	r2 := e.waitFor(t, second.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r1.status, "%v", r1.errMsg)
	require.Equal(t, "success", r2.status, "%v", r2.errMsg)
	lines, _ := e.logMessages(t, second.Id)
	require.True(t, hasPrefixIn(lines, "info waiting for another run that builds the same relation"), "%v", lines)
	// The second built only after the first had finished: its node took the whole pg_sleep
	// after the first run's end.
	require.False(t, r2.finished.Before(r1.finished.Add(1400*time.Millisecond)), "first ended %v, second %v", r1.finished, r2.finished)
}

// A job whose destination cannot be opened (its sealed config no longer opens) fails with that
// reason in its error and its log, while the project it read beside the opening is let go.
func TestTransformRuns_ADestinationThatCannotBeOpenedFailsTheRunWithItsReason(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	e.model(t, map[string]any{"name": "a", "sql_body": "select 1 as id"})
	j := decode[api.Job](t, e.call(t, http.MethodPost, "/api/v1/jobs", e.f.editor.AccessToken, map[string]any{
		"name": "Nightly", "command": "build", "destination_connection_id": e.dstConn.Id}), http.StatusCreated)
	e.exec(t, e.owner, `UPDATE connections SET config_sealed = 'not a sealed config' WHERE id = $1`, e.dstConn.Id)

	jr := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/runs", j.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	r := e.waitFor(t, jr.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "failed", r.status)
	require.NotNil(t, r.errMsg)
	require.Contains(t, *r.errMsg, fmt.Sprintf("destination connection %d", e.dstConn.Id))
	require.Equal(t, "done", r.stats.Phase)
	var messages []string
	rows, err := e.owner.Query(context.Background(), `SELECT message FROM run_logs WHERE run_id = $1 ORDER BY seq`, jr.Id)
	require.NoError(t, err)
	for rows.Next() {
		var m string
		require.NoError(t, rows.Scan(&m))
		messages = append(messages, m)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"run started", "run failed: " + *r.errMsg}, messages)
	var exists bool
	require.NoError(t, e.dst.QueryRow(context.Background(), `SELECT to_regclass('analytics.a') IS NOT NULL`).Scan(&exists))
	require.False(t, exists, "nothing was built")
}
