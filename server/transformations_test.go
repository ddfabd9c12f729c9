package server

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
)

func init() {
	requestBuilders["listTransformations"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/transformations", nil}
	}
	requestBuilders["createTransformation"] = func(t *testing.T, s *testServer, f orgFixture) request {
		c := s.createConnection(t, f)
		return request{http.MethodPost, "/api/v1/transformations", map[string]any{"name": uniqueIdent("m"), "sql_body": "select 1 as x", "destination_connection_id": c.Id}}
	}
	requestBuilders["getTransformation"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, transformationPath(s.createModel(t, f, 0, uniqueIdent("m"), "select 1 as x").Id), nil}
	}
	requestBuilders["updateTransformation"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPatch, transformationPath(s.createModel(t, f, 0, uniqueIdent("m"), "select 1 as x").Id), map[string]any{"description": "changed"}}
	}
	requestBuilders["deleteTransformation"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, transformationPath(s.createModel(t, f, 0, uniqueIdent("m"), "select 1 as x").Id), nil}
	}
	requestBuilders["compileTransformationSQL"] = func(t *testing.T, s *testServer, f orgFixture) request {
		c := s.createConnection(t, f)
		return request{http.MethodPost, "/api/v1/transformations/compile", map[string]any{"sql_body": "select 1 as x", "destination_connection_id": c.Id}}
	}
	requestBuilders["compileTransformation"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPost, transformationPath(s.createModel(t, f, 0, uniqueIdent("m"), "select 1 as x").Id) + "/compile", nil}
	}
	requestBuilders["previewTransformation"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPost, transformationPath(s.createModel(t, f, 0, uniqueIdent("m"), "select 1 as x").Id) + "/preview", map[string]any{"limit": 1}}
	}
	crossTenantTargets["previewTransformation"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, transformationPath(s.createModel(t, g, 0, uniqueIdent("m"), "select 1 as x").Id) + "/preview", map[string]any{"limit": 1}}
	}
	crossTenantTargets["getTransformation"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, transformationPath(s.createModel(t, g, 0, uniqueIdent("m"), "select 1 as x").Id), nil}
	}
	crossTenantTargets["updateTransformation"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPatch, transformationPath(s.createModel(t, g, 0, uniqueIdent("m"), "select 1 as x").Id), map[string]any{"description": "stolen"}}
	}
	crossTenantTargets["deleteTransformation"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, transformationPath(s.createModel(t, g, 0, uniqueIdent("m"), "select 1 as x").Id), nil}
	}
	crossTenantTargets["compileTransformation"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, transformationPath(s.createModel(t, g, 0, uniqueIdent("m"), "select 1 as x").Id) + "/compile", nil}
	}

	requestBuilders["listMacros"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/macros", nil}
	}
	requestBuilders["createMacro"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodPost, "/api/v1/macros", map[string]any{"name": uniqueIdent("mac"), "sql_body": "{% macro one() %}1{% endmacro %}"}}
	}
	requestBuilders["getMacro"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/macros/%d", s.createMacro(t, f).Id), nil}
	}
	requestBuilders["updateMacro"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/macros/%d", s.createMacro(t, f).Id), map[string]any{"description": "changed"}}
	}
	requestBuilders["deleteMacro"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/macros/%d", s.createMacro(t, f).Id), nil}
	}
	crossTenantTargets["getMacro"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/macros/%d", s.createMacro(t, g).Id), nil}
	}
	crossTenantTargets["updateMacro"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/macros/%d", s.createMacro(t, g).Id), map[string]any{"description": "stolen"}}
	}
	crossTenantTargets["deleteMacro"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/macros/%d", s.createMacro(t, g).Id), nil}
	}

	requestBuilders["listSeeds"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/seeds", nil}
	}
	requestBuilders["createSeed"] = func(t *testing.T, s *testServer, f orgFixture) request {
		c := s.createConnection(t, f)
		return request{http.MethodPost, "/api/v1/seeds", map[string]any{"name": uniqueIdent("seed"), "file_id": s.uploadFile(t, f).Id, "destination_connection_id": c.Id}}
	}
	requestBuilders["getSeed"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/seeds/%d", s.createSeed(t, f, 0).Id), nil}
	}
	requestBuilders["deleteSeed"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/seeds/%d", s.createSeed(t, f, 0).Id), nil}
	}
	crossTenantTargets["getSeed"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/seeds/%d", s.createSeed(t, g, 0).Id), nil}
	}
	crossTenantTargets["deleteSeed"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/seeds/%d", s.createSeed(t, g, 0).Id), nil}
	}

	requestBuilders["listSources"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/sources", nil}
	}
	requestBuilders["createSource"] = func(t *testing.T, s *testServer, f orgFixture) request {
		c := s.createConnection(t, f)
		return request{http.MethodPost, "/api/v1/sources", map[string]any{"name": uniqueIdent("src"), "schema_name": "raw", "connection_id": c.Id, "tables": []any{map[string]any{"name": "orders"}}}}
	}
	requestBuilders["getSource"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/sources/%d", s.createSource(t, f, 0, uniqueIdent("src")).Id), nil}
	}
	requestBuilders["updateSource"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/sources/%d", s.createSource(t, f, 0, uniqueIdent("src")).Id), map[string]any{"description": "changed"}}
	}
	requestBuilders["deleteSource"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/sources/%d", s.createSource(t, f, 0, uniqueIdent("src")).Id), nil}
	}
	crossTenantTargets["getSource"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/sources/%d", s.createSource(t, g, 0, uniqueIdent("src")).Id), nil}
	}
	crossTenantTargets["updateSource"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/sources/%d", s.createSource(t, g, 0, uniqueIdent("src")).Id), map[string]any{"description": "stolen"}}
	}
	crossTenantTargets["deleteSource"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/sources/%d", s.createSource(t, g, 0, uniqueIdent("src")).Id), nil}
	}

	requestBuilders["listJobs"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/jobs", nil}
	}
	requestBuilders["createJob"] = func(t *testing.T, s *testServer, f orgFixture) request {
		c := s.createConnection(t, f)
		return request{http.MethodPost, "/api/v1/jobs", map[string]any{"name": uniqueEmail("job"), "command": "build", "destination_connection_id": c.Id}}
	}
	requestBuilders["planJob"] = func(t *testing.T, s *testServer, f orgFixture) request {
		c := s.createConnection(t, f)
		return request{http.MethodPost, "/api/v1/jobs/plan", map[string]any{"command": "build", "destination_connection_id": c.Id}}
	}
	requestBuilders["getJob"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/jobs/%d", s.createJob(t, f, 0).Id), nil}
	}
	requestBuilders["updateJob"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/jobs/%d", s.createJob(t, f, 0).Id), map[string]any{"threads": 2}}
	}
	requestBuilders["deleteJob"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/jobs/%d", s.createJob(t, f, 0).Id), nil}
	}
	crossTenantTargets["getJob"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/jobs/%d", s.createJob(t, g, 0).Id), nil}
	}
	crossTenantTargets["updateJob"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/jobs/%d", s.createJob(t, g, 0).Id), map[string]any{"threads": 2}}
	}
	crossTenantTargets["deleteJob"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/jobs/%d", s.createJob(t, g, 0).Id), nil}
	}
}

func transformationPath(id int64) string { return fmt.Sprintf("/api/v1/transformations/%d", id) }

// uniqueIdent is a unique name that is also a dbt identifier.
func uniqueIdent(prefix string) string {
	return fmt.Sprintf("%s_%d", prefix, emailSeq.Add(1))
}

// destOr is conn, or a new PostgreSQL connection of f when conn is 0.
func (s *testServer) destOr(t *testing.T, f orgFixture, conn int64) int64 {
	t.Helper()
	if conn != 0 {
		return conn
	}
	return s.createConnection(t, f).Id
}

// createModel creates a model in destination conn (a new connection when 0) as f's owner.
func (s *testServer) createModel(t *testing.T, f orgFixture, conn int64, name, sql string) api.Transformation {
	t.Helper()
	return decode[api.Transformation](t, s.call(t, http.MethodPost, "/api/v1/transformations", f.owner.AccessToken,
		map[string]any{"name": name, "sql_body": sql, "destination_connection_id": s.destOr(t, f, conn)}), http.StatusCreated)
}

func (s *testServer) createMacro(t *testing.T, f orgFixture) api.Macro {
	t.Helper()
	return decode[api.Macro](t, s.call(t, http.MethodPost, "/api/v1/macros", f.owner.AccessToken,
		map[string]any{"name": uniqueIdent("mac"), "sql_body": "{% macro one() %}1{% endmacro %}"}), http.StatusCreated)
}

func (s *testServer) createSeed(t *testing.T, f orgFixture, conn int64) api.Seed {
	t.Helper()
	return decode[api.Seed](t, s.call(t, http.MethodPost, "/api/v1/seeds", f.owner.AccessToken,
		map[string]any{"name": uniqueIdent("seed"), "file_id": s.uploadFile(t, f).Id, "destination_connection_id": s.destOr(t, f, conn)}), http.StatusCreated)
}

func (s *testServer) createSource(t *testing.T, f orgFixture, conn int64, name string) api.Source {
	t.Helper()
	return decode[api.Source](t, s.call(t, http.MethodPost, "/api/v1/sources", f.owner.AccessToken, map[string]any{
		"name": name, "schema_name": "raw", "connection_id": s.destOr(t, f, conn),
		"tables": []any{map[string]any{"name": "orders"}, map[string]any{"name": "customers"}}}), http.StatusCreated)
}

func (s *testServer) createJob(t *testing.T, f orgFixture, conn int64) api.Job {
	t.Helper()
	return decode[api.Job](t, s.call(t, http.MethodPost, "/api/v1/jobs", f.owner.AccessToken,
		map[string]any{"name": uniqueEmail("job"), "command": "build", "destination_connection_id": s.destOr(t, f, conn)}), http.StatusCreated)
}

// fieldErr finds the problem's error of field.
func fieldErr(t *testing.T, p api.Problem, field string) api.FieldError {
	t.Helper()
	require.NotNil(t, p.Errors)
	for _, e := range *p.Errors {
		if e.Field == field {
			return e
		}
	}
	require.Failf(t, "no error of the field", "%s in %+v", field, *p.Errors)
	return api.FieldError{}
}

func TestTransformations_CreateGetListWithDependsOnAndAudit(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	stg := s.createModel(t, f, conn, "stg_orders", "select 1 as id")
	require.Equal(t, "stg_orders.sql", stg.Path)
	require.Equal(t, api.Materialization("view"), stg.Materialization)
	require.Empty(t, stg.DependsOn)
	require.Equal(t, map[string]any{}, stg.Config)

	orders := decode[api.Transformation](t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken, map[string]any{
		"name": "orders", "sql_body": "select id from {{ ref('stg_orders') }}", "destination_connection_id": conn,
		"materialization": "table", "path": "marts/orders.sql", "tags": []string{"nightly"},
		"tests_config": map[string]any{"columns": map[string]any{"id": []any{"not_null", "unique"}}},
	}), http.StatusCreated)
	require.Equal(t, []string{"model.datanika.stg_orders"}, orders.DependsOn)
	require.Equal(t, "marts/orders.sql", orders.Path)
	require.Equal(t, []string{"nightly"}, orders.Tags)

	got := decode[api.Transformation](t, s.call(t, http.MethodGet, transformationPath(orders.Id), f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, orders, got)
	list := decode[api.TransformationList](t, s.call(t, http.MethodGet, "/api/v1/transformations?limit=1", f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, list.Items, 1)
	require.NotNil(t, list.NextCursor)
	list = decode[api.TransformationList](t, s.call(t, http.MethodGet, "/api/v1/transformations?cursor="+*list.NextCursor, f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, list.Items, 1)
	require.Equal(t, orders.DependsOn, list.Items[0].DependsOn)

	logs := decode[api.AuditLogList](t, s.call(t, http.MethodGet, "/api/v1/audit-logs?resource_type=transformation", f.owner.AccessToken, nil), http.StatusOK)
	require.Len(t, logs.Items, 2)
	require.Equal(t, "transformation.create", logs.Items[0].Action)
}

func TestTransformations_UnknownRefAnswers422AtItsPositionAndStoresNothing(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken, map[string]any{
		"name": "orders", "sql_body": "select *\nfrom  {{ ref('nope') }}", "destination_connection_id": conn, "path": "marts/orders.sql",
	}), http.StatusUnprocessableEntity)
	e := fieldErr(t, p, "sql_body")
	require.Contains(t, e.Message, "ref('nope')")
	require.Equal(t, "models/marts/orders.sql", *e.File)
	require.Equal(t, 2, *e.Line)
	require.Equal(t, 10, *e.Column)
	list := decode[api.TransformationList](t, s.call(t, http.MethodGet, "/api/v1/transformations", f.viewer.AccessToken, nil), http.StatusOK)
	require.Empty(t, list.Items)

	// An unknown source is refused the same way.
	p = decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken, map[string]any{
		"name": "orders", "sql_body": "select * from {{ source('raw', 'orders') }}", "destination_connection_id": conn,
	}), http.StatusUnprocessableEntity)
	e = fieldErr(t, p, "sql_body")
	require.Contains(t, e.Message, "source('raw', 'orders')")
	require.Equal(t, 1, *e.Line)
	require.Equal(t, 18, *e.Column)
}

func TestTransformations_JinjaErrorAnswers422WithLineAndColumn(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken, map[string]any{
		"name": "broken", "sql_body": "select 1\n{% if %}x{% endif %}", "destination_connection_id": conn,
	}), http.StatusUnprocessableEntity)
	e := fieldErr(t, p, "sql_body")
	require.Equal(t, "models/broken.sql", *e.File)
	require.Equal(t, 2, *e.Line, e.Message)
	require.NotNil(t, e.Column, e.Message)
	require.NotContains(t, e.Message, "models/broken.sql", "the file is its own field")

	// An undefined macro call is a template error at render time: refused too.
	p = decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken, map[string]any{
		"name": "broken", "sql_body": "select {{ no_such_macro() }}", "destination_connection_id": conn,
	}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldErr(t, p, "sql_body").Message, "no_such_macro")
}

func TestTransformations_CycleAnswers422WithThePath(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	a := s.createModel(t, f, conn, "a", "select 1 as id")
	s.createModel(t, f, conn, "b", "select * from {{ ref('a') }}")
	s.createModel(t, f, conn, "c", "select * from {{ ref('b') }}")
	p := decodeProblem(t, s.call(t, http.MethodPatch, transformationPath(a.Id), f.editor.AccessToken,
		map[string]any{"sql_body": "select * from {{ ref('c') }}"}), http.StatusUnprocessableEntity)
	e := fieldErr(t, p, "sql_body")
	require.Contains(t, e.Message, "dependency cycle")
	for _, name := range []string{"a", "b", "c"} {
		require.Contains(t, e.Message, name)
	}
	require.Contains(t, *p.Detail, "->")
	// Unchanged.
	got := decode[api.Transformation](t, s.call(t, http.MethodGet, transformationPath(a.Id), f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, "select 1 as id", got.SqlBody)
}

func TestTransformations_NameRulesAndConflicts(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	s.createModel(t, f, conn, "orders", "select 1 as id")
	for _, bad := range []string{"1orders", "my-model", "a b", ""} {
		p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken,
			map[string]any{"name": bad, "sql_body": "select 1", "destination_connection_id": conn}), http.StatusUnprocessableEntity)
		fieldErr(t, p, "name")
	}
	// Unique per org, case aside, even in another destination.
	other := s.createConnection(t, f).Id
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken,
		map[string]any{"name": "Orders", "sql_body": "select 1", "destination_connection_id": other}), http.StatusConflict)
	// Two models at one path.
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken,
		map[string]any{"name": "orders2", "sql_body": "select 1", "destination_connection_id": conn, "path": "orders.sql"}), http.StatusConflict)
	// Paths are relative .sql files.
	for _, bad := range []string{"../x.sql", "/abs.sql", "x.txt", "a//b.sql"} {
		p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken,
			map[string]any{"name": "p1", "sql_body": "select 1", "destination_connection_id": conn, "path": bad}), http.StatusUnprocessableEntity)
		fieldErr(t, p, "path")
	}
	// Bad config values.
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken, map[string]any{
		"name": "inc", "sql_body": "select 1", "destination_connection_id": conn, "materialization": "incremental",
		"incremental_config": map[string]any{"strategy": "upsert"}}), http.StatusUnprocessableEntity)
	fieldErr(t, p, "incremental_config.strategy")
	p = decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken, map[string]any{
		"name": "snap", "sql_body": "select 1", "destination_connection_id": conn, "materialization": "snapshot"}), http.StatusUnprocessableEntity)
	fieldErr(t, p, "snapshot_config.unique_key")
	// A destination that cannot hold models, and none with no Warehouse to default to.
	bucket := s.connectionOf(t, f, "s3", map[string]any{"bucket": "exports", "region": "eu-west-1"})
	p = decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken,
		map[string]any{"name": "x1", "sql_body": "select 1", "destination_connection_id": bucket.Id}), http.StatusUnprocessableEntity)
	fieldErr(t, p, "destination_connection_id")
	p = decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken,
		map[string]any{"name": "x1", "sql_body": "select 1"}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldErr(t, p, "destination_connection_id").Message, "Warehouse")
	// Viewers cannot write.
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.viewer.AccessToken,
		map[string]any{"name": "x2", "sql_body": "select 1", "destination_connection_id": conn}), http.StatusForbidden)
}

func TestTransformations_RenameAndDeleteMustNotBreakOtherModels(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	stg := s.createModel(t, f, conn, "stg", "select 1 as id")
	s.createModel(t, f, conn, "mart", "select * from {{ ref('stg') }}")

	p := decodeProblem(t, s.call(t, http.MethodPatch, transformationPath(stg.Id), f.editor.AccessToken,
		map[string]any{"name": "stg2"}), http.StatusUnprocessableEntity)
	e := fieldErr(t, p, "sql_body")
	require.Equal(t, "models/mart.sql", *e.File)
	require.Contains(t, e.Message, "ref('stg')")
	decodeProblem(t, s.call(t, http.MethodDelete, transformationPath(stg.Id), f.editor.AccessToken, nil), http.StatusUnprocessableEntity)
	decode[api.Transformation](t, s.call(t, http.MethodGet, transformationPath(stg.Id), f.viewer.AccessToken, nil), http.StatusOK)

	// A rename moves the default path with it; a change that breaks nothing is stored.
	other := s.createModel(t, f, conn, "lonely", "select 2 as id")
	renamed := decode[api.Transformation](t, s.call(t, http.MethodPatch, transformationPath(other.Id), f.editor.AccessToken,
		map[string]any{"name": "lonely2", "description": "d"}), http.StatusOK)
	require.Equal(t, "lonely2.sql", renamed.Path)
	require.Equal(t, "d", renamed.Description)
	s.call(t, http.MethodDelete, transformationPath(other.Id), f.editor.AccessToken, nil)
	decodeProblem(t, s.call(t, http.MethodGet, transformationPath(other.Id), f.viewer.AccessToken, nil), http.StatusNotFound)
}

func TestTransformations_CompileRendersRefsSourcesAndMacros(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	s.createModel(t, f, conn, "stg", "select 1 as id")
	s.createSource(t, f, conn, "raw")
	decode[api.Macro](t, s.call(t, http.MethodPost, "/api/v1/macros", f.editor.AccessToken, map[string]any{
		"name": "cents", "sql_body": "{% macro cents(col) %}({{ col }} * 100){% endmacro %}"}), http.StatusCreated)

	c := decode[api.CompileResult](t, s.call(t, http.MethodPost, "/api/v1/transformations/compile", f.viewer.AccessToken, map[string]any{
		"sql_body": "select {{ cents('o.amount') }} from {{ ref('stg') }} s join {{ source('raw', 'orders') }} o on true", "destination_connection_id": conn,
	}), http.StatusOK)
	require.Contains(t, c.CompiledSql, `"analytics"."stg"`)
	require.Contains(t, c.CompiledSql, `"raw"."orders"`)
	require.Contains(t, c.CompiledSql, "(o.amount * 100)")
	require.Equal(t, []string{"model.datanika.stg", "source.datanika.raw.orders"}, c.DependsOn)

	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations/compile", f.viewer.AccessToken, map[string]any{
		"sql_body": "select * from {{ ref('missing') }}", "destination_connection_id": conn}), http.StatusUnprocessableEntity)
	require.Equal(t, 1, *fieldErr(t, p, "sql_body").Line)

	// The saved model compiles in its project.
	m := s.createModel(t, f, conn, "mart", "select * from {{ ref('stg') }}")
	c = decode[api.CompileResult](t, s.call(t, http.MethodPost, transformationPath(m.Id)+"/compile", f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, `select * from "analytics"."stg"`, c.CompiledSql)
	require.Equal(t, []string{"model.datanika.stg"}, c.DependsOn)
}

func TestTransformations_CompilePlansOnTheDestination(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id

	ok := decode[api.CompileResult](t, s.call(t, http.MethodPost, "/api/v1/transformations/compile", f.viewer.AccessToken, map[string]any{
		"sql_body": "select relname from pg_catalog.pg_class", "destination_connection_id": conn}), http.StatusOK)
	require.True(t, ok.Plan.Checked, "%+v", ok.Plan)
	require.True(t, ok.Plan.Ok, "%+v", ok.Plan)

	bad := decode[api.CompileResult](t, s.call(t, http.MethodPost, "/api/v1/transformations/compile", f.viewer.AccessToken, map[string]any{
		"sql_body": "select relname,\n       no_such_column\nfrom pg_catalog.pg_class", "destination_connection_id": conn}), http.StatusOK)
	require.True(t, bad.Plan.Checked)
	require.False(t, bad.Plan.Ok)
	require.Contains(t, *bad.Plan.Message, "no_such_column")
	require.Equal(t, 2, *bad.Plan.Line)
	require.Equal(t, 8, *bad.Plan.Column)

	missing := decode[api.CompileResult](t, s.call(t, http.MethodPost, "/api/v1/transformations/compile", f.viewer.AccessToken, map[string]any{
		"sql_body": "select * from no_such_schema.no_such_table", "destination_connection_id": conn}), http.StatusOK)
	require.False(t, missing.Plan.Ok)
	require.Contains(t, *missing.Plan.Message, "no_such_schema")

	// EXPLAIN ANALYZE would run the query: what is not a query is not planned.
	smuggled := decode[api.CompileResult](t, s.call(t, http.MethodPost, "/api/v1/transformations/compile", f.viewer.AccessToken, map[string]any{
		"sql_body": "analyze select pg_sleep(5)", "destination_connection_id": conn}), http.StatusOK)
	require.False(t, smuggled.Plan.Checked)
	require.Contains(t, *smuggled.Plan.Message, "only a query")

	// A model over one not built yet says so instead of failing.
	s.createModel(t, f, conn, "stg_unbuilt", "select 1 as id")
	waits := decode[api.CompileResult](t, s.call(t, http.MethodPost, "/api/v1/transformations/compile", f.viewer.AccessToken, map[string]any{
		"sql_body": "select id from {{ ref('stg_unbuilt') }}", "destination_connection_id": conn}), http.StatusOK)
	require.True(t, waits.Plan.Ok)
	require.Equal(t, []string{"model.datanika.stg_unbuilt"}, waits.Plan.Unbuilt)
	require.Contains(t, *waits.Plan.Message, "not built yet")
}

func TestTransformations_PreviewRunsReadOnlyWithARowCap(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	m := s.createModel(t, f, conn, "numbers", "select g as n, 'row ' || g as label from generate_series(1, 800) g order by g")
	res := decode[api.PreviewResult](t, s.call(t, http.MethodPost, transformationPath(m.Id)+"/preview", f.viewer.AccessToken,
		map[string]any{"limit": 3}), http.StatusOK)
	require.Equal(t, []string{"n", "label"}, res.Columns)
	require.Equal(t, [][]any{{float64(1), "row 1"}, {float64(2), "row 2"}, {float64(3), "row 3"}}, res.Rows)
	all := decode[api.PreviewResult](t, s.call(t, http.MethodPost, transformationPath(m.Id)+"/preview", f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, all.Rows, 500, "capped")
	decodeProblem(t, s.call(t, http.MethodPost, transformationPath(m.Id)+"/preview", f.viewer.AccessToken, map[string]any{"limit": 501}), http.StatusUnprocessableEntity)

	// The query runs in a read-only transaction.
	ro := s.createModel(t, f, conn, "ro", "select current_setting('transaction_read_only') as ro")
	res = decode[api.PreviewResult](t, s.call(t, http.MethodPost, transformationPath(ro.Id)+"/preview", f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, [][]any{{"on"}}, res.Rows)

	// The destination's error is a 422 naming what failed, never the connection's secret.
	w := s.createModel(t, f, conn, "broken_query", "select * from pg_catalog.no_such_table_at_all")
	p := decodeProblem(t, s.call(t, http.MethodPost, transformationPath(w.Id)+"/preview", f.viewer.AccessToken, nil), http.StatusUnprocessableEntity)
	require.Contains(t, fieldErr(t, p, "sql_body").Message, "no_such_table_at_all")
	require.NotContains(t, *p.Detail, "secret-pw")
}
