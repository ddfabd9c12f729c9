package server

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/connection"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/standard"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/testutil"
)

func TestMacros_CheckedInEveryProjectAndRefusedWhileUsed(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id

	// A Jinja error in the macro file itself, with no project yet.
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/macros", f.editor.AccessToken, map[string]any{
		"name": "bad", "sql_body": "{% macro bad() %}\n{{ 1 + }}\n{% endmacro %}"}), http.StatusUnprocessableEntity)
	e := fieldErr(t, p, "macros")
	require.Equal(t, "macros/bad.sql", *e.File)
	require.Equal(t, 2, *e.Line, e.Message)

	m := decode[api.Macro](t, s.call(t, http.MethodPost, "/api/v1/macros", f.editor.AccessToken, map[string]any{
		"name": "cents", "description": "money", "sql_body": "{% macro cents(col) %}({{ col }} * 100){% endmacro %}"}), http.StatusCreated)
	require.Equal(t, "money", m.Description)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/macros", f.editor.AccessToken, map[string]any{
		"name": "Cents", "sql_body": "{% macro x() %}{% endmacro %}"}), http.StatusConflict)
	fieldErr(t, decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/macros", f.editor.AccessToken, map[string]any{
		"name": "no-dash", "sql_body": "{% macro x() %}{% endmacro %}"}), http.StatusUnprocessableEntity), "name")

	s.createModel(t, f, conn, "paid", "select {{ cents('amount') }} as c from (select 1 as amount) t")
	// Renaming the macro inside the file breaks the model: refused with the model's position.
	p = decodeProblem(t, s.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/macros/%d", m.Id), f.editor.AccessToken, map[string]any{
		"sql_body": "{% macro dollars(col) %}{{ col }}{% endmacro %}"}), http.StatusUnprocessableEntity)
	require.Equal(t, "models/paid.sql", *fieldErr(t, p, "sql_body").File)
	decodeProblem(t, s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/macros/%d", m.Id), f.editor.AccessToken, nil), http.StatusUnprocessableEntity)
	got := decode[api.Macro](t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/macros/%d", m.Id), f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, m, got)

	// A compatible change is stored; an unused macro is deleted.
	changed := decode[api.Macro](t, s.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/macros/%d", m.Id), f.editor.AccessToken, map[string]any{
		"sql_body": "{% macro cents(col) %}round({{ col }} * 100){% endmacro %}"}), http.StatusOK)
	require.Contains(t, changed.SqlBody, "round")
	other := s.createMacro(t, f)
	s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/macros/%d", other.Id), f.editor.AccessToken, nil)
	list := decode[api.MacroList](t, s.call(t, http.MethodGet, "/api/v1/macros", f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, list.Items, 1)
}

func TestSeeds_FromAnUploadedCSVAndReadByRef(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	file := s.uploadFile(t, f) // orders.csv: id,amount with one row
	seed := decode[api.Seed](t, s.call(t, http.MethodPost, "/api/v1/seeds", f.editor.AccessToken, map[string]any{
		"file_id": file.Id, "destination_connection_id": conn, "column_types": map[string]string{"amount": "numeric"}}), http.StatusCreated)
	require.Equal(t, "orders", seed.Name, "named after the file")
	require.Equal(t, int64(1), seed.RowCount)
	require.Equal(t, file.Id, *seed.FileId)
	require.Equal(t, map[string]string{"amount": "numeric"}, seed.ColumnTypes)

	m := s.createModel(t, f, conn, "big_orders", "select * from {{ ref('orders') }} where amount > 1")
	require.Equal(t, []string{"seed.datanika.orders"}, m.DependsOn)
	// A model of the seed's name could not be told apart by ref().
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken,
		map[string]any{"name": "orders", "sql_body": "select 1", "destination_connection_id": conn}), http.StatusConflict)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/seeds", f.editor.AccessToken, map[string]any{
		"file_id": file.Id, "destination_connection_id": conn}), http.StatusConflict)
	// Still read: refused.
	decodeProblem(t, s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/seeds/%d", seed.Id), f.editor.AccessToken, nil), http.StatusUnprocessableEntity)

	// Unhappy: a missing file, a file of another org, a file that is not CSV.
	g := s.newOrg(t)
	theirs := s.uploadFile(t, g)
	for _, id := range []int64{999999999, theirs.Id} {
		p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/seeds", f.editor.AccessToken, map[string]any{
			"name": "s2", "file_id": id, "destination_connection_id": conn}), http.StatusUnprocessableEntity)
		require.Equal(t, "no such file", fieldErr(t, p, "file_id").Message)
	}
	jsonl := decode[api.File](t, s.call(t, http.MethodPost, "/api/v1/files", f.owner.AccessToken, upload{"file", "rows.jsonl", []byte("{\"a\":1}\n")}), http.StatusCreated)
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/seeds", f.editor.AccessToken, map[string]any{
		"name": "s3", "file_id": jsonl.Id, "destination_connection_id": conn}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldErr(t, p, "file_id").Message, "CSV")

	list := decode[api.SeedList](t, s.call(t, http.MethodGet, "/api/v1/seeds", f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, []api.Seed{seed}, list.Items)
}

func TestSources_TablesFreshnessAndUse(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	src := decode[api.Source](t, s.call(t, http.MethodPost, "/api/v1/sources", f.editor.AccessToken, map[string]any{
		"name": "shop", "schema_name": "raw_shop", "connection_id": conn,
		"tables": []any{map[string]any{"name": "orders", "loaded_at_field": "updated_at",
			"freshness": map[string]any{"warn_after": map[string]any{"count": 12, "period": "hour"}, "error_after": map[string]any{"count": 1, "period": "day"}}}},
	}), http.StatusCreated)
	require.Equal(t, "orders", src.Tables[0].Name)
	require.Equal(t, 12, src.Tables[0].Freshness.WarnAfter.Count)

	m := s.createModel(t, f, conn, "orders", "select * from {{ source('shop', 'orders') }}")
	require.Equal(t, []string{"source.datanika.shop.orders"}, m.DependsOn)
	c := decode[api.CompileResult](t, s.call(t, http.MethodPost, transformationPath(m.Id)+"/compile", f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, `select * from "raw_shop"."orders"`, c.CompiledSql)

	// Removing the table a model reads is refused; so is deleting the source.
	p := decodeProblem(t, s.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/sources/%d", src.Id), f.editor.AccessToken,
		map[string]any{"tables": []any{map[string]any{"name": "customers"}}}), http.StatusUnprocessableEntity)
	require.Equal(t, "models/orders.sql", *fieldErr(t, p, "sql_body").File)
	decodeProblem(t, s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/sources/%d", src.Id), f.editor.AccessToken, nil), http.StatusUnprocessableEntity)
	// Adding one is fine.
	changed := decode[api.Source](t, s.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/sources/%d", src.Id), f.editor.AccessToken,
		map[string]any{"tables": []any{map[string]any{"name": "orders"}, map[string]any{"name": "customers"}}}), http.StatusOK)
	require.Len(t, changed.Tables, 2)

	// Unhappy: a bad freshness, a duplicate table, a bad schema name, a duplicate source.
	bad := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/sources", f.editor.AccessToken, map[string]any{
		"name": "s2", "schema_name": "raw", "connection_id": conn,
		"tables": []any{map[string]any{"name": "a", "freshness": map[string]any{"warn_after": map[string]any{"count": 0, "period": "hour"}}}}}), http.StatusUnprocessableEntity)
	fieldErr(t, bad, "tables.0.freshness.warn_after.count")
	bad = decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/sources", f.editor.AccessToken, map[string]any{
		"name": "s2", "schema_name": "raw", "connection_id": conn,
		"tables": []any{map[string]any{"name": "a", "freshness": map[string]any{"warn_after": map[string]any{"count": 2, "period": "hour"}}},
			map[string]any{"name": "a"}}}), http.StatusUnprocessableEntity)
	fieldErr(t, bad, "tables[0].loaded_at_field")
	fieldErr(t, bad, "tables[1].name")
	fieldErr(t, decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/sources", f.editor.AccessToken, map[string]any{
		"name": "s3", "schema_name": "raw-x", "connection_id": conn, "tables": []any{}}), http.StatusUnprocessableEntity), "schema_name")
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/sources", f.editor.AccessToken, map[string]any{
		"name": "shop", "schema_name": "raw", "connection_id": conn, "tables": []any{}}), http.StatusConflict)
}

func TestJobs_SelectorCheckedAgainstTheProject(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	s.createModel(t, f, conn, "stg", "select 1 as id")
	j := decode[api.Job](t, s.call(t, http.MethodPost, "/api/v1/jobs", f.editor.AccessToken, map[string]any{
		"name": "Nightly", "command": "build", "select": "+stg", "full_refresh": true, "destination_connection_id": conn}), http.StatusCreated)
	require.Equal(t, 4, j.Threads)
	require.Equal(t, "+stg", j.Select)
	require.True(t, j.FullRefresh)

	fieldErr(t, decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/jobs", f.editor.AccessToken, map[string]any{
		"name": "Bad", "command": "build", "select": "colour:blue", "destination_connection_id": conn}), http.StatusUnprocessableEntity), "select")
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/jobs", f.editor.AccessToken, map[string]any{
		"name": "Bad", "command": "deploy", "destination_connection_id": conn}), http.StatusUnprocessableEntity)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/jobs", f.editor.AccessToken, map[string]any{
		"name": "nightly", "command": "run", "destination_connection_id": conn}), http.StatusConflict)

	changed := decode[api.Job](t, s.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/jobs/%d", j.Id), f.editor.AccessToken,
		map[string]any{"threads": 8, "command": "test"}), http.StatusOK)
	require.Equal(t, 8, changed.Threads)
	require.Equal(t, api.JobCommand("test"), changed.Command)
	require.Equal(t, "+stg", changed.Select)

	s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/jobs/%d", j.Id), f.editor.AccessToken, nil)
	decodeProblem(t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/jobs/%d", j.Id), f.viewer.AccessToken, nil), http.StatusNotFound)
}

func TestSources_EachPipelineContributesItsSchemaWithTheTablesItLoaded(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	src, dst := s.createConnection(t, f), s.createConnection(t, f)
	pl := decode[api.Pipeline](t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.owner.AccessToken, map[string]any{
		"name": "Raw shop", "source_connection_id": src.Id, "destination_connection_id": dst.Id, "destination_schema": "raw"}), http.StatusCreated)
	// Before a load the schema has no tables: source('raw', 'orders') is unknown.
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken, map[string]any{
		"name": "orders", "sql_body": "select * from {{ source('raw', 'orders') }}", "destination_connection_id": dst.Id}), http.StatusUnprocessableEntity)

	// A load records its tables in the destination's catalog (internal/run); then it resolves.
	ctx := context.Background()
	require.NoError(t, database.InTx(ctx, s.pool, database.Scope{OrgID: f.orgID}, func(tx pgx.Tx) error {
		return dbgen.New(tx).UpsertSourceCatalogEntry(ctx, dbgen.UpsertSourceCatalogEntryParams{
			OrgID: f.orgID, ConnectionID: dst.Id, SchemaName: pl.DestinationSchema, TableName: "orders", Columns: []byte("[]")})
	}))
	m := decode[api.Transformation](t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken, map[string]any{
		"name": "orders", "sql_body": "select * from {{ source('raw', 'orders') }}", "destination_connection_id": dst.Id}), http.StatusCreated)
	require.Equal(t, []string{"source.datanika.raw.orders"}, m.DependsOn)
	// Only in the project of the pipeline's destination.
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken, map[string]any{
		"name": "orders2", "sql_body": "select * from {{ source('raw', 'orders') }}", "destination_connection_id": src.Id}), http.StatusUnprocessableEntity)
}

func TestConnections_DeleteIsRefusedWhileJobsSeedsOrSourcesUseIt(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	for _, make := range []func(conn int64) string{
		func(conn int64) string { s.createJob(t, f, conn); return "job" },
		func(conn int64) string { s.createSeed(t, f, conn); return "seed" },
		func(conn int64) string { s.createSource(t, f, conn, uniqueIdent("src")); return "source" },
	} {
		conn := s.createConnection(t, f).Id
		kind := make(conn)
		p := decodeProblem(t, s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/connections/%d", conn), f.admin.AccessToken, nil), http.StatusConflict)
		require.Contains(t, *p.Detail, kind+" ")
	}
}

func TestTransformations_TheWarehouseIsTheDefaultDestination(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	require.NoError(t, connection.New(s.pool, standard.Registry(), testKeyring(t), connectors.Env{}, testutil.Logger()).
		UpsertManaged(context.Background(), f.orgID, localPostgres("warehouse-pw")))
	conns := decode[api.ConnectionList](t, s.call(t, http.MethodGet, "/api/v1/connections", f.viewer.AccessToken, nil), http.StatusOK)
	var warehouse int64
	for _, c := range conns.Items {
		if c.Managed {
			warehouse = c.Id
		}
	}
	require.NotZero(t, warehouse)
	m := decode[api.Transformation](t, s.call(t, http.MethodPost, "/api/v1/transformations", f.editor.AccessToken,
		map[string]any{"name": "in_the_warehouse", "sql_body": "select 1 as id"}), http.StatusCreated)
	require.Equal(t, warehouse, m.DestinationConnectionId)
	c := decode[api.CompileResult](t, s.call(t, http.MethodPost, "/api/v1/transformations/compile", f.viewer.AccessToken,
		map[string]any{"sql_body": "select * from {{ ref('in_the_warehouse') }}"}), http.StatusOK)
	require.Equal(t, []string{"model.datanika.in_the_warehouse"}, c.DependsOn)
	require.True(t, c.Plan.Checked, "the Warehouse is reached through its own dialer: %v", c.Plan.Message)
	j := decode[api.Job](t, s.call(t, http.MethodPost, "/api/v1/jobs", f.editor.AccessToken, map[string]any{"name": "nightly", "command": "build"}), http.StatusCreated)
	require.Equal(t, warehouse, j.DestinationConnectionId)
	files := s.export(t, f.viewer.AccessToken, "")
	require.Contains(t, files, "models/in_the_warehouse.sql")
}

func TestJobs_PlanListsTheNodesTheSelectorPicksInRunOrder(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	s.createModel(t, f, conn, "stg", "select 1 as id")
	s.createModel(t, f, conn, "orders", "select * from {{ ref('stg') }}")
	s.createModel(t, f, conn, "other", "select 2 as id")
	plan := func(body map[string]any) []string {
		t.Helper()
		body["destination_connection_id"] = conn
		p := decode[api.JobPlan](t, s.call(t, http.MethodPost, "/api/v1/jobs/plan", f.viewer.AccessToken, body), http.StatusOK)
		names := []string{}
		for _, n := range p.Nodes {
			require.Equal(t, api.JobPlanNodeResourceType("model"), n.ResourceType)
			require.Equal(t, "model.datanika."+n.Name, n.UniqueId)
			names = append(names, n.Name)
		}
		return names
	}
	require.Equal(t, []string{"stg", "orders"}, plan(map[string]any{"command": "run", "select": "stg+"}))
	require.Equal(t, []string{"stg"}, plan(map[string]any{"command": "build", "select": "stg+", "exclude": "orders"}))
	require.ElementsMatch(t, []string{"stg", "orders", "other"}, plan(map[string]any{"command": "run"}))
	require.Empty(t, plan(map[string]any{"command": "seed", "select": "stg+"}))
	require.Empty(t, plan(map[string]any{"command": "run", "select": "nothing_by_this_name"}))

	// Nothing was stored.
	list := decode[api.JobList](t, s.call(t, http.MethodGet, "/api/v1/jobs", f.viewer.AccessToken, nil), http.StatusOK)
	require.Empty(t, list.Items)

	fieldErr(t, decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/jobs/plan", f.viewer.AccessToken, map[string]any{
		"command": "run", "select": "colour:blue", "destination_connection_id": conn}), http.StatusUnprocessableEntity), "select")
	fieldErr(t, decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/jobs/plan", f.viewer.AccessToken, map[string]any{
		"command": "deploy", "destination_connection_id": conn}), http.StatusUnprocessableEntity), "command")
	// Another org's connection is no connection of this org.
	g := s.newOrg(t)
	fieldErr(t, decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/jobs/plan", g.viewer.AccessToken, map[string]any{
		"command": "run", "destination_connection_id": conn}), http.StatusUnprocessableEntity), "destination_connection_id")
}
