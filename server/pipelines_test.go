package server

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/connectors/builtin"
)

// The pipeline operations in the RBAC and cross-tenant tables (rbac_test.go walks openapi.yaml
// and fails for an operation without them).
func init() {
	requestBuilders["listPipelines"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/pipelines", nil}
	}
	requestBuilders["createPipeline"] = func(t *testing.T, s *testServer, f orgFixture) request {
		c := s.createConnection(t, f)
		return request{http.MethodPost, "/api/v1/pipelines", map[string]any{"name": uniqueEmail("pipe"), "source_connection_id": c.Id, "destination_connection_id": c.Id}}
	}
	requestBuilders["getPipeline"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/pipelines/%d", s.createPipeline(t, f).Id), nil}
	}
	requestBuilders["updatePipeline"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/pipelines/%d", s.createPipeline(t, f).Id), map[string]any{"name": uniqueEmail("renamed")}}
	}
	requestBuilders["deletePipeline"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/pipelines/%d", s.createPipeline(t, f).Id), nil}
	}
	crossTenantTargets["getPipeline"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/pipelines/%d", s.createPipeline(t, g).Id), nil}
	}
	crossTenantTargets["updatePipeline"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/pipelines/%d", s.createPipeline(t, g).Id), map[string]any{"name": "stolen"}}
	}
	crossTenantTargets["deletePipeline"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/pipelines/%d", s.createPipeline(t, g).Id), nil}
	}
}

// createPipeline creates a pipeline from and to one new PostgreSQL connection as f's owner.
func (s *testServer) createPipeline(t *testing.T, f orgFixture) api.Pipeline {
	t.Helper()
	c := s.createConnection(t, f)
	return decode[api.Pipeline](t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.owner.AccessToken,
		map[string]any{"name": uniqueEmail("pipe"), "source_connection_id": c.Id, "destination_connection_id": c.Id}), http.StatusCreated)
}

// connectionOf creates a connection of any type as f's owner.
func (s *testServer) connectionOf(t *testing.T, f orgFixture, typ string, cfg map[string]any) api.Connection {
	t.Helper()
	return decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", f.owner.AccessToken,
		map[string]any{"name": uniqueEmail(typ), "type": typ, "config": cfg}), http.StatusCreated)
}

func pipelinePath(id int64) string { return fmt.Sprintf("/api/v1/pipelines/%d", id) }

// defaultConfig is the config of a pipeline created without one, as GET shows it.
var defaultConfig = map[string]any{
	"mode": "full_database", "write_disposition": "append", "batch_size": float64(50000), "verify": "count", "naming": "snake_case",
	"schema_contract": map[string]any{"tables": "evolve", "columns": "evolve", "data_type": "evolve"},
}

func TestPipelines_CreateFillsInTheDefaultsAndTheSchemaFromTheName(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	src, dst := s.createConnection(t, f), s.createConnection(t, f)
	created := decode[api.Pipeline](t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken, map[string]any{
		"name": "  Shop Orders (EU) ", "source_connection_id": src.Id, "destination_connection_id": dst.Id,
	}), http.StatusCreated)
	require.Equal(t, "Shop Orders (EU)", created.Name)
	require.Equal(t, "shop_orders_eu", created.DestinationSchema)
	require.Equal(t, api.PipelineStatus("active"), created.Status, "a valid pipeline is ready to run unless asked otherwise")
	require.Equal(t, defaultConfig, created.Config)
	require.Equal(t, "", created.Description)
	require.Nil(t, created.LastRun)
	require.Equal(t, src.Id, created.SourceConnectionId)
	require.Equal(t, dst.Id, created.DestinationConnectionId)

	got := decode[api.Pipeline](t, s.call(t, http.MethodGet, pipelinePath(created.Id), f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, created, got)

	// A config as given comes back normalised: the key as a list, the contract spelled out,
	// the incremental defaults filled, every default present.
	single := decode[api.Pipeline](t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken, map[string]any{
		"name": "Orders merge", "description": "orders by id", "source_connection_id": src.Id, "destination_connection_id": dst.Id,
		"destination_schema": "Raw_Orders", "status": "draft",
		"config": map[string]any{"mode": "single_table", "table": "public.orders", "write_disposition": "merge", "primary_key": "id",
			"incremental": map[string]any{"cursor_path": "updated_at"}, "schema_contract": "freeze", "batch_size": 1000,
			"filters": []any{map[string]any{"column": "status", "op": "in", "value": []any{"paid", "sent"}}}},
	}), http.StatusCreated)
	require.Equal(t, "Raw_Orders", single.DestinationSchema)
	require.Equal(t, api.PipelineStatus("draft"), single.Status)
	require.Equal(t, "orders by id", single.Description)
	require.Equal(t, map[string]any{
		"mode": "single_table", "table": "public.orders", "write_disposition": "merge", "primary_key": []any{"id"},
		"incremental": map[string]any{"cursor_path": "updated_at", "row_order": "asc"}, "batch_size": float64(1000),
		"schema_contract": map[string]any{"tables": "freeze", "columns": "freeze", "data_type": "freeze"},
		"filters":         []any{map[string]any{"column": "status", "op": "in", "value": []any{"paid", "sent"}}},
		"verify":          "count", "naming": "snake_case",
	}, single.Config)

	// The audit log records who created what.
	logs := decode[api.AuditLogList](t, s.call(t, http.MethodGet, "/api/v1/audit-logs?resource_type=pipeline", f.owner.AccessToken, nil), http.StatusOK)
	require.Len(t, logs.Items, 2)
	require.Equal(t, "pipeline.create", logs.Items[0].Action)
	require.Equal(t, f.editor.User.Id, *logs.Items[0].Actor.Id)
}

func TestPipelines_InvalidInputAnswers422WithTheFieldPathAndStoresNothing(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f, g := s.newOrg(t), s.newOrg(t)
	pg := s.createConnection(t, f)
	theirs := s.createConnection(t, g)
	restAPI := s.connectionOf(t, f, "rest_api", map[string]any{"base_url": "https://api.example.com", "resources": []any{map[string]any{"name": "orders", "path": "/orders"}}})
	bucket := s.connectionOf(t, f, "s3", map[string]any{"bucket": "exports", "region": "eu-west-1"})

	body := func(name string, cfg map[string]any, extra ...any) map[string]any {
		b := map[string]any{"name": name, "source_connection_id": pg.Id, "destination_connection_id": pg.Id}
		if cfg != nil {
			b["config"] = cfg
		}
		for i := 0; i+1 < len(extra); i += 2 {
			b[extra[i].(string)] = extra[i+1]
		}
		return b
	}
	single := func(kv ...any) map[string]any {
		m := map[string]any{"mode": "single_table", "table": "public.orders"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		// SPEC §6, rule by rule.
		{"single_table needs a table", body("p", map[string]any{"mode": "single_table"}), "config.table"},
		{"single_table forbids table_names", body("p", single("table_names", []any{"a"})), "config.table_names"},
		{"single_table forbids merge_config", body("p", single("merge_config", map[string]any{"a": map[string]any{"primary_key": "id"}})), "config.merge_config"},
		{"full_database forbids table", body("p", map[string]any{"table": "public.orders"}), "config.table"},
		{"full_database forbids incremental", body("p", map[string]any{"incremental": map[string]any{"cursor_path": "u"}}), "config.incremental"},
		{"merge needs a primary key", body("p", single("write_disposition", "merge")), "config.primary_key"},
		{"merge of a database needs merge_config", body("p", map[string]any{"write_disposition": "merge"}), "config.merge_config"},
		{"merge_config entries need a key", body("p", map[string]any{"write_disposition": "merge", "merge_config": map[string]any{"orders": map[string]any{}}}), "config.merge_config.orders.primary_key"},
		{"incremental needs cursor_path", body("p", single("incremental", map[string]any{"row_order": "asc"})), "config.incremental.cursor_path"},
		{"row_order is asc or desc", body("p", single("incremental", map[string]any{"cursor_path": "u", "row_order": "up"})), "config.incremental.row_order"},
		{"batch_size is positive", body("p", map[string]any{"batch_size": 0}), "config.batch_size"},
		{"batch_size is an integer", body("p", map[string]any{"batch_size": 2.5}), "config.batch_size"},
		{"batch_size is a number", body("p", map[string]any{"batch_size": "many"}), "config.batch_size"},
		{"contract values from the list", body("p", map[string]any{"schema_contract": map[string]any{"tables": "maybe"}}), "config.schema_contract.tables"},
		{"contract keys from the list", body("p", map[string]any{"schema_contract": map[string]any{"colour": "evolve"}}), "config.schema_contract.colour"},
		{"filter ops from the list", body("p", map[string]any{"filters": []any{map[string]any{"column": "a", "op": "like", "value": "x"}}}), "config.filters[0].op"},
		{"write_disposition from the list", body("p", map[string]any{"write_disposition": "upsert"}), "config.write_disposition"},
		{"unknown config keys", body("p", map[string]any{"colour": "red"}), "config.colour"},
		// The pipeline's own fields.
		{"blank name", body("   ", nil), "name"},
		{"schema with a dash", body("p", nil, "destination_schema", "raw-data"), "destination_schema"},
		{"schema starting with a digit", body("p", nil, "destination_schema", "1raw"), "destination_schema"},
		{"schema longer than 63 bytes", body("p", nil, "destination_schema", strings.Repeat("s", 64)), "destination_schema"},
		{"schema of the system", body("p", nil, "destination_schema", "pg_catalog"), "destination_schema"},
		{"default schema of the system", body("pg_temp", nil), "destination_schema"},
		{"status error is the platform's", body("p", nil, "status", "error"), "status"},
		// The connections: of this org, able to play their part, and driven by the load engine.
		{"missing source", body("p", nil, "source_connection_id", 987654321), "source_connection_id"},
		{"another org's source", body("p", nil, "source_connection_id", theirs.Id), "source_connection_id"},
		{"another org's destination", body("p", nil, "destination_connection_id", theirs.Id), "destination_connection_id"},
		{"a source-only type as destination", body("p", nil, "destination_connection_id", restAPI.Id), "destination_connection_id"},
		// Every source type this installation offers is one the engine reads (file, s3 and
		// rest_api included), so no "source the engine cannot read" case can be made here;
		// load.SupportsSource's own test keeps that rule.
		{"a destination the engine cannot load into", body("p", nil, "destination_connection_id", bucket.Id), "destination_connection_id"},
	}
	for _, tc := range cases {
		p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken, tc.body), http.StatusUnprocessableEntity)
		require.Equal(t, api.ErrorCodeValidationFailed, *p.Code, tc.name)
		require.Contains(t, fieldsOf(p), tc.field, "%s: %s", tc.name, *p.Detail)
		if strings.Contains(tc.name, "another org") {
			require.Equal(t, "no such connection", fieldsOf(p)[tc.field], "another org's connection looks missing")
		}
	}

	// Every problem is reported at once.
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken,
		body(" ", map[string]any{"mode": "single_table", "batch_size": -1}, "source_connection_id", theirs.Id)), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"config.batch_size", "config.table", "name", "source_connection_id"}, slices.Sorted(maps.Keys(fieldsOf(p))))

	list := decode[api.PipelineList](t, s.call(t, http.MethodGet, "/api/v1/pipelines", f.viewer.AccessToken, nil), http.StatusOK)
	require.Empty(t, list.Items)
	require.Nil(t, list.NextCursor)
}

func TestPipelines_DuplicateNamesAnswer409AmongLivePipelines(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f, g := s.newOrg(t), s.newOrg(t)
	c := s.createConnection(t, f)
	create := func(tok, name string, conn int64) *httptest.ResponseRecorder {
		return s.call(t, http.MethodPost, "/api/v1/pipelines", tok, map[string]any{"name": name, "source_connection_id": conn, "destination_connection_id": conn})
	}
	first := decode[api.Pipeline](t, create(f.editor.AccessToken, "Orders", c.Id), http.StatusCreated)
	p := decodeProblem(t, create(f.editor.AccessToken, " ORDERS ", c.Id), http.StatusConflict)
	require.Equal(t, api.ErrorCodeConflict, *p.Code)

	// Renaming onto another pipeline's name is a conflict too.
	other := decode[api.Pipeline](t, create(f.editor.AccessToken, "Customers", c.Id), http.StatusCreated)
	decodeProblem(t, s.call(t, http.MethodPatch, pipelinePath(other.Id), f.editor.AccessToken, map[string]any{"name": "orders"}), http.StatusConflict)

	// Another org has its own names.
	gc := s.createConnection(t, g)
	decode[api.Pipeline](t, create(g.editor.AccessToken, "Orders", gc.Id), http.StatusCreated)

	// A deleted pipeline's name is free again.
	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, pipelinePath(first.Id), f.editor.AccessToken, nil).Code)
	again := decode[api.Pipeline](t, create(f.editor.AccessToken, "orders", c.Id), http.StatusCreated)
	require.NotEqual(t, first.Id, again.Id)
}

func TestPipelines_ViewersReadButCannotWrite(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	pl := s.createPipeline(t, f)
	c := s.createConnection(t, f)
	decode[api.PipelineList](t, s.call(t, http.MethodGet, "/api/v1/pipelines", f.viewer.AccessToken, nil), http.StatusOK)
	decode[api.Pipeline](t, s.call(t, http.MethodGet, pipelinePath(pl.Id), f.viewer.AccessToken, nil), http.StatusOK)
	for _, r := range []request{
		{http.MethodPost, "/api/v1/pipelines", map[string]any{"name": "mine", "source_connection_id": c.Id, "destination_connection_id": c.Id}},
		{http.MethodPatch, pipelinePath(pl.Id), map[string]any{"name": "mine"}},
		{http.MethodDelete, pipelinePath(pl.Id), nil},
	} {
		p := decodeProblem(t, s.call(t, r.method, r.path, f.viewer.AccessToken, r.body), http.StatusForbidden)
		require.Equal(t, api.ErrorCodeForbidden, *p.Code)
	}
	list := decode[api.PipelineList](t, s.call(t, http.MethodGet, "/api/v1/pipelines", f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, list.Items, 1)
	require.Equal(t, pl.Name, list.Items[0].Name)
}

func TestPipelines_AnotherOrgsPipelineIs404AndUnchanged(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f, g := s.newOrg(t), s.newOrg(t)
	theirs := s.createPipeline(t, g)
	mine := s.createConnection(t, f)
	for _, r := range []request{
		{http.MethodGet, pipelinePath(theirs.Id), nil},
		{http.MethodPatch, pipelinePath(theirs.Id), map[string]any{"name": "stolen"}},
		{http.MethodPatch, pipelinePath(theirs.Id), map[string]any{"source_connection_id": mine.Id}},
		{http.MethodDelete, pipelinePath(theirs.Id), nil},
	} {
		p := decodeProblem(t, s.call(t, r.method, r.path, f.owner.AccessToken, r.body), http.StatusNotFound)
		require.Equal(t, api.ErrorCodeNotFound, *p.Code)
	}
	list := decode[api.PipelineList](t, s.call(t, http.MethodGet, "/api/v1/pipelines", f.owner.AccessToken, nil), http.StatusOK)
	require.Empty(t, list.Items)
	got := decode[api.Pipeline](t, s.call(t, http.MethodGet, pipelinePath(theirs.Id), g.owner.AccessToken, nil), http.StatusOK)
	require.Equal(t, theirs, got)

	// Nor can g's own pipeline be pointed at f's connections.
	p := decodeProblem(t, s.call(t, http.MethodPatch, pipelinePath(theirs.Id), g.owner.AccessToken,
		map[string]any{"destination_connection_id": mine.Id}), http.StatusUnprocessableEntity)
	require.Equal(t, "no such connection", fieldsOf(p)["destination_connection_id"])
}

func TestPipelines_RenameKeepsTheDestinationSchema(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	pl := s.createPipeline(t, f)
	renamed := decode[api.Pipeline](t, s.call(t, http.MethodPatch, pipelinePath(pl.Id), f.editor.AccessToken,
		map[string]any{"name": "Totally New Name", "description": "moved", "status": "paused"}), http.StatusOK)
	require.Equal(t, "Totally New Name", renamed.Name)
	require.Equal(t, "moved", renamed.Description)
	require.Equal(t, api.PipelineStatus("paused"), renamed.Status)
	require.Equal(t, pl.DestinationSchema, renamed.DestinationSchema, "renaming never moves data")
	require.Equal(t, pl.Config, renamed.Config)

	// The schema is not a field of a change at all.
	p := decodeProblem(t, s.call(t, http.MethodPatch, pipelinePath(pl.Id), f.editor.AccessToken, map[string]any{"destination_schema": "elsewhere"}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "destination_schema")
	got := decode[api.Pipeline](t, s.call(t, http.MethodGet, pipelinePath(pl.Id), f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, pl.DestinationSchema, got.DestinationSchema)
	require.Equal(t, "Totally New Name", got.Name)

	logs := decode[api.AuditLogList](t, s.call(t, http.MethodGet, "/api/v1/audit-logs?action=pipeline.update", f.owner.AccessToken, nil), http.StatusOK)
	require.Len(t, logs.Items, 1)
	require.Equal(t, pl.Name, (*logs.Items[0].OldValues)["name"])
	require.Equal(t, "Totally New Name", (*logs.Items[0].NewValues)["name"])
}

func TestPipelines_PatchRevalidatesTheConfigAndTheConnections(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	pl := s.createPipeline(t, f)
	restAPI := s.connectionOf(t, f, "rest_api", map[string]any{"base_url": "https://api.example.com", "resources": []any{map[string]any{"name": "orders", "path": "/orders"}}})

	p := decodeProblem(t, s.call(t, http.MethodPatch, pipelinePath(pl.Id), f.editor.AccessToken,
		map[string]any{"name": "changed", "config": map[string]any{"mode": "single_table", "table": "public.orders", "incremental": map[string]any{"row_order": "sideways"}}}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "config.incremental.cursor_path")
	require.Contains(t, fieldsOf(p), "config.incremental.row_order")
	decodeProblem(t, s.call(t, http.MethodPatch, pipelinePath(pl.Id), f.editor.AccessToken,
		map[string]any{"destination_connection_id": restAPI.Id}), http.StatusUnprocessableEntity)
	decodeProblem(t, s.call(t, http.MethodPatch, pipelinePath(pl.Id), f.editor.AccessToken,
		map[string]any{"status": "error"}), http.StatusUnprocessableEntity)
	got := decode[api.Pipeline](t, s.call(t, http.MethodGet, pipelinePath(pl.Id), f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, pl, got, "a refused change changes nothing, not even the name sent with it")

	// A valid config replaces the stored one whole, normalised.
	updated := decode[api.Pipeline](t, s.call(t, http.MethodPatch, pipelinePath(pl.Id), f.editor.AccessToken,
		map[string]any{"config": map[string]any{"table_names": []any{"orders"}, "write_disposition": "replace", "verify": "checksum"}}), http.StatusOK)
	require.Equal(t, map[string]any{
		"mode": "full_database", "table_names": []any{"orders"}, "write_disposition": "replace", "batch_size": float64(50000),
		"verify": "checksum", "naming": "snake_case", "schema_contract": map[string]any{"tables": "evolve", "columns": "evolve", "data_type": "evolve"},
	}, updated.Config)
	require.Equal(t, pl.Name, updated.Name)
	require.True(t, updated.UpdatedAt.After(pl.UpdatedAt) || updated.UpdatedAt.Equal(pl.UpdatedAt))
}

func TestPipelines_DeleteIsRefusedWhileARunIsActive(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	pl := s.createPipeline(t, f)
	db := database0(t, s)
	ctx := context.Background()
	var runID int64
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO runs (org_id, target_type, target_id, trigger) VALUES ($1, 'pipeline', $2, 'manual') RETURNING id`,
		f.orgID, pl.Id).Scan(&runID))

	// The queued run shows as the last run, in the list and alone.
	got := decode[api.Pipeline](t, s.call(t, http.MethodGet, pipelinePath(pl.Id), f.viewer.AccessToken, nil), http.StatusOK)
	require.NotNil(t, got.LastRun)
	require.Equal(t, runID, got.LastRun.Id)
	require.Equal(t, api.RunStatus("queued"), got.LastRun.Status)

	p := decodeProblem(t, s.call(t, http.MethodDelete, pipelinePath(pl.Id), f.editor.AccessToken, nil), http.StatusConflict)
	require.Contains(t, *p.Detail, fmt.Sprint(runID))
	require.Equal(t, runID, *p.ActiveRunId)
	decode[api.Pipeline](t, s.call(t, http.MethodGet, pipelinePath(pl.Id), f.viewer.AccessToken, nil), http.StatusOK)

	_, err := db.Exec(ctx, `UPDATE runs SET status = 'running', started_at = now() WHERE id = $1`, runID)
	require.NoError(t, err)
	decodeProblem(t, s.call(t, http.MethodDelete, pipelinePath(pl.Id), f.editor.AccessToken, nil), http.StatusConflict)

	_, err = db.Exec(ctx, `UPDATE runs SET status = 'success', finished_at = started_at + interval '1500 ms', rows_loaded = 42 WHERE id = $1`, runID)
	require.NoError(t, err)
	list := decode[api.PipelineList](t, s.call(t, http.MethodGet, "/api/v1/pipelines", f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, list.Items, 1)
	require.Equal(t, api.RunStatus("success"), list.Items[0].LastRun.Status)
	require.Equal(t, int64(42), list.Items[0].LastRun.RowsLoaded)
	require.Equal(t, int64(1500), *list.Items[0].LastRun.DurationMs)

	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, pipelinePath(pl.Id), f.editor.AccessToken, nil).Code)
	decodeProblem(t, s.call(t, http.MethodGet, pipelinePath(pl.Id), f.viewer.AccessToken, nil), http.StatusNotFound)
	decodeProblem(t, s.call(t, http.MethodDelete, pipelinePath(pl.Id), f.editor.AccessToken, nil), http.StatusNotFound)
	decodeProblem(t, s.call(t, http.MethodPatch, pipelinePath(pl.Id), f.editor.AccessToken, map[string]any{"name": "back"}), http.StatusNotFound)
	list = decode[api.PipelineList](t, s.call(t, http.MethodGet, "/api/v1/pipelines", f.viewer.AccessToken, nil), http.StatusOK)
	require.Empty(t, list.Items)
	var deleted bool
	require.NoError(t, db.QueryRow(ctx, `SELECT deleted_at IS NOT NULL FROM pipelines WHERE id = $1`, pl.Id).Scan(&deleted))
	require.True(t, deleted, "a soft delete: the row (and its runs' history) stays")

	logs := decode[api.AuditLogList](t, s.call(t, http.MethodGet, "/api/v1/audit-logs?action=pipeline.delete", f.owner.AccessToken, nil), http.StatusOK)
	require.Len(t, logs.Items, 1)
}

func TestPipelines_ListPagesWithACursor(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	c := s.createConnection(t, f)
	var want []int64
	for i := range 5 {
		pl := decode[api.Pipeline](t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken,
			map[string]any{"name": fmt.Sprintf("p%d", i), "source_connection_id": c.Id, "destination_connection_id": c.Id}), http.StatusCreated)
		want = append(want, pl.Id)
	}
	var got []int64
	path := "/api/v1/pipelines?limit=2"
	pages := 0
	for {
		list := decode[api.PipelineList](t, s.call(t, http.MethodGet, path, f.viewer.AccessToken, nil), http.StatusOK)
		pages++
		for _, it := range list.Items {
			got = append(got, it.Id)
		}
		if list.NextCursor == nil {
			break
		}
		require.Len(t, list.Items, 2)
		path = "/api/v1/pipelines?limit=2&cursor=" + *list.NextCursor
	}
	require.Equal(t, want, got)
	require.Equal(t, 3, pages)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/pipelines?cursor=bogus", f.viewer.AccessToken, nil), http.StatusUnprocessableEntity)
}

func TestPipelines_CreateWaitsForAConcurrentConnectionDelete(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	src, dst := s.createConnection(t, f), s.createConnection(t, f)
	ctx := context.Background()
	// A connection delete in flight: its row is updated (locked) but not committed.
	tx, err := database0(t, s).Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `UPDATE connections SET deleted_at = now() WHERE id = $1`, dst.Id)
	require.NoError(t, err)

	done := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		done <- s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken,
			map[string]any{"name": "racing", "source_connection_id": src.Id, "destination_connection_id": dst.Id})
	}()
	select {
	case rec := <-done:
		t.Fatalf("the create did not wait for the delete's lock: %d %s", rec.Code, rec.Body.String())
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, tx.Commit(ctx))
	p := decodeProblem(t, <-done, http.StatusUnprocessableEntity)
	require.Equal(t, "no such connection", fieldsOf(p)["destination_connection_id"])
	list := decode[api.PipelineList](t, s.call(t, http.MethodGet, "/api/v1/pipelines", f.viewer.AccessToken, nil), http.StatusOK)
	require.Empty(t, list.Items, "no pipeline points at a deleted connection")
}

// The program registers every destination the engine drives (package builtin): a pipeline
// into BigQuery is accepted now that the engine loads into it; a file store still is not.
func TestPipelines_ABigQueryDestinationIsAcceptedWithTheProgramsConnectors(t *testing.T) {
	t.Parallel()
	s := setup(t, func(d *Deps) { d.Connectors = builtin.Registry() })
	f := s.newOrg(t)
	pg := s.createConnection(t, f)
	warehouse := s.connectionOf(t, f, "bigquery", map[string]any{"project_id": "my-project-123", "dataset": "analytics",
		"location": "EU", "credentials_json": `{"type": "service_account", "private_key": "bq-secret-value"}`})
	bucket := s.connectionOf(t, f, "s3", map[string]any{"bucket": "exports", "region": "eu-west-1"})
	p := decode[api.Pipeline](t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken, map[string]any{
		"name": "orders to bigquery", "source_connection_id": pg.Id, "destination_connection_id": warehouse.Id}), http.StatusCreated)
	require.Equal(t, warehouse.Id, p.DestinationConnectionId)
	prob := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken, map[string]any{
		"name": "orders to a bucket", "source_connection_id": pg.Id, "destination_connection_id": bucket.Id}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(prob)["destination_connection_id"], "cannot load into")
}
